"""Reports say their status in Chinese (status_text), for clients that show it as it is."""
from __future__ import annotations

from app.reports.models import STATUS_TEXT, Status


def test_every_status_has_chinese_text():
    assert set(STATUS_TEXT) == set(Status) and all(STATUS_TEXT.values())


def test_report_and_timeline_carry_status_text(client, submit, rider_headers):
    created = submit()
    assert created.status_code == 201
    report = client.get(f"/api/v1/reports/{created.json['id']}", headers=rider_headers).json
    assert report["status_text"] == STATUS_TEXT[report["status"]]
    timeline = report["timeline"]
    assert [e["to_status_text"] for e in timeline] == [STATUS_TEXT[e["to_status"]] for e in timeline]
    listed = client.get("/api/v1/reports", headers=rider_headers).json["items"][0]
    assert listed["status_text"] == report["status_text"]
