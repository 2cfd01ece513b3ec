"""Admins issue integration keys: shown once, stored hashed, scoped to an area, disabled at once."""
from __future__ import annotations

import pytest

from app.auth.models import Role
from app.extensions import db
from app.integrations.models import Integration
from tests.factories import auth_headers, make_user
from tests.mapdata import COMMUNITY


def test_key_is_shown_once_and_stored_only_as_its_hash(client, app, mapped, issue, admin_headers):
    issued = issue(callback_url="http://127.0.0.1:9/cb")
    assert issued["api_key"].startswith("gs_") and len(issued["api_key"]) > 40
    assert issued["callback_secret"] and issued["area_code"] == COMMUNITY and issued["active"]
    with app.app_context():
        row = db.session.get(Integration, issued["id"])
        stored = [str(getattr(row, c.key)) for c in Integration.__table__.columns]
        assert all(issued["api_key"] not in value for value in stored)
    listed = client.get("/api/v1/integrations", headers=admin_headers).get_json()
    assert [i["id"] for i in listed["items"]] == [issued["id"]]
    assert "api_key" not in listed["items"][0] and "callback_secret" not in listed["items"][0]


@pytest.mark.parametrize("body, status", [
    ({"name": "x", "area_code": "999999"}, 404),
    ({"name": "", "area_code": COMMUNITY}, 400),
    ({"name": "x"}, 400),
    ({"name": "x", "area_code": COMMUNITY, "callback_url": "ftp://127.0.0.1/cb"}, 400),
    ({"name": "x", "area_code": COMMUNITY, "callback_url": "not a url"}, 400),
])
def test_bad_integration_bodies_are_refused_and_create_nothing(client, app, mapped, admin_headers,
                                                                body, status):
    assert client.post("/api/v1/integrations", json=body, headers=admin_headers).status_code == status
    with app.app_context():
        assert db.session.query(Integration).count() == 0


@pytest.mark.parametrize("role", [Role.RIDER, Role.GRID_WORKER, Role.SECRETARY, Role.DISPATCHER])
def test_only_admins_manage_integrations(client, app, mapped, role):
    headers = auth_headers(app, make_user(app, role, area_code=COMMUNITY))
    assert client.post("/api/v1/integrations", json={"name": "x", "area_code": COMMUNITY},
                       headers=headers).status_code == 403
    assert client.get("/api/v1/integrations", headers=headers).status_code == 403
    assert client.patch("/api/v1/integrations/1", json={"active": False}, headers=headers).status_code == 403


def test_a_disabled_key_stops_working_at_once(client, mapped, issue, admin_headers):
    issued = issue()
    url = f"/open311/v2/requests.json?api_key={issued['api_key']}"
    assert client.get(url).status_code == 200
    patched = client.patch(f"/api/v1/integrations/{issued['id']}", json={"active": False},
                           headers=admin_headers)
    assert patched.status_code == 200 and patched.get_json()["active"] is False
    refused = client.get(url)
    assert refused.status_code == 403 and refused.get_json()[0]["code"] == 403
    assert client.patch("/api/v1/integrations/999", json={"active": False},
                        headers=admin_headers).status_code == 404
