"""Staff accounts and invites: who may create whom, where."""
from __future__ import annotations

import pytest

from app.auth.models import Role
from tests.factories import auth_headers, make_community, make_user

HOME, OTHER, DISTRICT = "640106001001", "640106001002", "640106"


@pytest.fixture
def world(app):
    make_community(app, HOME)
    make_community(app, OTHER)
    return {
        "admin": make_user(app, Role.ADMIN),
        "secretary": make_user(app, Role.SECRETARY, area_code=HOME),
        "grid_worker": make_user(app, Role.GRID_WORKER, area_code=HOME),
        "rider": make_user(app, Role.RIDER, area_code=HOME),
        "dispatcher": make_user(app, Role.DISPATCHER, area_code=DISTRICT),
        "department": make_user(app, Role.DEPARTMENT, area_code=DISTRICT),
    }


def _create(client, app, actor, **body):
    payload = {"phone": "13600000001", "password": "abc12345", "name": "新同事", **body}
    return client.post("/api/v1/users", json=payload, headers=auth_headers(app, actor))


@pytest.mark.parametrize("actor, body, status", [
    ("admin", {"role": "grid_worker", "area_code": HOME}, 201),
    ("admin", {"role": "secretary", "area_code": OTHER}, 201),
    ("admin", {"role": "dispatcher", "area_code": DISTRICT}, 201),
    ("admin", {"role": "department", "area_code": DISTRICT}, 201),
    ("admin", {"role": "admin"}, 201),
    ("admin", {"role": "dispatcher", "area_code": HOME}, 422),  # a dispatcher belongs to a district
    ("admin", {"role": "grid_worker"}, 422),
    ("admin", {"role": "grid_worker", "area_code": "nowhere"}, 422),
    ("admin", {"role": "rider", "area_code": HOME}, 400),
    ("secretary", {"role": "grid_worker", "area_code": HOME}, 201),
    ("secretary", {"role": "grid_worker"}, 201),
    ("secretary", {"role": "grid_worker", "area_code": OTHER}, 403),
    ("secretary", {"role": "secretary", "area_code": HOME}, 403),
    ("grid_worker", {"role": "grid_worker", "area_code": HOME}, 403),
    ("rider", {"role": "grid_worker", "area_code": HOME}, 403),
    ("dispatcher", {"role": "department", "area_code": DISTRICT}, 403),
    ("department", {"role": "department", "area_code": DISTRICT}, 403),
])
def test_who_may_create_staff(client, app, world, actor, body, status):
    response = _create(client, app, world[actor], **body)
    assert response.status_code == status, response.get_json()
    created = client.post("/api/v1/auth/login", json={"phone": "13600000001", "password": "abc12345"})
    assert created.status_code == (200 if status == 201 else 401)
    if status == 201:
        user = response.get_json()
        assert user["role"] == body["role"] and user["status"] == "active"
        if actor == "secretary":
            assert user["area_code"] == HOME


def test_staff_list_is_scoped_to_the_secretarys_community(client, app, world):
    make_user(app, Role.RIDER, area_code=OTHER)
    listed = client.get("/api/v1/users?per_page=100", headers=auth_headers(app, world["secretary"]))
    assert listed.status_code == 200
    assert {u["area_code"] for u in listed.get_json()["items"]} == {HOME}
    everyone = client.get("/api/v1/users?per_page=100", headers=auth_headers(app, world["admin"]))
    assert everyone.get_json()["total"] == 7


@pytest.mark.parametrize("actor, community, status", [
    ("secretary", HOME, 201), ("admin", OTHER, 201), ("secretary", OTHER, 403),
    ("grid_worker", HOME, 403), ("rider", HOME, 403), ("admin", DISTRICT, 422),
])
def test_who_may_issue_invites(client, app, world, actor, community, status):
    response = client.post(f"/api/v1/communities/{community}/invites", json={},
                           headers=auth_headers(app, world[actor]))
    assert response.status_code == status


@pytest.mark.parametrize("body", [{"max_uses": 0}, {"max_uses": "many"}, {"expires_in_days": 1000},
                                  {"unexpected": 1}])
def test_invite_arguments_are_checked(client, app, world, body):
    response = client.post(f"/api/v1/communities/{HOME}/invites", json=body,
                           headers=auth_headers(app, world["secretary"]))
    assert response.status_code == 400


def test_a_secretary_sees_her_live_invites_and_revokes_one(client, app, world):
    secretary = auth_headers(app, world["secretary"])

    def issue(**body) -> str:
        response = client.post(f"/api/v1/communities/{HOME}/invites", json=body, headers=secretary)
        assert response.status_code == 201
        return response.get_json()["invite_code"]

    poster, group, single = issue(max_uses=50), issue(max_uses=10), issue(max_uses=1)
    admin_code = client.post(f"/api/v1/communities/{OTHER}/invites", json={},
                             headers=auth_headers(app, world["admin"])).get_json()["invite_code"]
    joined = client.post("/api/v1/auth/register", json={
        "phone": "13800001111", "password": "abc12345", "name": "新骑手", "invite_code": single})
    assert joined.status_code == 201  # its only seat is taken: it no longer lets anyone in

    listed = client.get(f"/api/v1/communities/{HOME}/invites", headers=secretary).get_json()["items"]
    assert [i["invite_code"] for i in listed] == [group, poster]  # newest first; not the used-up one
    assert admin_code not in {i["invite_code"] for i in listed}

    revoked = client.post(f"/api/v1/communities/{HOME}/invites/{poster.lower()}/revoke", headers=secretary)
    assert revoked.status_code == 200 and revoked.get_json()["invite_code"] == poster
    late = client.post("/api/v1/auth/register", json={
        "phone": "13800002222", "password": "abc12345", "name": "晚到的骑手", "invite_code": poster})
    assert late.status_code == 422 and late.get_json()["error"]["code"] == "invalid_invite_code"
    listed = client.get(f"/api/v1/communities/{HOME}/invites", headers=secretary).get_json()["items"]
    assert [i["invite_code"] for i in listed] == [group]
    again = client.post(f"/api/v1/communities/{HOME}/invites/{poster}/revoke", headers=secretary)
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "invite_not_found"
    # Another community's code is not hers to see or end.
    assert client.get(f"/api/v1/communities/{OTHER}/invites", headers=secretary).status_code == 403
    assert client.post(f"/api/v1/communities/{OTHER}/invites/{admin_code}/revoke",
                       headers=secretary).status_code == 403


def test_cli_creates_the_first_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--phone", "13500000000", "--password", "Admin1234",
                                 "--name", "管理员"])
    assert result.exit_code == 0, result.output
    assert app.test_client().post("/api/v1/auth/login", json={
        "phone": "13500000000", "password": "Admin1234"}).get_json()["user"]["role"] == "admin"
    again = runner.invoke(args=["users", "create", "--phone", "13500000000", "--password", "x1234567",
                                "--name", "x"])
    assert again.exit_code != 0


@pytest.mark.parametrize("target_role, status", [
    ("rider", 200), ("grid_worker", 200),  # the secretary's own community members
    ("secretary", 403), ("dispatcher", 403), ("department", 403), ("admin", 403),
])
def test_a_secretary_manages_only_riders_and_workers_of_her_community(client, app, world, target_role, status):
    area = {"dispatcher": DISTRICT, "department": DISTRICT, "admin": None}.get(target_role, HOME)
    target = make_user(app, target_role, area_code=area)
    headers = auth_headers(app, world["secretary"])
    for action in ("disable", "enable"):
        response = client.post(f"/api/v1/users/{target.id}/{action}", headers=headers)
        assert response.status_code == status, (action, response.get_json())
    if status == 403:
        assert client.get("/api/v1/me", headers=auth_headers(app, target)).status_code == 200  # untouched


def test_a_secretary_cannot_disable_a_fellow_secretary(client, app, world):
    fellow = make_user(app, Role.SECRETARY, area_code=HOME)
    response = client.post(f"/api/v1/users/{fellow.id}/disable", headers=auth_headers(app, world["secretary"]))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "outside_your_area"
    assert client.get("/api/v1/me", headers=auth_headers(app, fellow)).status_code == 200
    by_admin = client.post(f"/api/v1/users/{fellow.id}/disable", headers=auth_headers(app, world["admin"]))
    assert by_admin.status_code == 200 and by_admin.get_json()["status"] == "disabled"


def test_a_secretary_cannot_approve_or_manage_another_communitys_rider(client, app, world):
    stranger = make_user(app, Role.RIDER, area_code=OTHER, status="pending")
    headers = auth_headers(app, world["secretary"])
    for action in ("approve", "disable", "enable"):
        assert client.post(f"/api/v1/users/{stranger.id}/{action}", headers=headers).status_code == 403
