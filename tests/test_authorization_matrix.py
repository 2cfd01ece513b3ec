"""The authorisation matrix: every API endpoint × every role × an object of their own side or of
the other side, generated from the app's URL map. Each endpoint needs an entry in MATRIX: a new
endpoint without one fails `test_every_api_endpoint_has_an_entry`.

An entry says which roles may act on their own side's object (`own`) and on the other side's
(`other`; None when the endpoint names no object), and how to call it (`call`). "May act" means
the answer is neither 401, 403 nor 404 (a 400, 409 or 422 still passed the check); "may not" means
401, 403 or 404 — never a 2xx, and never a 409 that would tell the state of what is not theirs.
Each call acts on a fresh object where it could change one, so the order of calls does not matter.
"""
from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from app.auth.models import Role, User
from app.extensions import db
from app.notifications.push import generate_vapid_keys
from app.photos.service import photo_url
from app.photos.storage import PhotoStore
from app.reports.models import Report
from tests.conftest import reset_state
from tests.factories import make_user
from tests.images import jpeg_bytes
from tests.support.world import World, _report, build_world, tokens_for

ROLES = ("anonymous", "rider", "grid_worker", "secretary", "dispatcher", "department", "admin")
ANYONE = frozenset(ROLES)
USERS = ANYONE - {"anonymous"}
DENIED = (401, 403, 404)
# Pages and static files are not the API (their own tests cover them).
API_PREFIXES = ("/api/v1", "/open311")
_phones = itertools.count(13500000000)


def only(*roles: str) -> frozenset[str]:
    return frozenset(roles)


@dataclass
class Call:
    path: str
    json: Any = None
    data: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] | None = None  # instead of the actor's access token


Builder = Callable[["Ctx", str, str], Call]


@dataclass
class Ctx:
    """What a call builder needs: the app, the world, and the actor's access token."""

    app: Flask
    world: World

    def fresh_report(self, relation: str, state: str) -> int:
        side = self.world.side(relation)
        with self.app.app_context():
            report_id = _report(side, state)
            db.session.commit()
        return report_id

    def fresh_user(self, relation: str, role: str, status: str = "active") -> User:
        side = self.world.side(relation)
        area = side.district if role in ("dispatcher", "department") else side.community
        return make_user(self.app, role, area_code=area, status=status)


@dataclass(frozen=True)
class Entry:
    own: frozenset[str]
    call: Builder
    other: frozenset[str] | None = None


def static(path: str, **kwargs: Any) -> Builder:
    return lambda ctx, role, relation: Call(path, **kwargs)


def action(name: str, state: str | dict[str, str], body: Callable[[Ctx, str], Any] | None = None,
           multipart: bool = False) -> Builder:
    """POST /reports/{id}/{name} on a fresh report of the relation's side, in the state where the
    role could take the action (`state`: one for all, or per role with a "*" default)."""
    def build(ctx: Ctx, role: str, relation: str) -> Call:
        wanted = state if isinstance(state, str) else state.get(role, state["*"])
        report_id = ctx.fresh_report(relation, wanted)
        path = f"/api/v1/reports/{report_id}/{name}"
        if multipart:
            photo = (io.BytesIO(jpeg_bytes(40, 30, seed=report_id)), "a.jpg")
            return Call(path, data={"note": "好了", "photo": [photo]})
        return Call(path, json=body(ctx, relation) if body else None)
    return build


def on_user(name: str, target_role: str, status: str = "active") -> Builder:
    """POST /users/{id}/{name} on a fresh account of the relation's side."""
    def build(ctx: Ctx, role: str, relation: str) -> Call:
        return Call(f"/api/v1/users/{ctx.fresh_user(relation, target_role, status).id}/{name}")
    return build


def in_area(path: str, key: str = "community", **extra: Any) -> Builder:
    """A path or query naming the relation's side's area (`{code}` in the path, else ?area=)."""
    def build(ctx: Ctx, role: str, relation: str) -> Call:
        side = ctx.world.side(relation)
        code = getattr(side, key)
        if "{code}" in path:
            return Call(path.format(code=code), **extra)
        return Call(path, query={"area": code, **extra.pop("query", {})}, **extra)
    return build


def _new_staff(ctx: Ctx, role: str, relation: str) -> Call:
    side = ctx.world.side(relation)
    return Call("/api/v1/users", json={"phone": str(next(_phones)), "password": "abc12345", "name": "新网格员",
                                       "role": "grid_worker", "area_code": side.community})


def _adjust(ctx: Ctx, role: str, relation: str) -> Call:
    rider = ctx.world.side(relation).targets["rider"]
    return Call("/api/v1/points/adjustments", json={"rider_id": rider.id, "delta": 1, "reason": "矩阵测试"})


def _set_workers(ctx: Ctx, role: str, relation: str) -> Call:
    side = ctx.world.side(relation)
    return Call(f"/api/v1/areas/{side.grid}/workers", json={"user_ids": [side.targets["grid_worker"].id]})


def _read_report(ctx: Ctx, role: str, relation: str) -> Call:
    return Call(f"/api/v1/reports/{ctx.fresh_report(relation, 'dispatched')}")


def _report_path(suffix: str) -> Builder:
    """GET /reports/{id}/{suffix} of a fresh dispatched report of the relation's side."""
    return lambda ctx, role, relation: Call(
        f"/api/v1/reports/{ctx.fresh_report(relation, 'dispatched')}/{suffix}")


def _fresh_session(kind: int) -> Builder:
    """A new login of the actor: its refresh token (kind 1) or access token (kind 0)."""
    def build(ctx: Ctx, role: str, relation: str) -> Call:
        user = ctx.world.actor(role)
        headers = {"Authorization": f"Bearer {tokens_for(ctx.app, user)[kind]}"} if user else {}
        return Call("/api/v1/auth/refresh" if kind else "/api/v1/auth/logout", headers=headers)
    return build


def _photo(ctx: Ctx, role: str, relation: str) -> Call:
    key = PhotoStore(ctx.app.config["UPLOAD_DIR"]).put(jpeg_bytes(40, 30, seed=99)).key
    with ctx.app.test_request_context():
        return Call(photo_url(key))


def _integration(ctx: Ctx, role: str, relation: str) -> Call:
    """PATCH a fresh integration of the relation's district."""
    from app.integrations import service as integrations

    side = ctx.world.side(relation)
    with ctx.app.app_context():
        issued = integrations.create_integration(actor=ctx.world.actor("admin"), name="12345热线",
                                                 area_code=side.district)
        integration_id = issued.integration.id
    return Call(f"/api/v1/integrations/{integration_id}", json={"active": True})


def _suggestion(suffix: str, body: Any = None) -> Builder:
    """/suggestions/{id}{suffix} on a fresh suggestion of the relation's side's rider."""
    def build(ctx: Ctx, role: str, relation: str) -> Call:
        from app.auth.models import User as Account
        from app.suggestions import service as suggestions
        rider = ctx.world.side(relation).people["rider"]
        with ctx.app.app_context():
            suggestion_id = suggestions.submit_suggestion(rider=db.session.get(Account, rider.id),
                                                          content="建议增加一处充电桩").id
        return Call(f"/api/v1/suggestions/{suggestion_id}{suffix}", json=body)
    return build


def _invite(ctx: Ctx, role: str, relation: str) -> Call:
    """/communities/{code}/invites/{invite}/revoke of a fresh invite of the relation's side's community."""
    from app.auth import service as accounts
    from app.auth.models import User as Account
    side = ctx.world.side(relation)
    with ctx.app.app_context():
        code = accounts.create_invite(actor=db.session.get(Account, side.people["secretary"].id),
                                      community_code=side.community, max_uses=5, expires_in_days=7).code
    return Call(f"/api/v1/communities/{side.community}/invites/{code}/revoke")


def _station(body: Any) -> Builder:
    """/stations/{id} of a fresh station of the relation's side's community."""
    def build(ctx: Ctx, role: str, relation: str) -> Call:
        from app.auth.models import User as Account
        from app.stations import service as stations
        secretary = ctx.world.side(relation).people["secretary"]
        with ctx.app.app_context():
            station_id = stations.create_station(actor=db.session.get(Account, secretary.id), name="驿站",
                                                 lat=38.48, lon=106.23, hours="8:00-22:00", services=["饮水"]).id
        return Call(f"/api/v1/stations/{station_id}", json=body)
    return build


def _campaign(suffix: str, body: Any = None) -> Builder:
    """/campaigns/{id}{suffix} on a fresh running campaign of the relation's side."""
    def build(ctx: Ctx, role: str, relation: str) -> Call:
        from datetime import date

        from app.auth.models import User as Account
        from app.campaigns import service as campaigns
        secretary = ctx.world.side(relation).people["secretary"]
        with ctx.app.app_context():
            campaign_id = campaigns.create_campaign(
                secretary=db.session.get(Account, secretary.id), title="反诈宣传", body="不转账，不点链接",
                starts_on=date(2020, 1, 1), ends_on=date(2099, 12, 31), points_per_delivery=1, daily_cap=5).id
        return Call(f"/api/v1/campaigns/{campaign_id}{suffix}", json=body)
    return build


OPEN311 = "/open311/v2"
NOBODY = frozenset()  # Open311 reads and posts answer to an integration key, never to a login


def _department(ctx: Ctx, relation: str) -> dict[str, int]:
    return {"department_id": ctx.world.own.people["department"].id}


WORKER, DISPATCHER, DEPARTMENT, RIDER = "grid_worker", "dispatcher", "department", "rider"
SECRETARY, ADMIN = "secretary", "admin"
STAFF_DESK = only(SECRETARY, ADMIN)

MATRIX: dict[tuple[str, str], Entry] = {
    # --- open to anyone --------------------------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): Entry(ANYONE, static("/api/v1/openapi.json")),
    ("GET", "/api/v1/categories"): Entry(ANYONE, static("/api/v1/categories")),
    ("POST", "/api/v1/auth/register"): Entry(ANYONE, static("/api/v1/auth/register", json={})),
    ("POST", "/api/v1/auth/login"): Entry(ANYONE, static("/api/v1/auth/login", json={})),
    ("GET", "/api/v1/push-subscriptions/vapid-public-key"): Entry(
        ANYONE, static("/api/v1/push-subscriptions/vapid-public-key")),
    ("GET", "/api/v1/photos/<string:token>"): Entry(ANYONE, _photo),  # the signed link is the key
    # --- any signed-in user, about themselves ------------------------------------------------------
    ("POST", "/api/v1/auth/refresh"): Entry(USERS, _fresh_session(1)),
    ("POST", "/api/v1/auth/logout"): Entry(USERS, _fresh_session(0)),
    ("GET", "/api/v1/me"): Entry(USERS, static("/api/v1/me")),
    ("GET", "/api/v1/notifications"): Entry(USERS, static("/api/v1/notifications")),
    ("GET", "/api/v1/notifications/stream"): Entry(USERS, static("/api/v1/notifications/stream")),
    ("POST", "/api/v1/push-subscriptions"): Entry(USERS, static("/api/v1/push-subscriptions", json={})),
    ("DELETE", "/api/v1/push-subscriptions"): Entry(
        USERS, static("/api/v1/push-subscriptions", json={"endpoint": "https://fcm.googleapis.com/x"})),
    ("GET", "/api/v1/reports"): Entry(USERS, static("/api/v1/reports")),
    ("GET", "/api/v1/areas"): Entry(USERS, static("/api/v1/areas")),
    ("GET", "/api/v1/areas/locate"): Entry(USERS, static("/api/v1/areas/locate",
                                                          query={"lat": 38.48, "lon": 106.215})),
    ("GET", "/api/v1/areas/<string:code>"): Entry(USERS, in_area("/api/v1/areas/{code}"), other=USERS),
    ("GET", "/api/v1/me/duty"): Entry(only(WORKER), static("/api/v1/me/duty")),
    ("PUT", "/api/v1/me/duty"): Entry(only(WORKER), static("/api/v1/me/duty", json={"on_duty": False})),
    ("POST", "/api/v1/me/location"): Entry(only(WORKER), static("/api/v1/me/location",
                                                                json={"lat": 38.48, "lon": 106.215})),
    ("GET", "/api/v1/me/points"): Entry(only(RIDER), static("/api/v1/me/points")),
    ("POST", "/api/v1/notifications/seen"): Entry(USERS, static("/api/v1/notifications/seen",
                                                                json={"up_to_id": 0})),
    ("GET", "/api/v1/me/notification-settings"): Entry(USERS, static("/api/v1/me/notification-settings")),
    ("PUT", "/api/v1/me/notification-settings"): Entry(USERS, static("/api/v1/me/notification-settings",
                                                                     json={})),
    # Not set up here: a signed-in user is told so (422); anonymous is refused first.
    ("POST", "/api/v1/me/wechat/bind"): Entry(USERS, static("/api/v1/me/wechat/bind")),
    ("DELETE", "/api/v1/me/wechat"): Entry(USERS, static("/api/v1/me/wechat")),
    # WeChat's redirect carries no token: the signed state and the browser's cookie are the check.
    ("GET", "/api/v1/wechat/oauth-callback"): Entry(ANYONE, static("/api/v1/wechat/oauth-callback")),
    ("POST", "/api/v1/reports"): Entry(only(RIDER), static("/api/v1/reports", data={"category": "x"})),
    # --- the desk ------------------------------------------------------------------------------------
    ("POST", "/api/v1/categories"): Entry(only(ADMIN), static("/api/v1/categories", json={})),
    ("POST", "/api/v1/areas/import"): Entry(only(ADMIN), static("/api/v1/areas/import", json={})),
    ("GET", "/api/v1/users"): Entry(STAFF_DESK, static("/api/v1/users")),
    ("POST", "/api/v1/users"): Entry(STAFF_DESK, _new_staff, other=only(ADMIN)),
    ("POST", "/api/v1/users/<int:user_id>/approve"): Entry(STAFF_DESK, on_user("approve", "rider", "pending"),
                                                           other=only(ADMIN)),
    ("POST", "/api/v1/users/<int:user_id>/disable"): Entry(STAFF_DESK, on_user("disable", "grid_worker"),
                                                           other=only(ADMIN)),
    ("POST", "/api/v1/users/<int:user_id>/enable"): Entry(STAFF_DESK, on_user("enable", "rider"),
                                                          other=only(ADMIN)),
    ("POST", "/api/v1/communities/<string:code>/invites"): Entry(
        STAFF_DESK, in_area("/api/v1/communities/{code}/invites", json={}), other=only(ADMIN)),
    ("GET", "/api/v1/communities/<string:code>/invites"): Entry(
        STAFF_DESK, in_area("/api/v1/communities/{code}/invites"), other=only(ADMIN)),
    ("POST", "/api/v1/communities/<string:code>/invites/<string:invite_code>/revoke"): Entry(
        STAFF_DESK, _invite, other=only(ADMIN)),
    ("GET", "/api/v1/areas/<string:code>/workers"): Entry(STAFF_DESK, in_area("/api/v1/areas/{code}/workers",
                                                                              key="grid"), other=only(ADMIN)),
    ("PUT", "/api/v1/areas/<string:code>/workers"): Entry(STAFF_DESK, _set_workers, other=only(ADMIN)),
    ("POST", "/api/v1/points/adjustments"): Entry(STAFF_DESK, _adjust, other=only(ADMIN)),
    ("GET", "/api/v1/leaderboards"): Entry(only(RIDER, SECRETARY, DISPATCHER, ADMIN),
                                           in_area("/api/v1/leaderboards", query={"scope": "community"}),
                                           other=only(ADMIN)),
    ("GET", "/api/v1/leaderboards/export.csv"): Entry(
        STAFF_DESK, in_area("/api/v1/leaderboards/export.csv", query={"scope": "community"}), other=only(ADMIN)),
    ("GET", "/api/v1/stats"): Entry(only(SECRETARY, DISPATCHER, ADMIN), in_area("/api/v1/stats"),
                                    other=only(ADMIN)),
    ("GET", "/api/v1/stats/trend"): Entry(only(SECRETARY, DISPATCHER, ADMIN), in_area("/api/v1/stats/trend"),
                                          other=only(ADMIN)),
    ("GET", "/api/v1/stats/workers"): Entry(only(SECRETARY, DISPATCHER, ADMIN),
                                            in_area("/api/v1/stats/workers"), other=only(ADMIN)),
    # --- 红色驿站 -----------------------------------------------------------------------------------
    ("POST", "/api/v1/stations"): Entry(STAFF_DESK, static("/api/v1/stations", json={
        "name": "驿站", "lat": 38.48, "lon": 106.23, "hours": "全天", "services": ["饮水"]})),
    ("GET", "/api/v1/stations"): Entry(USERS, static("/api/v1/stations", query={"lat": 38.48, "lon": 106.23})),
    ("PATCH", "/api/v1/stations/<int:station_id>"): Entry(STAFF_DESK, _station({"hours": "全天"}),
                                                          other=only(ADMIN)),
    ("DELETE", "/api/v1/stations/<int:station_id>"): Entry(STAFF_DESK, _station(None), other=only(ADMIN)),
    # --- 社情民意 ---------------------------------------------------------------------------------
    ("POST", "/api/v1/suggestions"): Entry(only(RIDER), static("/api/v1/suggestions",
                                                               json={"content": "建议增加一处充电桩"})),
    ("GET", "/api/v1/suggestions"): Entry(only(RIDER, SECRETARY, ADMIN), static("/api/v1/suggestions")),
    ("GET", "/api/v1/suggestions/<int:suggestion_id>"): Entry(only(RIDER, SECRETARY, ADMIN), _suggestion(""),
                                                              other=only(ADMIN)),
    ("POST", "/api/v1/suggestions/<int:suggestion_id>/reply"): Entry(
        only(SECRETARY), _suggestion("/reply", {"reply": "谢谢建议", "adopted": False}), other=frozenset()),
    # --- 送政策上门 -------------------------------------------------------------------------------
    ("POST", "/api/v1/campaigns"): Entry(only(SECRETARY), static("/api/v1/campaigns", json={
        "title": "反诈宣传", "body": "不转账，不点链接", "starts_on": "2020-01-01", "ends_on": "2099-12-31",
        "points_per_delivery": 1, "daily_cap": 5})),
    ("GET", "/api/v1/campaigns"): Entry(only(RIDER, SECRETARY, ADMIN), static("/api/v1/campaigns")),
    ("GET", "/api/v1/campaigns/<int:campaign_id>"): Entry(STAFF_DESK, _campaign(""), other=only(ADMIN)),
    ("GET", "/api/v1/campaigns/<int:campaign_id>/export.csv"): Entry(STAFF_DESK, _campaign("/export.csv"),
                                                                      other=only(ADMIN)),
    ("POST", "/api/v1/campaigns/<int:campaign_id>/close"): Entry(only(SECRETARY), _campaign("/close"),
                                                                 other=frozenset()),
    ("POST", "/api/v1/campaigns/<int:campaign_id>/deliveries"): Entry(
        only(RIDER), _campaign("/deliveries", {"count": 1, "lat": 38.48, "lon": 106.23}), other=frozenset()),
    # --- integrations (admin) and Open311 (by integration key, not by login) --------------------------
    ("POST", "/api/v1/integrations"): Entry(only(ADMIN), static("/api/v1/integrations", json={})),
    ("GET", "/api/v1/integrations"): Entry(only(ADMIN), static("/api/v1/integrations")),
    ("PATCH", "/api/v1/integrations/<int:integration_id>"): Entry(only(ADMIN), _integration),
    ("GET", OPEN311 + "/discovery.<any(json, xml):fmt>"): Entry(ANYONE, static(OPEN311 + "/discovery.json")),
    ("GET", OPEN311 + "/services.<any(json, xml):fmt>"): Entry(ANYONE, static(OPEN311 + "/services.json")),
    ("GET", OPEN311 + "/services/<string:code>.<any(json, xml):fmt>"): Entry(
        ANYONE, static(OPEN311 + "/services/garbage.json")),
    ("GET", OPEN311 + "/requests.<any(json, xml):fmt>"): Entry(NOBODY, static(OPEN311 + "/requests.json")),
    ("POST", OPEN311 + "/requests.<any(json, xml):fmt>"): Entry(NOBODY, static(OPEN311 + "/requests.json",
                                                                               data={})),
    ("GET", OPEN311 + "/requests/<string:request_id>.<any(json, xml):fmt>"): Entry(
        NOBODY, static(OPEN311 + "/requests/1.json")),
    ("GET", OPEN311 + "/tokens/<string:token>.<any(json, xml):fmt>"): Entry(
        NOBODY, static(OPEN311 + "/tokens/x.json")),
    **{(method, OPEN311 + "/<path:anything>"): Entry(NOBODY, static(OPEN311 + "/nothing.json"))
       for method in ("GET", "POST", "PUT", "PATCH", "DELETE")},
    # --- reports: read and act -----------------------------------------------------------------------
    ("GET", "/api/v1/reports/<int:report_id>/deliveries"): Entry(
        only(SECRETARY, DISPATCHER, ADMIN), _report_path("deliveries"), other=only(ADMIN)),
    ("GET", "/api/v1/reports/<int:report_id>"): Entry(
        only(RIDER, WORKER, SECRETARY, DISPATCHER, DEPARTMENT, ADMIN), _read_report, other=only(ADMIN)),
    ("POST", "/api/v1/reports/<int:report_id>/accept"): Entry(only(WORKER), action("accept", "assigned"),
                                                              other=frozenset()),
    ("POST", "/api/v1/reports/<int:report_id>/decline"): Entry(
        only(WORKER), action("decline", "assigned", lambda ctx, rel: {"reason": "忙"}), other=frozenset()),
    ("POST", "/api/v1/reports/<int:report_id>/escalate"): Entry(
        only(WORKER), action("escalate", "assigned", lambda ctx, rel: {"reason": "要部门"}), other=frozenset()),
    ("POST", "/api/v1/reports/<int:report_id>/reject"): Entry(
        only(WORKER, DISPATCHER), action("reject", {DISPATCHER: "escalated", "*": "assigned"},
                                         lambda ctx, rel: {"reason": "invalid"}), other=frozenset()),
    ("POST", "/api/v1/reports/<int:report_id>/dispatch"): Entry(
        only(DISPATCHER), action("dispatch", "escalated", _department), other=frozenset()),
    ("POST", "/api/v1/reports/<int:report_id>/resolve"): Entry(
        only(WORKER, DEPARTMENT), action("resolve", {DEPARTMENT: "dispatched", "*": "accepted"}, multipart=True),
        other=frozenset()),
    ("POST", "/api/v1/reports/<int:report_id>/evaluate"): Entry(
        only(RIDER), action("evaluate", "resolved", lambda ctx, rel: {"rating": 5}), other=frozenset()),
    ("POST", "/api/v1/reports/<int:report_id>/reopen"): Entry(
        only(RIDER), action("reopen", "resolved", lambda ctx, rel: {"reason": "还在"}), other=frozenset()),
    ("POST", "/api/v1/reports/<int:report_id>/reassign"): Entry(
        only(SECRETARY, DISPATCHER), action("reassign", "assigned", lambda ctx, rel: {
            "worker_id": ctx.world.side(rel).targets["grid_worker"].id, "reason": "就近"}), other=frozenset()),
}


def api_rules(app: Flask) -> set[tuple[str, str]]:
    """(method, rule) of every API endpoint the app serves."""
    return {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith(API_PREFIXES)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


@pytest.fixture(scope="module")
def ctx(app: Flask) -> Iterator[Ctx]:
    """One world for the whole module (built once, emptied at the end)."""
    private_key, public_key = generate_vapid_keys()
    saved = {name: app.config[name] for name in ("VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "SSE_MAX_SECONDS")}
    app.config.update(VAPID_PRIVATE_KEY=private_key, VAPID_PUBLIC_KEY=public_key, SSE_MAX_SECONDS=0)
    try:
        yield Ctx(app=app, world=build_world(app))
    finally:
        app.config.update(saved)
        reset_state(app)


@pytest.fixture
def _clean_state() -> None:
    """The module's world lives across its tests (the ctx fixture empties it at the end)."""


@pytest.fixture(scope="module")
def headers(app: Flask, ctx: Ctx) -> dict[str, dict[str, str]]:
    out = {"anonymous": {}}
    for role in ROLES[1:]:
        out[role] = {"Authorization": f"Bearer {tokens_for(app, ctx.world.actor(role))[0]}"}
    return out


def send(app: Flask, call: Call, headers: dict[str, str], method: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    kwargs: dict[str, Any] = {"headers": call.headers if call.headers is not None else headers,
                              "query_string": call.query}
    if call.data is not None:
        kwargs.update(data=call.data, content_type="multipart/form-data")
    elif call.json is not None or method in ("POST", "PUT", "DELETE"):
        kwargs["json"] = call.json if call.json is not None else {}
    response = client.open(call.path, method=method, **kwargs)
    response.close()  # a stream is not read to its end
    return response


def test_every_api_endpoint_has_an_entry(app):
    served = api_rules(app)
    missing = sorted(served - MATRIX.keys())
    assert missing == [], f"add these endpoints to MATRIX in {__name__}: {missing}"
    assert sorted(MATRIX.keys() - served) == [], "MATRIX names endpoints the app does not serve"


@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_role_reaches_exactly_its_own(app, ctx, headers, endpoint):
    method, _rule = endpoint
    entry = MATRIX[endpoint]
    wrong = []
    for relation in ("own", "other") if entry.other is not None else ("own",):
        allowed = entry.own if relation == "own" else entry.other
        for role in ROLES:
            call = entry.call(ctx, role, relation)
            status = send(app, call, headers[role], method).status_code
            may = role in allowed
            if status >= 500 or (may and status in DENIED) or (not may and status not in DENIED):
                wrong.append(f"{role} on {relation} {call.path}: {status} ({'may' if may else 'may not'})")
    assert wrong == []


# --- links by id (each must stay inside the actor's area) -----------------------------------------

def _links(ctx: Ctx) -> list[tuple[str, str, Call, tuple[int, ...]]]:
    """(actor role, method, call, refused statuses): an own object linked to the other side's."""
    own, other = ctx.world.own, ctx.world.other
    assigned, escalated = ctx.fresh_report("own", "assigned"), ctx.fresh_report("own", "escalated")
    return [
        (WORKER, "POST", Call(f"/api/v1/reports/{assigned}/reject", json={
            "reason": "duplicate", "duplicate_of": ctx.fresh_report("other", "assigned")}), (422,)),
        (DISPATCHER, "POST", Call(f"/api/v1/reports/{escalated}/reject", json={
            "reason": "duplicate", "duplicate_of": ctx.fresh_report("other", "escalated")}), (422,)),
        (DISPATCHER, "POST", Call(f"/api/v1/reports/{escalated}/dispatch", json={
            "department_id": other.people["department"].id}), (422,)),
        (SECRETARY, "POST", Call("/api/v1/points/adjustments", json={
            "rider_id": other.targets["rider"].id, "delta": 5, "reason": "越界"}), (403,)),
        (SECRETARY, "POST", Call("/api/v1/points/adjustments", json={  # says nothing of who it is
            "rider_id": other.targets["department"].id, "delta": 5, "reason": "越界"}), (403,)),
        (SECRETARY, "PUT", Call(f"/api/v1/areas/{own.grid}/workers", json={
            "user_ids": [other.targets["grid_worker"].id]}), (400,)),
        (SECRETARY, "POST", Call("/api/v1/users", json={
            "phone": str(next(_phones)), "password": "abc12345", "name": "越界", "role": "grid_worker",
            "area_code": other.community}), (403,)),
        (SECRETARY, "POST", Call(f"/api/v1/users/{own.targets['secretary'].id}/disable"), (403,)),
        (SECRETARY, "POST", Call(f"/api/v1/users/{own.targets['department'].id}/disable"), (403,)),
    ]


def test_links_by_id_stay_inside_the_actors_area(app, ctx, headers):
    with app.app_context():
        before = {r.id: (r.status, r.duplicate_of_id, r.department_id) for r in db.session.scalars(db.select(Report))}
    wrong = []
    for role, method, call, refused in _links(ctx):
        status = send(app, call, headers[role], method).status_code
        if status not in refused:
            wrong.append(f"{role} {method} {call.path} {call.json}: {status}, expected {refused}")
    assert wrong == []
    with app.app_context():
        after = {r.id: (r.status, r.duplicate_of_id, r.department_id) for r in db.session.scalars(db.select(Report))}
        users = {u.id: u.status for u in db.session.scalars(db.select(User))}
    assert {k: after[k] for k in before} == before
    assert users[ctx.world.own.targets["secretary"].id] == "active"


# --- probing: nobody learns the state of a report they may not see ---------------------------------

PROBES = [("accept", None), ("decline", {"reason": "x"}), ("escalate", {"reason": "x"}),
          ("reject", {"reason": "invalid"}), ("dispatch", {"department_id": 1}), ("evaluate", {"rating": 5}),
          ("reopen", {"reason": "x"})]


@pytest.mark.parametrize("action_name, body", PROBES, ids=[p[0] for p in PROBES])
def test_no_action_reveals_the_state_of_anothers_report(app, ctx, headers, action_name, body):
    wrong = []
    for state, role in itertools.product(("assigned", "accepted", "escalated", "dispatched", "resolved", "closed"),
                                         (RIDER, WORKER, DISPATCHER, DEPARTMENT)):
        report_id = ctx.fresh_report("other", state)
        response = send(app, Call(f"/api/v1/reports/{report_id}/{action_name}", json=body), headers[role], "POST")
        details = response.get_json()["error"]["details"]
        if response.status_code not in (403, 404) or "status" in details:
            wrong.append(f"{role} {action_name} on a {state} report: {response.status_code} {details}")
    assert wrong == []


def test_the_matrix_world_has_every_role(ctx):
    assert {ctx.world.actor(role).role for role in ROLES[1:]} == {str(r) for r in Role}
