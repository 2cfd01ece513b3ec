"""Report, map and statistics pages through the test client: what they show, and bad input refused."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db
from app.reports.models import Report
from tests.console.conftest import DEPARTMENT, DISPATCHER, OTHER_SECRETARY, SECRETARY, post_form
from tests.factories import make_user


def _report_id(app, address: str) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(Report.id).where(Report.address == address))


def _status(app, report_id: int) -> str:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.get(Report, report_id).status


def test_the_map_draws_the_grids_and_every_open_report(desk):
    page = desk(SECRETARY).get("/console/map").get_data(as_text=True)
    assert page.count("<circle") == 5  # the demo's open reports in 满春园社区
    assert page.count("（网格）") == 4 and page.count("（微网格）") == 16
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # drawn here, no tiles


def test_the_stats_page_shows_each_grid_workers_record(desk):
    page = desk(SECRETARY).get("/console/stats").get_data(as_text=True)
    assert 'data-testid="total">8<' in page
    assert "王网格" in page and "李网格" in page and "赵网格" in page


def test_bad_filters_are_a_400_page_with_the_error_beside_the_field(desk):
    secretary = desk(SECRETARY)
    response = secretary.get("/console/stats?from=2026-12-31&to=2026-01-01")
    assert response.status_code == 400
    assert 'id="f-from-error">' in response.get_data(as_text=True)
    response = secretary.get("/console/reports?status=lost&since=yesterday")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="f-status-error">请选择状态' in page and 'id="f-since-error">' in page
    kept = secretary.get("/console/reports?since=2026-12-01&until=2026-12-31").get_data(as_text=True)
    assert 'value="2026-12-01"' in kept and 'value="2026-12-31"' in kept  # the days stay in the form


def test_a_missing_department_or_one_of_another_district_is_refused_beside_the_field(app, desk):
    report_id = _report_id(app, "满春园12号楼")
    with app.app_context():
        elsewhere = make_user(app, Role.DEPARTMENT, area_code="640324")
    response = post_form(desk(DISPATCHER), f"/console/reports/{report_id}/dispatch",
                         {"department_id": str(elsewhere.id), "due_at": ""},
                         token_from=f"/console/reports/{report_id}")
    assert response.status_code == 400
    assert 'id="f-department_id-error">请选择本区' in response.get_data(as_text=True)
    assert _status(app, report_id) == "escalated"
    response = post_form(desk(DISPATCHER), f"/console/reports/{report_id}/dispatch", {"department_id": ""},
                         token_from=f"/console/reports/{report_id}")
    assert 'id="f-department_id-error">请选择要派往' in response.get_data(as_text=True)
    assert _status(app, report_id) == "escalated"


def test_dispatcher_rejects_a_duplicate_naming_its_original(app, desk):
    # The original: open, of the same category and community (a closed one from weeks ago may not be).
    report_id, original = _report_id(app, "满春园12号楼"), _report_id(app, "满春园7号楼")
    dispatcher = desk(DISPATCHER)
    path = f"/console/reports/{report_id}"
    refused = post_form(dispatcher, path + "/reject", {"reason": "duplicate"}, token_from=path)
    assert 'id="f-duplicate_of-error">' in refused.get_data(as_text=True)
    assert _status(app, report_id) == "escalated"
    done = post_form(dispatcher, path + "/reject", {"reason": "duplicate", "duplicate_of": str(original)},
                     token_from=path)
    assert done.status_code == 302 and _status(app, report_id) == "rejected"


def test_an_action_the_report_no_longer_allows_is_explained_not_crashed(app, desk):
    report_id = _report_id(app, "满春园东门")  # dispatched already
    response = post_form(desk(DISPATCHER), f"/console/reports/{report_id}/dispatch",
                         {"department_id": "1"}, token_from=f"/console/reports/{report_id}")
    assert response.status_code == 400
    assert "状态已变化" in response.get_data(as_text=True)


def test_reports_outside_ones_area_are_refused(app, desk):
    report_id = _report_id(app, "满春园12号楼")
    assert desk(OTHER_SECRETARY).get(f"/console/reports/{report_id}").status_code == 403
    assert desk(DEPARTMENT).get(f"/console/reports/{report_id}").status_code == 403
    assert desk(SECRETARY).get("/console/reports/999999").status_code == 404


def test_report_pages_never_show_a_riders_phone(app, desk):
    with app.app_context():
        phones = set(db.session.scalars(select(User.phone).where(User.role == "rider")))
    for phone in (SECRETARY, DISPATCHER, DEPARTMENT):
        client = desk(phone)
        page = client.get("/console/reports").get_data(as_text=True)
        for report_id in set(re.findall(r'href="/console/reports/(\d+)"', page)):
            detail = client.get(f"/console/reports/{report_id}").get_data(as_text=True)
            assert not any(p in detail for p in phones)
        assert not any(p in page for p in phones)


def test_the_desk_sees_who_was_told_by_which_channel_and_whether_they_saw_it(app, desk):
    report_id = _report_id(app, "满春园西门")  # assigned to a grid worker, not yet accepted
    page = desk(SECRETARY).get(f"/console/reports/{report_id}").get_data(as_text=True)
    reach = page.split('id="reach"', 1)[1].split("</section>", 1)[0]
    assert "网格员" in reach and "应用内：未查看" in reach
    assert "短信：等待发送" in reach  # the SMS waits for the app to be looked at first
    with app.app_context():
        worker = db.session.get(User, db.session.get(Report, report_id).assigned_to_id)
        worker_id, name = worker.id, worker.name
    from app.notifications import service as notifications

    with app.app_context():
        newest = max(n.id for n in notifications.notifications_after(user_id=worker_id, after=0, limit=100))
        notifications.mark_seen(user_id=worker_id, up_to_id=newest)
    reach = desk(DISPATCHER).get(f"/console/reports/{report_id}").get_data(as_text=True).split('id="reach"', 1)[1]
    assert name in reach and "应用内：已查看" in reach
    department_page = desk(DEPARTMENT).get(f"/console/reports/{_report_id(app, '满春园东门')}")
    assert 'id="reach"' not in department_page.get_data(as_text=True)  # the desk of command, not of departments


def test_a_secretary_reassigns_to_a_named_grid_worker_with_a_reason(app, desk):
    report_id = _report_id(app, "满春园西门")  # assigned, not yet accepted
    with app.app_context():
        holder = db.session.get(Report, report_id).assigned_to_id
        other = db.session.scalars(select(User).where(User.role == Role.GRID_WORKER, User.id != holder,
                                                      User.area_code == db.session.get(Report, report_id)
                                                      .community_code)).first()
        other_id, other_name = other.id, other.name
    secretary = desk(SECRETARY)
    path = f"/console/reports/{report_id}"
    page = secretary.get(path).get_data(as_text=True)
    assert 'id="reassign"' in page and other_name in page.split('id="reassign"', 1)[1]
    refused = post_form(secretary, path + "/reassign", {"worker_id": str(other_id)}, token_from=path)
    assert refused.status_code == 400 and 'id="f-reason-error">' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Report, report_id).assigned_to_id == holder  # nothing written
    done = post_form(secretary, path + "/reassign", {"worker_id": str(other_id), "reason": "他负责这栋楼"},
                     token_from=path)
    assert done.status_code == 302
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert (report.status, report.assigned_to_id) == ("assigned", other_id)
    assert "他负责这栋楼" in secretary.get(path).get_data(as_text=True)  # on the timeline
