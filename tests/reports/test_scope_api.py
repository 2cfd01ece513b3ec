"""Object-level scope of report actions: links by id stay inside the actor's area (duplicate_of,
department_id), and nobody learns a report's state before they may see it."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from app.auth.models import Role
from tests.factories import auth_headers, make_user
from tests.mapdata import (
    FAR_COMMUNITY,
    IN_FAR_COMMUNITY,
    IN_OTHER_COMMUNITY,
    OTHER_COMMUNITY,
    OTHER_DISTRICT,
    OUTSIDE,
    load_wider_map,
)
from tests.reports.conftest import act, phone_photo


@pytest.fixture
def world(app, client, mapped, staff, submit):
    """A report assigned in our community, and reports of the same hazard kind elsewhere."""
    load_wider_map(app)
    riders = {code: make_user(app, Role.RIDER, area_code=code, name=f"骑手{code[-3:]}")
              for code in (OTHER_COMMUNITY, FAR_COMMUNITY)}

    def report_by(rider, at, seed):
        response = client.post("/api/v1/reports", headers=auth_headers(app, rider),
                               content_type="multipart/form-data",
                               data={"category": "flying_lead_charging", "lat": str(at[0]), "lon": str(at[1]),
                                     "photos": [(io.BytesIO(phone_photo(seed=seed, at=at)), "p.jpg")]})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    assigned = submit(photos=[(phone_photo(seed=1), "a.jpg")]).get_json()
    assert assigned["assigned_to"]["id"] == staff["near"].id
    return {
        "assigned": assigned["id"],
        "other_community": report_by(riders[OTHER_COMMUNITY], IN_OTHER_COMMUNITY, 2)["id"],
        "other_district": report_by(riders[FAR_COMMUNITY], IN_FAR_COMMUNITY, 3)["id"],
        "riders": riders,
    }


def _status(app, client, report_id, user):
    return client.get(f"/api/v1/reports/{report_id}", headers=auth_headers(app, user)).get_json()["status"]


def test_a_worker_cannot_link_a_report_of_another_community(app, client, staff, rider, world):
    rejected = act(client, app, staff["near"], world["assigned"], "reject",
                   {"reason": "duplicate", "duplicate_of": world["other_community"]})
    assert rejected.status_code == 422 and rejected.get_json()["error"]["code"] == "invalid_duplicate_of"
    assert _status(app, client, world["assigned"], staff["near"]) == "assigned"  # nothing changed
    # ... so the rider does not come to follow (and read) the other community's report
    other = client.get(f"/api/v1/reports/{world['other_community']}", headers=auth_headers(app, rider))
    assert other.status_code == 403


def test_a_dispatcher_cannot_link_a_report_of_another_district(app, client, staff, world):
    act(client, app, staff["near"], world["assigned"], "escalate", {"reason": "需要部门"})
    far = act(client, app, staff["dispatcher"], world["assigned"], "reject",
              {"reason": "duplicate", "duplicate_of": world["other_district"]})
    assert far.status_code == 422 and far.get_json()["error"]["code"] == "invalid_duplicate_of"
    assert _status(app, client, world["assigned"], staff["dispatcher"]) == "escalated"
    # Within the district (another community of it) a dispatcher may link.
    near = act(client, app, staff["dispatcher"], world["assigned"], "reject",
               {"reason": "duplicate", "duplicate_of": world["other_community"]})
    assert near.status_code == 200 and near.get_json()["duplicate_of"] == world["other_community"]


def test_an_original_must_be_the_same_kind_and_still_live(app, client, submit, staff, world, monkeypatch):
    from tests.mapdata import IN_EAST

    garbage = submit(at=IN_EAST, category="garbage", photos=[(phone_photo(seed=4, at=IN_EAST), "g.jpg")])
    other_kind = act(client, app, staff["near"], world["assigned"], "reject",
                     {"reason": "duplicate", "duplicate_of": garbage.get_json()["id"]})
    assert other_kind.status_code == 422 and other_kind.get_json()["error"]["details"]["why"] == "other_category"
    # A rejected report is no original; neither is one closed long ago.
    same = submit(at=IN_EAST, photos=[(phone_photo(seed=5, at=IN_EAST), "s.jpg")]).get_json()
    worker = staff["near"] if same["assigned_to"]["id"] == staff["near"].id else staff["far"]
    assert act(client, app, worker, same["id"], "reject", {"reason": "invalid"}).status_code == 200
    dead = act(client, app, staff["near"], world["assigned"], "reject",
               {"reason": "duplicate", "duplicate_of": same["id"]})
    assert dead.status_code == 422 and dead.get_json()["error"]["details"]["why"] == "not_open"
    assert _status(app, client, world["assigned"], staff["near"]) == "assigned"


def test_an_unrouted_report_goes_only_to_a_department_of_the_dispatchers_district(app, client, submit, staff):
    load_wider_map(app)
    unrouted = submit(at=OUTSIDE, photos=[(phone_photo(seed=6, at=OUTSIDE), "o.jpg")]).get_json()
    assert unrouted["status"] == "escalated"
    elsewhere = make_user(app, Role.DEPARTMENT, area_code=OTHER_DISTRICT)
    refused = act(client, app, staff["dispatcher"], unrouted["id"], "dispatch", {"department_id": elsewhere.id})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_a_department"
    assert _status(app, client, unrouted["id"], staff["dispatcher"]) == "escalated"
    ok = act(client, app, staff["dispatcher"], unrouted["id"], "dispatch",
             {"department_id": staff["department"].id})
    assert ok.status_code == 200 and ok.get_json()["status"] == "dispatched"


@pytest.mark.parametrize("action, body", [
    ("accept", None), ("decline", {"reason": "x"}), ("escalate", {"reason": "x"}),
    ("reject", {"reason": "invalid"}),
])
def test_a_worker_elsewhere_cannot_probe_a_reports_state(app, client, staff, world, action, body):
    outsider = make_user(app, Role.GRID_WORKER, area_code=OTHER_COMMUNITY)
    act(client, app, staff["near"], world["assigned"], "accept")  # now in a state where `accept` conflicts
    probe = act(client, app, outsider, world["assigned"], action, body)
    assert probe.status_code == 403, probe.get_json()
    error = probe.get_json()["error"]
    assert error["code"] == "not_your_report" and "status" not in error["details"]
    missing = act(client, app, outsider, 2_000_000, action, body)
    assert missing.status_code == 404


def test_riders_cannot_probe_others_reports(app, client, staff, world):
    stranger = world["riders"][OTHER_COMMUNITY]
    for action, body in (("evaluate", {"rating": 5}), ("reopen", {"reason": "x"})):
        probe = act(client, app, stranger, world["assigned"], action, body)
        assert probe.status_code == 403 and "status" not in probe.get_json()["error"]["details"]


def test_a_closed_original_stays_linkable_for_72_hours(app, client, staff, world, monkeypatch):
    from app.common import clock
    from app.extensions import db
    from app.reports.models import Report

    with app.app_context():
        original = db.session.get(Report, world["other_community"])
        original.status, original.closed_at = "closed", datetime.now(timezone.utc) - timedelta(hours=1)
        original.community_code = db.session.get(Report, world["assigned"]).community_code
        db.session.commit()
    later = datetime.now(timezone.utc) + timedelta(hours=72)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    stale = act(client, app, staff["near"], world["assigned"], "reject",
                {"reason": "duplicate", "duplicate_of": world["other_community"]})
    assert stale.status_code == 422
    monkeypatch.undo()
    fresh = act(client, app, staff["near"], world["assigned"], "reject",
                {"reason": "duplicate", "duplicate_of": world["other_community"]})
    assert fresh.status_code == 200
