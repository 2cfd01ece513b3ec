"""Accounts through HTTP, the way the phone app and the secretary's desk use them."""
from __future__ import annotations

import pytest

from app.auth.models import Role, UserStatus
from tests.factories import PASSWORD, auth_headers, make_community, make_user

COMMUNITY = "640106001001"


@pytest.fixture
def community(app):
    return make_community(app, COMMUNITY)


@pytest.fixture
def secretary(app, community):
    return make_user(app, Role.SECRETARY, area_code=community)


def _invite(client, app, secretary, **body):
    response = client.post(f"/api/v1/communities/{COMMUNITY}/invites", json=body,
                           headers=auth_headers(app, secretary))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _login(client, phone, password="abc12345"):
    return client.post("/api/v1/auth/login", json={"phone": phone, "password": password})


def test_rider_with_invite_registers_logs_in_and_logs_out(client, app, secretary):
    invite = _invite(client, app, secretary, max_uses=5)
    assert invite["max_uses"] == 5 and len(invite["invite_code"]) == 8

    registered = client.post("/api/v1/auth/register", json={
        "phone": "+86 138-0013-8000", "password": "abc12345", "name": " 张骑手 ",
        "invite_code": invite["invite_code"].lower(), "platform": "meituan"})
    assert registered.status_code == 201
    user = registered.get_json()
    assert user["status"] == "active" and user["area_code"] == COMMUNITY
    assert user["phone"] == "13800138000" and user["name"] == "张骑手" and user["role"] == "rider"

    login = _login(client, "13800138000")
    assert login.status_code == 200
    tokens = login.get_json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/me", headers=bearer).get_json()["id"] == user["id"]

    refreshed = client.post("/api/v1/auth/refresh",
                            headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 200
    new_bearer = {"Authorization": f"Bearer {refreshed.get_json()['access_token']}"}
    assert client.get("/api/v1/me", headers=new_bearer).status_code == 200

    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    for token in (bearer, new_bearer, {"Authorization": f"Bearer {tokens['refresh_token']}"}):
        refused = client.get("/api/v1/me", headers=token)
        assert refused.status_code == 401
        assert refused.get_json()["error"]["code"] in ("token_revoked", "invalid_token")
    assert client.post("/api/v1/auth/refresh", headers={
        "Authorization": f"Bearer {tokens['refresh_token']}"}).status_code == 401


def test_rider_without_invite_waits_for_the_secretary(client, app, secretary):
    registered = client.post("/api/v1/auth/register", json={
        "phone": "13800138001", "password": "abc12345", "name": "刘", "area_code": COMMUNITY})
    assert registered.get_json()["status"] == "pending"
    pending = _login(client, "13800138001")
    assert pending.status_code == 403 and pending.get_json()["error"]["code"] == "account_pending"

    queue = client.get("/api/v1/users?status=pending&role=rider", headers=auth_headers(app, secretary))
    assert [u["phone"] for u in queue.get_json()["items"]] == ["13800138001"]

    rider_id = registered.get_json()["id"]
    approved = client.post(f"/api/v1/users/{rider_id}/approve", headers=auth_headers(app, secretary))
    assert approved.status_code == 200 and approved.get_json()["status"] == "active"
    assert _login(client, "13800138001").status_code == 200
    again = client.post(f"/api/v1/users/{rider_id}/approve", headers=auth_headers(app, secretary))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_pending"


def test_secretary_of_another_community_cannot_approve(client, app, secretary):
    make_community(app, "640106001002")
    stranger = make_user(app, Role.RIDER, area_code="640106001002", status=UserStatus.PENDING)
    response = client.post(f"/api/v1/users/{stranger.id}/approve", headers=auth_headers(app, secretary))
    assert response.status_code == 403
    assert _login(client, stranger.phone, PASSWORD).status_code == 403


def test_login_failure_does_not_reveal_whether_the_phone_exists(client, app):
    user = make_user(app, Role.RIDER)
    wrong_password = _login(client, user.phone, "wrong-pass1")
    unknown_phone = _login(client, "13999999999", "wrong-pass1")
    assert wrong_password.status_code == unknown_phone.status_code == 401
    assert wrong_password.get_json() == unknown_phone.get_json()


def test_disabled_user_is_locked_out_at_once(client, app, secretary):
    rider = make_user(app, Role.RIDER, area_code=COMMUNITY)
    headers = auth_headers(app, rider)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    disabled = client.post(f"/api/v1/users/{rider.id}/disable", headers=auth_headers(app, secretary))
    assert disabled.get_json()["status"] == "disabled"
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert _login(client, rider.phone, PASSWORD).get_json()["error"]["code"] == "account_disabled"


def test_invite_is_used_up_atomically(client, app, secretary):
    code = _invite(client, app, secretary, max_uses=1)["invite_code"]
    first = client.post("/api/v1/auth/register", json={
        "phone": "13800138002", "password": "abc12345", "name": "a", "invite_code": code})
    second = client.post("/api/v1/auth/register", json={
        "phone": "13800138003", "password": "abc12345", "name": "b", "invite_code": code})
    assert first.status_code == 201
    assert second.status_code == 422 and second.get_json()["error"]["code"] == "invalid_invite_code"
    assert _login(client, "13800138003").status_code == 401  # nothing was written


def test_same_phone_cannot_register_twice(client, app):
    body = {"phone": "13800138004", "password": "abc12345", "name": "a"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201
    again = client.post("/api/v1/auth/register", json={**body, "phone": "+8613800138004"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "phone_taken"


@pytest.mark.parametrize("body, field", [
    ({"password": "abc12345", "name": "a"}, "phone"),
    ({"phone": "12345", "password": "abc12345", "name": "a"}, "phone"),
    ({"phone": "23800138000", "password": "abc12345", "name": "a"}, "phone"),
    ({"phone": 13800138000, "password": "abc12345", "name": "a"}, "phone"),
    ({"phone": "13800138000", "password": "short1", "name": "a"}, "password"),
    ({"phone": "13800138000", "password": "onlyletters", "name": "a"}, "password"),
    ({"phone": "13800138000", "password": "abc12345", "name": "x" * 51}, "name"),
    ({"phone": "13800138000", "password": "abc12345", "name": ""}, "name"),
    ({"phone": "13800138000", "password": "abc12345", "name": "a", "platform": "uber"}, "platform"),
    ({"phone": "13800138000", "password": "abc12345", "name": "a", "role": "admin"}, "role"),
])
def test_register_rejects_bad_fields(client, body, field):
    response = client.post("/api/v1/auth/register", json=body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["details"]["fields"]
    assert _login(client, "13800138000").status_code == 401


@pytest.mark.parametrize("kwargs", [
    {"data": "phone=13800138000&password=abc12345", "content_type": "application/x-www-form-urlencoded"},
    {"data": "{not json", "content_type": "application/json"},
    {"data": "[1, 2]", "content_type": "application/json"},
])
def test_login_rejects_bodies_that_are_not_a_json_object(client, kwargs):
    response = client.post("/api/v1/auth/login", **kwargs)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_unknown_invite_or_area_is_422(client):
    bad_invite = client.post("/api/v1/auth/register", json={
        "phone": "13800138005", "password": "abc12345", "name": "a", "invite_code": "NOPE2345"})
    assert bad_invite.status_code == 422
    bad_area = client.post("/api/v1/auth/register", json={
        "phone": "13800138005", "password": "abc12345", "name": "a", "area_code": "999"})
    assert bad_area.status_code == 422 and bad_area.get_json()["error"]["code"] == "unknown_area"


def test_login_is_rate_limited_per_phone(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_LOGIN", "3/minute")
    user = make_user(app, Role.RIDER)
    codes = [_login(client, user.phone, "wrong-pass1").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    blocked = _login(client, user.phone, PASSWORD)
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "rate_limited"
    assert int(blocked.headers["Retry-After"]) > 0


def test_wrong_token_type_and_garbage_tokens_are_401(client, app):
    user = make_user(app, Role.RIDER)
    login = _login(client, user.phone, PASSWORD).get_json()
    as_refresh = client.post("/api/v1/auth/refresh",
                             headers={"Authorization": f"Bearer {login['access_token']}"})
    assert as_refresh.status_code == 401
    garbage = client.get("/api/v1/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert garbage.status_code == 401 and garbage.get_json()["error"]["code"] == "invalid_token"
