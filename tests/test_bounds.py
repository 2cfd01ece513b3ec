"""Numbers no database column can hold are bad input (400/404), never a crash (found by fuzzing)."""
from __future__ import annotations

import pytest

from tests.factories import auth_headers, make_community, make_user

HUGE = 47682921331469429243904  # > 2**63: SQLite raises OverflowError, PostgreSQL a range error
BEYOND_POSTGRES = 2**31  # fits SQLite's integers, but not PostgreSQL's INTEGER columns


@pytest.fixture
def people(app):
    community = make_community(app)
    return {role: make_user(app, role, area_code=community if role in ("rider", "grid_worker", "secretary")
                            else "640106" if role == "dispatcher" else None)
            for role in ("admin", "rider", "grid_worker", "secretary", "dispatcher")}


@pytest.mark.parametrize("role, path", [
    ("rider", f"/api/v1/reports/{HUGE}"),
    ("rider", f"/api/v1/reports/{BEYOND_POSTGRES}"),
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
    ("rider", "get", f"/api/v1/notifications?after={BEYOND_POSTGRES}", None),
    ("dispatcher", "post", "/api/v1/reports/1/dispatch", {"department_id": BEYOND_POSTGRES}),
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
    assert parameter["schema"]["type"] == "integer" and parameter["schema"]["maximum"] == 2**31 - 1


@pytest.mark.parametrize("role, method, path, body", [
    ("admin", "get", "/api/v1/areas?parent=%00", None),
    ("rider", "get", "/api/v1/leaderboards?area=I%00&period=week", None),
    ("rider", "delete", "/api/v1/push-subscriptions", {"endpoint": "https://push.example.com/\u0000"}),
    ("secretary", "post", "/api/v1/points/adjustments", {"rider_id": 1, "delta": 5, "reason": "好\u0000人"}),
    ("admin", "get", "/api/v1/areas/64%0001", None),
])
def test_nul_characters_are_refused_everywhere(client, app, people, role, method, path, body):
    response = getattr(client, method)(path, json=body, headers=auth_headers(app, people[role]))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "nul_character"


def test_nul_in_a_multipart_text_field_is_refused_but_files_may_hold_nul(client, app, people):
    import io

    from tests.images import jpeg_bytes

    headers = auth_headers(app, people["rider"])
    bad = client.post("/api/v1/reports", headers=headers, content_type="multipart/form-data",
                      data={"category": "garbage", "lat": "38.48", "lon": "106.22", "description": "a\x00b",
                            "photos": [(io.BytesIO(jpeg_bytes()), "p.jpg")]})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "nul_character"
    photo = jpeg_bytes()
    assert b"\x00" in photo  # real JPEG bytes contain NULs, and are fine
    good = client.post("/api/v1/reports", headers=headers, content_type="multipart/form-data",
                       data={"category": "garbage", "lat": "38.48", "lon": "106.22",
                             "photos": [(io.BytesIO(photo), "p.jpg")]})
    assert good.status_code == 201
