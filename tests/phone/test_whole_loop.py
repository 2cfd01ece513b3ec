"""The whole loop on two phones: a grid worker goes on duty; a rider reports with a photo where the
phone is; the report appears on the worker's list without a reload; the worker accepts it, navigates
and resolves it with an after-photo; the rider rates the fix and sees the points.
With GRIDSNAP_SCREENSHOTS=DIR it also saves the screens as phone-*.png there."""
from __future__ import annotations

from app.dispatch.models import WorkerPresence
from app.extensions import db
from app.reports.models import Report
from tests.mapdata import IN_WEST
from tests.phone.conftest import log_in, phone_jpeg, snap
from tests.support.browser import PHONE, browser_context


def test_report_accept_resolve_and_rate_on_two_phones(browser, live_url, phone, phone_context, app, world):
    phone_context.set_geolocation({"latitude": IN_WEST[0], "longitude": IN_WEST[1]})
    near = {"latitude": IN_WEST[0] + 0.0005, "longitude": IN_WEST[1]}
    with browser_context(browser, live_url, **PHONE, permissions=["geolocation"], geolocation=near) as other:
        worker = other.new_page()
        log_in(worker, world["worker"])
        worker.get_by_role("button", name="上班（开始接单）").tap()
        worker.wait_for_selector("text=在岗中")
        with app.app_context():
            presence = db.session.get(WorkerPresence, world["worker"].id)
            assert presence.on_duty and (presence.lat, presence.lon) == (near["latitude"], near["longitude"])

        rider = phone
        rider.goto("/app/")
        snap(rider, "login")
        log_in(rider, world["rider"])
        rider.get_by_text("飞线充电").tap()
        rider.set_input_files("input[name=photos]", [phone_jpeg(11)])
        rider.fill("input[name=address]", "满春园3号楼2单元")
        rider.wait_for_selector("#position:has-text('已定位')")
        snap(rider, "report")
        rider.get_by_role("button", name="上报").tap()
        rider.wait_for_selector("text=已派给网格员王网格")
        snap(rider, "reported")

        with app.app_context():
            [report] = db.session.query(Report).all()
            assert (report.lat, report.lon) == IN_WEST and len(report.photos) == 1  # where the phone is
            assert report.reporter_id == world["rider"].id and report.assigned_to_id == world["worker"].id

        card = worker.locator(f"#assigned [data-report='{report.id}']")
        card.wait_for()  # pushed over the live stream: the worker's page was never reloaded
        assert "飞线充电" in card.inner_text() and "已派给网格员" in card.inner_text()
        snap(worker, "worker-tasks")
        card.tap()
        amap = worker.locator("a[data-app=amap]").get_attribute("href")
        assert f"to={IN_WEST[1]},{IN_WEST[0]}," in amap and "coordinate=wgs84" in amap  # the API's WGS-84
        baidu = worker.locator("a[data-app=baidu]").get_attribute("href")
        assert f"latlng:{IN_WEST[0]},{IN_WEST[1]}" in baidu and "coord_type=wgs84" in baidu
        worker.get_by_role("button", name="退回，派给别人").tap()  # without a reason
        assert worker.inner_text("form:has-text('退回') .gs-error") == "请写明原因。"
        with app.app_context():
            assert db.session.get(Report, report.id).status == "assigned"  # nothing changed
        worker.get_by_role("button", name="接单").tap()
        worker.wait_for_selector("#report .gs-badge:has-text('网格员已接单')")
        snap(worker, "worker-report")
        worker.set_input_files("input[name=photo]", [phone_jpeg(12)])
        worker.fill("textarea[name=note]", "已拆除飞线，提醒住户到集中充电桩充电")
        worker.get_by_role("button", name="提交处置结果").tap()
        worker.wait_for_selector("#report .gs-badge:has-text('已处置')")

    rider.get_by_role("link", name="记录").tap()
    rider.locator("#reports .ph-card:has-text('已处置')").tap()
    rider.wait_for_selector("text=已拆除飞线")  # the worker's note on the timeline
    rider.get_by_text("5星").tap()
    snap(rider, "rate")
    snap(rider, "timeline", scroll_to=".ph-timeline")
    rider.get_by_role("button", name="提交评价").tap()
    rider.wait_for_selector("#report .gs-badge:has-text('已办结')")
    with app.app_context():
        report = db.session.get(Report, report.id)
        assert (report.status, report.rating) == ("closed", 5)

    rider.get_by_role("link", name="积分").tap()
    rider.wait_for_selector("#balance")
    assert int(rider.inner_text("#balance")) > 0  # the fix proved it real: points awarded
    snap(rider, "points")
    rider.get_by_role("link", name="看排行榜").tap()
    rider.wait_for_selector("table.gs-table tbody tr.ph-me")
    snap(rider, "leaderboard")
    rider.get_by_role("link", name="消息").tap()
    rider.wait_for_selector(".ph-card:has-text('已办结')")
    snap(rider, "notices")
