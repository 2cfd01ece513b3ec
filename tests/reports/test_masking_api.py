"""One masking rule: wherever a rider reads another rider, the name is masked (reports, timelines,
confirmations, leaderboards, notifications), while staff read it in full."""
from __future__ import annotations

import io
import re

import pytest

from app.auth.models import Role
from tests.factories import auth_headers, make_user
from tests.images import jpeg_bytes
from tests.mapdata import IN_WEST
from tests.reports.conftest import act, phone_photo

ORIGINAL_NAME, CONFIRMER_NAME = "张骑手", "欧阳娜娜"
# Rider-readable responses that are not JSON about people.
NOT_SCANNED = {"/api/v1/photos/<string:token>", "/api/v1/notifications/stream", "/api/v1/openapi.json"}


@pytest.fixture
def hazard(app, client, submit, staff, mapped):
    """A report by 张骑手, confirmed by 欧阳娜娜's duplicate, handled, resolved and evaluated."""
    original = submit(photos=[(phone_photo(seed=61), "a.jpg")]).get_json()
    confirmer = make_user(app, Role.RIDER, area_code=mapped, name=CONFIRMER_NAME)
    near = (IN_WEST[0] + 0.0002, IN_WEST[1])
    duplicate = client.post("/api/v1/reports", headers=auth_headers(app, confirmer),
                            content_type="multipart/form-data",
                            data={"category": "flying_lead_charging", "lat": str(near[0]), "lon": str(near[1]),
                                  "photos": [(io.BytesIO(phone_photo(seed=62, at=near)), "b.jpg")]}).get_json()
    assert duplicate["duplicate_of"] == original["id"]
    worker = staff["near"]
    assert act(client, app, worker, original["id"], "accept").status_code == 200
    resolved = act(client, app, worker, original["id"], "resolve",
                   data={"note": "已处置", "photo": [(io.BytesIO(jpeg_bytes(80, 60, seed=63)), "c.jpg")]})
    assert resolved.status_code == 200
    return {"original": original["id"], "duplicate": duplicate["id"], "confirmer": confirmer}


def _rider_reads(app, client, user, report_ids: list[int]) -> dict[str, str]:
    """Every JSON GET under /api/v1 the rider may read, with each report id for <int:…> parts."""
    headers = auth_headers(app, user)
    bodies = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1") or "GET" not in rule.methods or rule.rule in NOT_SCANNED:
            continue
        paths = [re.sub(r"<int:\w+>", str(i), rule.rule) for i in report_ids] if "<int:" in rule.rule \
            else [rule.rule]
        for path in paths:
            if "<" in path:
                continue  # no object of that kind is the rider's to read
            for query in ("", "?scope=community", "?scope=district", "?scope=all&period=all"):
                response = client.get(path + (query if "leaderboards" in path else ""), headers=headers)
                if response.status_code == 200:
                    bodies[path + query] = response.get_data(as_text=True)
    return bodies


def test_a_confirming_rider_never_reads_the_original_reporters_name(app, client, hazard, rider):
    confirmer = hazard["confirmer"]
    bodies = _rider_reads(app, client, confirmer, [hazard["original"], hazard["duplicate"]])
    original = client.get(f"/api/v1/reports/{hazard['original']}", headers=auth_headers(app, confirmer))
    assert original.status_code == 200  # a follower reads the original's progress ...
    assert original.get_json()["reporter"] == {"id": rider.id, "name": "张**"}  # ... without its name
    submitter = original.get_json()["timeline"][0]
    assert submitter["action"] == "submit" and submitter["actor"]["name"] == "张**"
    assert any("/leaderboards" in path for path in bodies) and any("/notifications" in path for path in bodies)
    leaks = [path for path, body in bodies.items() if ORIGINAL_NAME in body]
    assert leaks == [], leaks
    assert any(CONFIRMER_NAME in body for body in bodies.values())  # their own name they do read


def test_the_original_reporter_never_reads_the_confirmers_name(app, client, hazard, rider):
    assert act(client, app, rider, hazard["original"], "evaluate", {"rating": 5}).status_code == 200
    bodies = _rider_reads(app, client, rider, [hazard["original"], hazard["duplicate"]])
    leaks = [path for path, body in bodies.items() if CONFIRMER_NAME in body]
    assert leaks == [], leaks


def test_staff_read_riders_names_in_full(app, client, hazard, staff):
    for user in (staff["near"], staff["secretary"]):
        report = client.get(f"/api/v1/reports/{hazard['original']}", headers=auth_headers(app, user)).get_json()
        assert report["reporter"]["name"] == ORIGINAL_NAME
        assert report["timeline"][0]["actor"]["name"] == ORIGINAL_NAME
