"""Reports say their status and their timeline's actions in Chinese, for clients that show them as they are."""
from __future__ import annotations

from app.reports.models import STATUS_TEXT, Status
from app.reports.workflow import ACTION_TEXT


def test_every_status_has_chinese_text():
    assert set(STATUS_TEXT) == set(Status) and all(STATUS_TEXT.values())


def test_report_and_timeline_carry_status_text(client, submit, rider_headers):
    created = submit()
    assert created.status_code == 201
    report = client.get(f"/api/v1/reports/{created.json['id']}", headers=rider_headers).json
    assert report["status_text"] == STATUS_TEXT[report["status"]]
    timeline = report["timeline"]
    assert [e["to_status_text"] for e in timeline] == [STATUS_TEXT[e["to_status"]] for e in timeline]
    assert [e["action_text"] for e in timeline] == [ACTION_TEXT[e["action"]] for e in timeline]
    assert timeline[0]["action_text"] == "上报"
    listed = client.get("/api/v1/reports", headers=rider_headers).json["items"][0]
    assert listed["status_text"] == report["status_text"]
