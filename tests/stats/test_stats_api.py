"""Statistics of a known set of reports: counts, deadline share, medians, top reporters, scoping."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.auth.models import Role
from app.common import clock
from tests.factories import auth_headers, make_area, make_user
from tests.points.factories import (
    ACROSS,
    DISTRICT,
    FAR,
    HOME,
    NEIGHBOUR,
    STREET,
    make_report,
    make_rider,
    make_world,
)

T = datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc)
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}


def _minutes(value: int) -> datetime:
    return T + timedelta(minutes=value)


@pytest.fixture
def dataset(app):
    make_world(app)
    a, b, c, d = (make_rider(app, name) for name in ("张三", "李四", "王五", "赵六"))
    rows = [  # reporter, category (resolve hours), community, status, accepted, resolved (minutes after T)
        (a, "streetlight_out", HOME, "resolved", 10, 120),  # 72 h: within
        (a, "flying_lead_charging", HOME, "resolved", 20, 300),  # 4 h: late
        (b, "garbage", HOME, "accepted", 30, None),
        (b, "garbage", HOME, "submitted", None, None),
        (a, "other", HOME, "rejected", None, None),
        (c, "road_damage", HOME, "closed", 40, 600),  # 24 h: within
        (c, "streetlight_out", NEIGHBOUR, "dispatched", None, None),
        (d, "garbage", ACROSS, "submitted", None, None),
        (d, "streetlight_out", FAR, "resolved", 100, 60),
    ]
    for reporter, category, community, status, accepted, resolved in rows:
        make_report(app, reporter, category=category, community=community, status=status, created_at=T,
                    accepted_at=_minutes(accepted) if accepted is not None else None,
                    resolved_at=_minutes(resolved) if resolved is not None else None)
    # China days: 31 Oct 23:59 is outside November, 1 Nov 00:00 inside.
    make_report(app, a, community=HOME, created_at=datetime(2026, 10, 31, 15, 59, tzinfo=timezone.utc))
    make_report(app, b, community=HOME, created_at=datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc))
    return {"a": a, "b": b, "c": c, "d": d}


@pytest.fixture
def staff(app, dataset):
    return {
        "secretary": make_user(app, Role.SECRETARY, area_code=HOME),
        "dispatcher": make_user(app, Role.DISPATCHER, area_code=DISTRICT),
        "admin": make_user(app, Role.ADMIN),
        "grid_worker": make_user(app, Role.GRID_WORKER, area_code=HOME),
    }


def _stats(client, app, user, **params):
    return client.get("/api/v1/stats", query_string=params, headers=auth_headers(app, user))


def test_a_secretary_sees_her_communitys_numbers(client, app, dataset, staff):
    response = _stats(client, app, staff["secretary"], **NOVEMBER)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["area"]["code"], body["from"], body["to"], body["total"]) == (HOME, "2026-11-01",
                                                                               "2026-11-30", 7)
    assert {k: v for k, v in body["by_status"].items() if v} == {
        "resolved": 2, "accepted": 1, "submitted": 2, "rejected": 1, "closed": 1}
    assert body["by_status"]["escalated"] == 0
    assert [(c["code"], c["count"]) for c in body["by_category"]] == [
        ("garbage", 2), ("streetlight_out", 2), ("flying_lead_charging", 1), ("other", 1),
        ("road_damage", 1)]
    assert body["by_category"][0]["name_zh"] == "垃圾乱堆"
    assert body["deadline"] == {"resolved": 3, "within_deadline": 2, "share": 0.6667}
    assert body["median_minutes_to_accept"] == 25.0  # 10, 20, 30, 40
    assert body["median_minutes_to_resolve"] == 300.0  # 120, 300, 600
    tops = [(t["rider"]["name"], t["reports"], t["valid_reports"]) for t in body["top_reporters"]]
    assert tops == [("张三", 3, 2), ("李四", 3, 0), ("王五", 1, 1)]


@pytest.mark.parametrize("actor, params, total", [
    ("dispatcher", {}, 9),  # the district: two streets, not the far district
    ("dispatcher", {"area": STREET}, 8),
    ("dispatcher", {"area": NEIGHBOUR}, 1),
    ("admin", {}, 10),  # everything
    ("admin", {"area": FAR}, 1),
    ("secretary", {"area": HOME}, 7),
])
def test_areas_gather_their_reports(client, app, staff, actor, params, total):
    body = _stats(client, app, staff[actor], **NOVEMBER, **params).get_json()
    assert body["total"] == total


def test_the_default_window_is_the_last_30_china_days(client, app, staff, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc))
    body = _stats(client, app, staff["secretary"]).get_json()
    assert (body["from"], body["to"]) == ("2026-11-02", "2026-12-01")
    assert body["total"] == 6  # the 1 November report falls out


def test_an_empty_window_has_no_medians(client, app, staff):
    body = _stats(client, app, staff["secretary"], **{"from": "2025-01-01", "to": "2025-01-31"}).get_json()
    assert body["total"] == 0 and body["median_minutes_to_accept"] is None
    assert body["deadline"] == {"resolved": 0, "within_deadline": 0, "share": None}
    assert body["top_reporters"] == []


@pytest.mark.parametrize("actor, params, status", [
    ("secretary", {"area": NEIGHBOUR}, 403),
    ("secretary", {"area": STREET}, 403),
    ("dispatcher", {"area": FAR}, 403),
    ("grid_worker", {}, 403),
    ("rider", {}, 403),
    ("admin", {"area": "640106001001001"}, 422),  # a grid
    ("admin", {"area": "nowhere"}, 422),
    ("admin", {"from": "2026-11-30", "to": "2026-11-01"}, 400),
    ("admin", {"from": "2025-01-01", "to": "2026-11-30"}, 400),
    ("admin", {"from": "yesterday"}, 400),
])
def test_stats_refuse_what_is_not_yours_or_not_sensible(client, app, staff, actor, params, status):
    make_area(app, "640106001001001", "grid", HOME)
    user = staff.get(actor) or make_rider(app, "路人")
    response = _stats(client, app, user, **params)
    assert response.status_code == status
    assert response.get_json()["error"]["code"]
