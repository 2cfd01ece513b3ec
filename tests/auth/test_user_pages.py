"""Users by cursor: newest first within the actor's scope; another actor's cursor is refused."""
from __future__ import annotations

from app.auth.models import Role
from tests.factories import auth_headers, make_community, make_user

HOME, OTHER = "640106001001", "640106001002"


def _walk(client, headers, **params) -> tuple[list[int], list[str]]:
    ids, cursors = [], []
    while True:
        query = {**params, **({"cursor": cursors[-1]} if cursors else {})}
        body = client.get("/api/v1/users", query_string=query, headers=headers).get_json()
        ids += [user["id"] for user in body["items"]]
        if body["next"] is None:
            return ids, cursors
        cursors.append(body["next"])


def test_a_secretary_walks_her_communitys_users_and_nobody_elses(client, app):
    make_community(app, HOME)
    make_community(app, OTHER)
    secretary = make_user(app, Role.SECRETARY, area_code=HOME)
    riders = [make_user(app, Role.RIDER, area_code=HOME if n % 2 else OTHER).id for n in range(7)]
    ids, cursors = _walk(client, auth_headers(app, secretary), per_page=2, role="rider")
    assert ids == [r for n, r in enumerate(riders) if n % 2][::-1]
    admin = make_user(app, Role.ADMIN)
    everyone, _ = _walk(client, auth_headers(app, admin), per_page=3)
    assert everyone == [admin.id, *riders[::-1], secretary.id]
    refused = client.get("/api/v1/users", query_string={"cursor": cursors[0], "role": "rider"},
                         headers=auth_headers(app, admin))
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "foreign_cursor"
