"""A rider on a phone: log in, 上报 with a photo where the phone is, and offline: kept, then sent once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reports.models import Report
from tests.phone.conftest import PHONE_AT, log_in, phone_jpeg


def stored_reports(app) -> list[Report]:
    with app.app_context():
        reports = list(db.session.scalars(select(Report).order_by(Report.id)))
        for report in reports:
            _ = report.photos
        db.session.expunge_all()
        return reports


def fill_report(page, *, seed: int) -> None:
    page.get_by_text("飞线充电").tap()
    page.set_input_files("input[name=photos]", [phone_jpeg(seed)])
    page.wait_for_selector("#position:has-text('已定位')")
    page.fill("textarea[name=description]", "三楼窗户拉线给电动车充电")


def test_rider_reports_with_a_photo_at_the_phones_position(phone, app, world):
    page = phone
    log_in(page, world["rider"])
    fill_report(page, seed=1)
    page.get_by_role("button", name="上报").tap()
    page.wait_for_selector("text=已上报，编号")

    [report] = stored_reports(app)
    assert (report.lat, report.lon) == pytest.approx(PHONE_AT)
    assert report.reporter_id == world["rider"].id and report.category_code == "flying_lead_charging"
    assert len(report.photos) == 1
    page.get_by_role("link", name="查看进度").tap()
    page.wait_for_selector("#report >> text=飞线充电")
    assert page.locator("#report .gs-badge").inner_text() == report_status_text(report)


def report_status_text(report: Report) -> str:
    from app.reports.models import STATUS_TEXT

    return STATUS_TEXT[report.status]
