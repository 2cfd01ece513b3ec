"""Deadlines: `flask sla sweep` reassigns, escalates, flags overdue and auto-closes — once."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from app.common import clock
from tests.factories import auth_headers
from tests.images import jpeg_bytes
from tests.reports.conftest import act


@pytest.fixture
def later(monkeypatch):
    def _move(**delta):  # type: ignore[no-untyped-def]
        moment = datetime.now(timezone.utc) + timedelta(**delta)
        monkeypatch.setattr(clock, "utcnow", lambda: moment)
        return moment
    return _move


def _sweep(app) -> str:
    result = app.test_cli_runner().invoke(args=["sla", "sweep"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _get(client, app, user, report_id):
    return client.get(f"/api/v1/reports/{report_id}", headers=auth_headers(app, user)).get_json()


def _phones_report_positions(put_on_duty, staff):
    from tests.mapdata import IN_WEST

    put_on_duty(staff["near"], (IN_WEST[0] + 0.0005, IN_WEST[1]))
    put_on_duty(staff["far"], (IN_WEST[0] + 0.002, IN_WEST[1]))


def test_unaccepted_report_moves_on_then_goes_up(app, client, submit, staff, later, put_on_duty):
    report = submit().get_json()  # 飞线充电: accept within 15 minutes
    assert _sweep(app) == "reassigned 0, escalated 0, overdue 0, closed 0, repaired 0"
    later(minutes=16)
    _phones_report_positions(put_on_duty, staff)
    assert _sweep(app).startswith("reassigned 1")
    moved = _get(client, app, staff["far"], report["id"])
    assert moved["assigned_to"]["id"] == staff["far"].id and moved["status"] == "assigned"
    later(minutes=40)
    _phones_report_positions(put_on_duty, staff)
    _sweep(app)
    assert _get(client, app, staff["dispatcher"], report["id"])["status"] == "escalated"
    assert _sweep(app) == "reassigned 0, escalated 0, overdue 0, closed 0, repaired 0"


def test_accepted_but_unresolved_past_deadline_is_escalated(app, client, submit, staff, later):
    report = submit().get_json()
    act(client, app, staff["near"], report["id"], "accept")
    later(hours=5)  # 飞线充电 must be handled within 4 hours
    assert _sweep(app) == "reassigned 0, escalated 1, overdue 0, closed 0, repaired 0"
    assert _get(client, app, staff["dispatcher"], report["id"])["status"] == "escalated"


def test_late_department_is_flagged_once(app, client, submit, staff, later):
    report = submit().get_json()
    act(client, app, staff["near"], report["id"], "escalate", {"reason": "需要部门"})
    act(client, app, staff["dispatcher"], report["id"], "dispatch", {"department_id": staff["department"].id})
    later(hours=5)
    assert _sweep(app) == "reassigned 0, escalated 0, overdue 1, closed 0, repaired 0"
    assert _sweep(app) == "reassigned 0, escalated 0, overdue 0, closed 0, repaired 0"
    inbox = client.get("/api/v1/notifications?after=0", headers=auth_headers(app, staff["department"]))
    assert [n["kind"] for n in inbox.get_json()["items"]] == ["dispatched", "deadline_missed"]


def test_resolved_and_not_evaluated_closes_after_seven_days(app, client, submit, staff, rider, later):
    report = submit().get_json()
    act(client, app, staff["near"], report["id"], "accept")
    act(client, app, staff["near"], report["id"], "resolve",
        data={"photo": [(io.BytesIO(jpeg_bytes(seed=3)), "after.jpg")]})
    later(days=6)
    assert _sweep(app).endswith("closed 0, repaired 0")
    later(days=8)
    assert _sweep(app).endswith("closed 1, repaired 0")
    closed = _get(client, app, rider, report["id"])
    assert closed["status"] == "closed" and closed["timeline"][-1]["action"] == "auto_close"
