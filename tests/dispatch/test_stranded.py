"""Nothing is ever stranded, through HTTP: a rejected original's followers, going off duty, disabled
accounts, and the sweep's repair of whatever else breaks the rule."""
from __future__ import annotations

import io

from sqlalchemy import update

from app.auth.models import Role, User, UserStatus
from app.extensions import db
from tests.factories import auth_headers, make_user
from tests.images import jpeg_bytes
from tests.mapdata import IN_WEST
from tests.reports.conftest import act, phone_photo

NEARBY = (IN_WEST[0] + 0.00018, IN_WEST[1])  # 20 m north: the same hazard


def _submit_as(client, app, rider, *, at, seed, category="flying_lead_charging"):
    form = {"category": category, "lat": str(at[0]), "lon": str(at[1]),
            "photos": [(io.BytesIO(phone_photo(seed=seed, at=at)), "p.jpg")]}
    response = client.post("/api/v1/reports", headers=auth_headers(app, rider), data=form,
                           content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _read(client, app, user, report_id):
    return client.get(f"/api/v1/reports/{report_id}", headers=auth_headers(app, user)).get_json()


def _inbox(client, app, user):
    return client.get("/api/v1/notifications", headers=auth_headers(app, user)).get_json()["items"]


def _sweep(app) -> str:
    result = app.test_cli_runner().invoke(args=["sla", "sweep"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _a_hazard_and_its_duplicate(client, app, rider, mapped):
    other_rider = make_user(app, Role.RIDER, area_code=mapped, name="李骑手")
    original = _submit_as(client, app, rider, at=IN_WEST, seed=1)
    follower = _submit_as(client, app, other_rider, at=NEARBY, seed=2)
    assert follower["status"] == "submitted" and follower["duplicate_of"] == original["id"]
    return original, follower, other_rider


# --- rejecting an original -------------------------------------------------------------------------


def test_rejecting_an_original_routes_its_follower_on_its_own(client, app, rider, mapped, staff):
    original, follower, other_rider = _a_hazard_and_its_duplicate(client, app, rider, mapped)
    rejected = act(client, app, staff["near"], original["id"], "reject", {"reason": "invalid"})
    assert rejected.status_code == 200
    moved = _read(client, app, other_rider, follower["id"])
    assert moved["status"] == "assigned" and moved["duplicate_of"] is None
    assert [e["action"] for e in moved["timeline"]] == ["submit", "detach", "assign"]
    assert moved["assigned_to"]["id"] == staff["near"].id  # routed as any report: to the nearest
    # Each rider hears about their own report: the first that it was not accepted, the second
    # that theirs goes on by itself, never "未受理" about the other one's.
    first_told = [(n["report_id"], n["title"]) for n in _inbox(client, app, rider)]
    second_told = _inbox(client, app, other_rider)
    assert [report_id for report_id, _ in first_told] == [original["id"]] and "未受理" in first_told[0][1]
    assert [n["report_id"] for n in second_told] == [follower["id"]]
    assert "未受理" not in second_told[0]["title"] and "单独处理" in second_told[0]["body"]
    assert [(n["kind"], n["report_id"]) for n in _inbox(client, app, staff["near"])] == [
        ("assigned", original["id"]), ("assigned", follower["id"])]


def test_rejecting_an_original_as_a_duplicate_hands_its_followers_to_the_earlier_report(
        client, app, rider, mapped, staff):
    earlier = _submit_as(client, app, rider, at=(IN_WEST[0] + 0.003, IN_WEST[1]), seed=9)
    original, follower, other_rider = _a_hazard_and_its_duplicate(client, app, rider, mapped)
    response = act(client, app, staff["near"], original["id"], "reject",
                   {"reason": "duplicate", "duplicate_of": earlier["id"]})
    assert response.status_code == 200
    moved = _read(client, app, other_rider, follower["id"])
    assert moved["status"] == "submitted" and moved["duplicate_of"] == earlier["id"]
    assert [n["report_id"] for n in _inbox(client, app, other_rider)] == [follower["id"]]


def test_closing_an_original_still_closes_its_followers(client, app, rider, mapped, staff):
    original, follower, other_rider = _a_hazard_and_its_duplicate(client, app, rider, mapped)
    act(client, app, staff["near"], original["id"], "accept")
    act(client, app, staff["near"], original["id"], "resolve",
        data={"photo": [(io.BytesIO(jpeg_bytes(seed=3)), "after.jpg")]})
    assert act(client, app, rider, original["id"], "evaluate", {"rating": 5}).status_code == 200
    assert _read(client, app, other_rider, follower["id"])["status"] == "closed"


# --- off duty, disabled accounts ---------------------------------------------------------------------


def test_going_off_duty_hands_back_what_is_not_accepted_yet(client, app, rider, mapped, staff):
    waiting = _submit_as(client, app, rider, at=IN_WEST, seed=1)
    taken = _submit_as(client, app, rider, at=(IN_WEST[0], IN_WEST[1] + 0.001), seed=2)
    assert waiting["assigned_to"]["id"] == taken["assigned_to"]["id"] == staff["near"].id
    assert act(client, app, staff["near"], taken["id"], "accept").status_code == 200
    off = client.put("/api/v1/me/duty", headers=auth_headers(app, staff["near"]), json={"on_duty": False})
    assert off.status_code == 200 and off.get_json()["on_duty"] is False
    handed = _read(client, app, staff["secretary"], waiting["id"])
    assert handed["status"] == "assigned" and handed["assigned_to"]["id"] == staff["far"].id
    assert [e["action"] for e in handed["timeline"]][-2:] == ["hand_back", "assign"]
    assert _read(client, app, staff["secretary"], taken["id"])["status"] == "accepted"  # theirs to finish
    assert [n["kind"] for n in _inbox(client, app, staff["far"])] == ["assigned"]


def test_going_off_duty_with_nobody_else_sends_it_to_the_district(client, app, rider, mapped, staff):
    client.put("/api/v1/me/duty", headers=auth_headers(app, staff["far"]), json={"on_duty": False})
    waiting = _submit_as(client, app, rider, at=IN_WEST, seed=1)
    client.put("/api/v1/me/duty", headers=auth_headers(app, staff["near"]), json={"on_duty": False})
    assert _read(client, app, staff["dispatcher"], waiting["id"])["status"] == "escalated"
    assert [n["kind"] for n in _inbox(client, app, staff["dispatcher"])] == ["escalated"]


def test_disabling_a_grid_worker_moves_all_their_open_reports_on(client, app, rider, mapped, staff):
    waiting = _submit_as(client, app, rider, at=IN_WEST, seed=1)
    taken = _submit_as(client, app, rider, at=(IN_WEST[0], IN_WEST[1] + 0.001), seed=2)
    act(client, app, staff["near"], taken["id"], "accept")
    response = client.post(f"/api/v1/users/{staff['near'].id}/disable",
                           headers=auth_headers(app, staff["secretary"]))
    assert response.status_code == 200 and response.get_json()["status"] == "disabled"
    for report in (waiting, taken):
        moved = _read(client, app, staff["secretary"], report["id"])
        assert moved["status"] == "assigned" and moved["assigned_to"]["id"] == staff["far"].id, moved
    assert _sweep(app).endswith("repaired 0")


def test_disabling_a_department_sends_its_reports_back_to_the_district(client, app, rider, mapped, staff):
    report = _submit_as(client, app, rider, at=IN_WEST, seed=1)
    act(client, app, staff["near"], report["id"], "escalate", {"reason": "需要部门"})
    act(client, app, staff["dispatcher"], report["id"], "dispatch", {"department_id": staff["department"].id})
    admin = make_user(app, Role.ADMIN)
    response = client.post(f"/api/v1/users/{staff['department'].id}/disable", headers=auth_headers(app, admin))
    assert response.status_code == 200
    back = _read(client, app, staff["dispatcher"], report["id"])
    assert back["status"] == "escalated" and back["timeline"][-1]["action"] == "recall"
    assert [n["kind"] for n in _inbox(client, app, staff["dispatcher"])] == ["escalated", "escalated"]
    assert "dispatch" in back["actions"]


# --- the sweep repairs -----------------------------------------------------------------------------


def test_the_sweep_repairs_and_counts_what_breaks_the_rule(client, app, rider, mapped, staff):
    held = _submit_as(client, app, rider, at=IN_WEST, seed=1)
    escalated = _submit_as(client, app, rider, at=(IN_WEST[0], IN_WEST[1] + 0.001), seed=2)
    act(client, app, staff["near"], escalated["id"], "escalate", {"reason": "需要部门"})
    act(client, app, staff["dispatcher"], escalated["id"], "dispatch", {"department_id": staff["department"].id})
    with app.app_context():  # accounts disabled behind the service's back (a crash between two commits)
        db.session.execute(update(User).where(User.id.in_([staff["near"].id, staff["department"].id]))
                           .values(status=UserStatus.DISABLED))
        db.session.commit()
    assert _sweep(app) == "reassigned 0, escalated 0, overdue 0, closed 0, repaired 2"
    assert _read(client, app, staff["secretary"], held["id"])["assigned_to"]["id"] == staff["far"].id
    assert _read(client, app, staff["dispatcher"], escalated["id"])["status"] == "escalated"
    assert _sweep(app).endswith("repaired 0")


def test_the_sweep_routes_a_follower_left_behind(client, app, rider, mapped, staff):
    original, follower, other_rider = _a_hazard_and_its_duplicate(client, app, rider, mapped)
    with app.app_context():  # as the code before this rule left them: rejected, the follower waiting
        from app.reports.models import Report

        db.session.execute(update(Report).where(Report.id == original["id"]).values(status="rejected"))
        db.session.commit()
    assert _sweep(app).endswith("repaired 1")
    moved = _read(client, app, other_rider, follower["id"])
    assert moved["status"] == "assigned" and moved["duplicate_of"] is None
    assert moved["timeline"][-2]["action"] == "detach"
