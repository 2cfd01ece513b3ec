"""Numbers no database column can hold are bad input (400/404), never a crash (found by fuzzing)."""
from __future__ import annotations

import pytest

from app.auth.models import Role
from tests.factories import auth_headers, make_community, make_user

HUGE = 47682921331469429243904  # > 2**63: SQLite raises OverflowError, PostgreSQL a range error


@pytest.fixture
def people(app):
    community = make_community(app)
    return {role: make_user(app, role, area_code=community if role in ("rider", "grid_worker", "secretary")
                            else "640106" if role == "dispatcher" else None)
            for role in ("admin", "rider", "grid_worker", "secretary", "dispatcher")}


@pytest.mark.parametrize("role, path", [
    ("rider", f"/api/v1/reports/{HUGE}"),
    ("admin", f"/api/v1/users/{HUGE}/approve"),
    ("grid_worker", f"/api/v1/reports/{HUGE}/accept"),
])
def test_huge_ids_in_the_path_are_404(client, app, people, role, path):
    method = client.get if path.startswith("/api/v1/reports/") and path.count("/") == 4 else client.post
    response = method(path, headers=auth_headers(app, people[role]))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("role, method, path, body", [
    ("rider", "get", f"/api/v1/notifications?after={HUGE}", None),
    ("dispatcher", "post", "/api/v1/reports/1/dispatch", {"department_id": HUGE}),
    ("grid_worker", "post", "/api/v1/reports/1/reject", {"reason": "duplicate", "duplicate_of": HUGE}),
    ("admin", "put", "/api/v1/areas/640106001001/workers", {"user_ids": [HUGE]}),
    ("secretary", "post", "/api/v1/points/adjustments", {"rider_id": HUGE, "delta": 5, "reason": "好人好事"}),
])
def test_huge_ids_in_the_input_are_400(client, app, people, role, method, path, body):
    response = getattr(client, method)(path, json=body, headers=auth_headers(app, people[role]))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_the_openapi_document_says_path_ids_are_integers(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    [parameter] = spec["paths"]["/api/v1/reports/{report_id}"]["parameters"]
    assert parameter["schema"]["type"] == "integer" and parameter["schema"]["maximum"] == 2**63 - 1
