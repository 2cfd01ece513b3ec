"""The desk's numbers on the demo world (every report run through the real use cases): what needs
attention, the weekly trend, and each grid worker's record (网格考评), through service and API."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.auth import service as auth
from app.auth.models import User
from app.errors import Forbidden
from app.extensions import db
from app.points import standings
from app.reports.models import Report
from app.stats import service
from tests.console.conftest import DEPARTMENT, DISPATCHER, OTHER_SECRETARY, RIDER, SECRETARY, demo  # noqa: F401
from tests.factories import auth_headers

OTHER_DISPATCHER = "13900000221"  # 同心县指挥中心


def _user(phone: str) -> User:
    return db.session.scalar(select(User).where(User.phone == phone))


@pytest.fixture
def world(app, demo):  # noqa: F811
    with app.app_context():
        yield
        db.session.remove()


def test_each_grid_workers_record_adds_up_to_the_demo_loop(world):
    rows = service.worker_assessment(actor=_user(SECRETARY), area_code=None, date_from=None, date_to=None)
    assert {row["worker"].name for row in rows} == {"王网格", "李网格", "赵网格"}
    # Over the last 30 days (China time): 8 of the demo's 10 reports, each routed once.
    assert sum(row["assigned"] for row in rows) == 8
    assert sum(row["accepted"] for row in rows) == 3  # two closed ones and the one in hand
    assert sum(row["accepted_in_time"] for row in rows) == 3
    assert sum(row["resolved"] for row in rows) == 2  # the department's fix is not a worker's
    rated = [row for row in rows if row["rated"]]
    assert sum(row["rated"] for row in rated) == 2  # ratings 3 and 5 (the closed ones in these days)
    assert sum(row["average_rating"] * row["rated"] for row in rated) == 8


def test_an_accept_after_the_categorys_deadline_is_not_in_time(world):
    accepted = db.session.scalar(select(Report).where(Report.description == "楼道里给电瓶充电"))
    # Assigned two hours before it was taken: the 飞线充电 accept deadline is 15 minutes.
    db.session.execute(update(Report).where(Report.id == accepted.id)
                       .values(assigned_at=accepted.accepted_at - timedelta(hours=2)))
    db.session.commit()
    rows = service.worker_assessment(actor=_user(SECRETARY), area_code=None, date_from=None, date_to=None)
    assert sum(row["accepted_in_time"] for row in rows) == 2
    assert sum(row["accepted"] for row in rows) == 3


def test_the_weekly_trend_ends_with_this_weeks_reports(world):
    weeks = service.weekly_trend(actor=_user(DISPATCHER), area_code=None)
    assert len(weeks) == 12 and all(w["week"].weekday() == 0 for w in weeks)
    assert sum(w["created"] for w in weeks) == 10 and sum(w["resolved"] for w in weeks) == 5
    assert sum(1 for w in weeks if w["created"]) >= 4  # the demo spans five weeks and more


def test_what_needs_attention_and_who_sees_what_differ_by_role(world):
    dispatcher = service.desk_summary(actor=_user(DISPATCHER))
    assert dispatcher["open_by_status"]["escalated"] == 1 and dispatcher["overdue"] == 1
    assert dispatcher["pending_riders"] is None
    assert service.desk_summary(actor=_user(SECRETARY))["pending_riders"] == 1
    assert service.desk_summary(actor=_user(DEPARTMENT))["open_by_status"]["dispatched"] == 2
    assert service.desk_summary(actor=_user(OTHER_SECRETARY))["open_by_status"]["escalated"] == 0

    # A rider's ledger: the district's dispatcher sees it; another community or district does not.
    rider = _user(RIDER)
    points = standings.rider_points(actor=_user(DISPATCHER), rider_id=rider.id, page=1, per_page=10)
    assert points["balance"] > 0 and points["entries"]
    for outsider in (OTHER_SECRETARY, OTHER_DISPATCHER):
        with pytest.raises(Forbidden):
            standings.rider_points(actor=_user(outsider), rider_id=rider.id, page=1, per_page=10)

    # Dispatchers choose among their own district's departments.
    assert [d.name for d in auth.list_departments(actor=_user(DISPATCHER))] == ["金凤区供电所", "金凤区城管局"]
    assert auth.list_departments(actor=_user(OTHER_DISPATCHER)) == []
    with pytest.raises(Forbidden):
        auth.list_departments(actor=_user(SECRETARY))


def _headers(app, phone: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        user = _user(phone)
        db.session.expunge(user)
        db.session.commit()  # outside a request every transaction holds SQLite's write lock
    return auth_headers(app, user)


def test_the_api_serves_the_assessment_and_the_trend(app, client, demo):  # noqa: F811
    headers = _headers(app, SECRETARY)
    workers = client.get("/api/v1/stats/workers", headers=headers)
    assert workers.status_code == 200
    assert sum(item["assigned"] for item in workers.get_json()["items"]) == 8
    trend = client.get("/api/v1/stats/trend?weeks=8", headers=headers).get_json()["items"]
    assert len(trend) == 8 and sum(week["created"] for week in trend) == 10
    assert client.get("/api/v1/stats/trend?weeks=0", headers=headers).status_code == 400


def test_the_report_list_filters_by_overdue_grid_and_flag(app, client, demo):  # noqa: F811
    headers = _headers(app, DISPATCHER)
    with app.app_context():
        grid = db.session.scalar(select(Report.area_code).where(Report.address == "满春园12号楼"))
        flagged = db.session.scalar(select(Report.id).where(Report.address == "满春园西门"))
        db.session.execute(update(Report).where(Report.id == flagged).values(flags=["stale_photo"]))
        db.session.commit()

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/reports?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert len(ids("overdue=true")) == 1
    assert ids("flag=stale_photo") == [flagged]
    in_grid = ids(f"area={grid}")
    assert in_grid and len(in_grid) < len(ids(""))
    assert client.get("/api/v1/reports?flag=nonsense", headers=headers).status_code == 400
