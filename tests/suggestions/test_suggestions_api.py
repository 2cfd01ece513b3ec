"""社情民意 through HTTP: a rider suggests, the community's secretary replies, adoption pays once."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.notifications.models import Notification
from app.points import rules
from app.points.models import LedgerEntry
from app.points.totals import verify_totals
from app.suggestions.models import Suggestion
from tests.factories import auth_headers, in_db, make_community, make_user

HOME = "640104001001"
OTHER = "640104001002"
IDEA = "福州街自行车道上的停车位占了车道，建议取消。"


@pytest.fixture
def people(app):
    make_community(app, HOME)
    make_community(app, OTHER)
    users = {
        "rider": make_user(app, Role.RIDER, area_code=HOME),
        "neighbour": make_user(app, Role.RIDER, area_code=HOME),
        "secretary": make_user(app, Role.SECRETARY, area_code=HOME),
        "other_secretary": make_user(app, Role.SECRETARY, area_code=OTHER),
        "worker": make_user(app, Role.GRID_WORKER, area_code=HOME),
    }
    return {name: (user, auth_headers(app, user)) for name, user in users.items()}



def _suggest(client, people, **body):
    response = client.post("/api/v1/suggestions", json={"content": IDEA, **body}, headers=people["rider"][1])
    assert response.status_code == 201, response.json
    return response.json


def test_rider_suggests_to_their_community(client, people):
    body = _suggest(client, people, lat=38.48, lon=106.23)
    assert body["status"] == "open" and body["area_code"] == HOME
    assert body["reply"] is None and body["adopted"] is None
    assert (body["lat"], body["lon"]) == (38.48, 106.23)


@pytest.mark.parametrize("bad", [
    {"content": ""}, {"content": "短"}, {"content": "长" * 1001}, {"lat": 38.48},
    {"lat": 95, "lon": 106.2}, {"coord_sys": "mars", "lat": 38.48, "lon": 106.23},
])
def test_bad_suggestion_is_refused_and_nothing_written(app, client, people, bad):
    response = client.post("/api/v1/suggestions", json={"content": IDEA, **bad}, headers=people["rider"][1])
    assert response.status_code in (400, 422)
    assert in_db(app, select(func.count()).select_from(Suggestion)) == 0


def test_only_riders_suggest(client, people):
    response = client.post("/api/v1/suggestions", json={"content": IDEA}, headers=people["secretary"][1])
    assert response.status_code == 403


def test_adopted_reply_pays_once_and_notifies(app, client, people):
    suggestion = _suggest(client, people)
    path = f"/api/v1/suggestions/{suggestion['id']}/reply"
    response = client.post(path, json={"reply": "已采纳，车位已取消。", "adopted": True},
                           headers=people["secretary"][1])
    assert response.status_code == 200, response.json
    assert response.json["status"] == "replied" and response.json["adopted"] is True
    again = client.post(path, json={"reply": "再答一次", "adopted": True}, headers=people["secretary"][1])
    assert again.status_code == 409 and again.json["error"]["code"] == "already_replied"

    points = client.get("/api/v1/me/points", headers=people["rider"][1]).json
    assert points["balance"] == rules.SUGGESTION_ADOPTED_POINTS
    entry = points["entries"][0]
    assert entry["reason"] == "suggestion_adopted" and entry["source"] == f"suggestion:{suggestion['id']}"
    rider_id = people["rider"][0].id
    kinds = in_db(app, select(func.count()).select_from(Notification).where(
        Notification.user_id == rider_id, Notification.kind == "suggestion_replied"))
    assert kinds == 1
    seen = client.get(f"/api/v1/suggestions/{suggestion['id']}", headers=people["rider"][1]).json
    assert seen["reply"] == "已采纳，车位已取消。"
    with app.app_context():
        assert list(verify_totals()) == []


def test_reply_not_adopted_pays_nothing_but_notifies(app, client, people):
    suggestion = _suggest(client, people)
    response = client.post(f"/api/v1/suggestions/{suggestion['id']}/reply",
                           json={"reply": "谢谢，已转交街道。", "adopted": False}, headers=people["secretary"][1])
    assert response.status_code == 200 and response.json["adopted"] is False
    assert in_db(app, select(func.count()).select_from(LedgerEntry)) == 0
    assert in_db(app, select(func.count()).select_from(Notification)) == 1


@pytest.mark.parametrize("bad", [{"reply": "", "adopted": True}, {"reply": "好" * 1001, "adopted": True},
                                 {"reply": "好的好的"}, {"reply": "好的好的", "adopted": "也许"}])
def test_bad_reply_is_refused_and_nothing_written(app, client, people, bad):
    suggestion = _suggest(client, people)
    response = client.post(f"/api/v1/suggestions/{suggestion['id']}/reply", json=bad,
                           headers=people["secretary"][1])
    assert response.status_code in (400, 422)
    assert in_db(app, select(Suggestion.status)) == "open"
    assert in_db(app, select(func.count()).select_from(LedgerEntry)) == 0


def test_another_communitys_secretary_cannot_read_or_reply(app, client, people):
    suggestion = _suggest(client, people)
    headers = people["other_secretary"][1]
    assert client.get(f"/api/v1/suggestions/{suggestion['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/suggestions", headers=headers).json["items"] == []
    response = client.post(f"/api/v1/suggestions/{suggestion['id']}/reply",
                           json={"reply": "不是我的社区", "adopted": True}, headers=headers)
    assert response.status_code == 404
    assert in_db(app, select(Suggestion.status)) == "open"
    assert in_db(app, select(func.count()).select_from(LedgerEntry)) == 0


def test_a_rider_sees_only_their_own(client, people):
    mine = _suggest(client, people)
    neighbour = people["neighbour"][1]
    assert client.get("/api/v1/suggestions", headers=neighbour).json["items"] == []
    assert client.get(f"/api/v1/suggestions/{mine['id']}", headers=neighbour).status_code == 404
    own = client.get("/api/v1/suggestions", headers=people["rider"][1]).json
    assert [item["id"] for item in own["items"]] == [mine["id"]]
    desk = client.get("/api/v1/suggestions", headers=people["secretary"][1]).json
    assert [item["id"] for item in desk["items"]] == [mine["id"]]
    assert client.get("/api/v1/suggestions", headers=people["worker"][1]).status_code == 403


def test_concurrent_double_adopt_pays_once(app, client, people):
    suggestion = _suggest(client, people)
    path = f"/api/v1/suggestions/{suggestion['id']}/reply"
    headers = people["secretary"][1]
    barrier, statuses = threading.Barrier(6), []

    def adopt():
        barrier.wait(timeout=10)
        response = app.test_client().post(path, json={"reply": "采纳", "adopted": True}, headers=headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=adopt) for _ in range(6)]
    [thread.start() for thread in threads]
    [thread.join(timeout=60) for thread in threads]
    assert sorted(statuses) == [200] + [409] * 5
    rider_id = people["rider"][0].id
    assert in_db(app, select(func.sum(LedgerEntry.delta)).where(LedgerEntry.rider_id == rider_id)) == \
        rules.SUGGESTION_ADOPTED_POINTS
    assert in_db(app, select(func.count()).select_from(Notification)) == 1
    with app.app_context():
        assert list(verify_totals()) == []


def test_the_ledger_itself_refuses_a_second_award_of_one_source(app, people):
    """Even past the conditional reply, the database key keeps an adoption award single."""
    from app.points import service as points

    rider_id = people["rider"][0].id
    with app.app_context():
        award = rules.adoption_award(rider_id=rider_id, suggestion_id=1)
        assert points.award_once(award=award) is not None
        assert points.award_once(award=award) is None
        db.session.commit()
        assert list(verify_totals()) == []
    assert in_db(app, select(func.count()).select_from(LedgerEntry)) == 1


def test_the_list_pages_by_cursor_newest_first_and_refuses_anothers_cursor(client, people):
    made = [_suggest(client, people, content=f"第{n}条建议：楼道灯不亮")["id"] for n in range(5)]
    secretary = people["secretary"][1]
    first = client.get("/api/v1/suggestions?per_page=2", headers=secretary).json
    second = client.get(f"/api/v1/suggestions?per_page=2&cursor={first['next']}", headers=secretary).json
    last = client.get(f"/api/v1/suggestions?per_page=2&cursor={second['next']}", headers=secretary).json
    seen = [s["id"] for page in (first, second, last) for s in page["items"]]
    assert seen == made[::-1] and last["next"] is None
    # The secretary's cursor in the rider's hands, or a forged one: 400, never somebody else's rows.
    for cursor in (first["next"], first["next"][:-2] + "xx"):
        refused = client.get(f"/api/v1/suggestions?cursor={cursor}", headers=people["rider"][1])
        assert refused.status_code == 400
