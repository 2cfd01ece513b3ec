"""The console as people use it, in Debian's Chromium: log in, click, read the numbers, download.
Every page here fails its test if it asks for anything off the origin (tests/support/browser.py)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.auth.models import Invite, User
from app.demo import DEMO_PASSWORD
from app.extensions import db
from tests.console.conftest import DEPARTMENT, DISPATCHER, RIDER, SECRETARY

pytestmark = pytest.mark.usefixtures("demo")


def log_in(page, phone: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/console/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_secretary_logs_in_reads_the_leaderboard_downloads_it_and_logs_out(desk_page):
    log_in(desk_page, SECRETARY)
    assert desk_page.get_by_role("heading", level=1).inner_text() == "满春园社区 · 社区书记工作台"

    desk_page.get_by_role("link", name="积分排行").click()
    desk_page.get_by_label("周期").select_option("all")
    desk_page.get_by_role("button", name="查看").click()
    row = desk_page.locator("table tbody tr", has_text="张骑手")
    points = int(row.locator("td").nth(3).inner_text())
    assert points > 0  # 张骑手's reports proved real in the demo: points from the real ledger

    with desk_page.expect_download() as download:
        desk_page.get_by_role("link", name="导出 CSV").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert [r for r in rows if r[2] == "张骑手"][0][4] == str(points)

    row.get_by_role("link", name="张骑手").click()
    assert int(desk_page.get_by_test_id("balance").inner_text()) == points
    assert "13900000101" in desk_page.content()  # her own community's rider: the secretary sees the phone

    desk_page.get_by_role("button", name="退出").click()
    expect(desk_page.get_by_role("button", name="登录")).to_be_visible()  # waits for the page after 退出
    desk_page.goto("/console/leaderboard")
    expect(desk_page.get_by_role("button", name="登录")).to_be_visible()  # the login is gone


def test_an_adjustment_without_a_reason_is_refused_beside_the_field(desk_page, app):
    log_in(desk_page, SECRETARY)
    desk_page.goto("/console/leaderboard?period=all")
    desk_page.get_by_role("link", name="张骑手").click()
    before = desk_page.get_by_test_id("balance").inner_text()
    desk_page.get_by_label("分值（扣分写负数）").fill("5")
    desk_page.get_by_role("button", name="确认调整").click()
    error = desk_page.locator("#f-reason-error")
    assert "原因" in error.inner_text()
    assert desk_page.get_by_test_id("balance").inner_text() == before  # nothing written

    desk_page.get_by_label("原因（骑手会看到）").fill("协助社区夜间巡查")
    desk_page.get_by_role("button", name="确认调整").click()
    assert int(desk_page.get_by_test_id("balance").inner_text()) == int(before) + 5


def test_secretary_approves_a_pending_rider_and_makes_an_invite_qr(desk_page, app):
    log_in(desk_page, SECRETARY)
    desk_page.get_by_role("link", name="骑手管理").click()
    desk_page.get_by_role("button", name="通过 孙骑手").click()
    assert "已通过 孙骑手" in desk_page.get_by_role("status").inner_text()
    with app.app_context():
        assert db.session.scalar(select(User.status).where(User.name == "孙骑手")) == "active"

    desk_page.get_by_label("可用人数").fill("20")
    desk_page.get_by_role("button", name="生成邀请码").click()
    invite = desk_page.get_by_test_id("invite")
    assert "/app/?invite=" in invite.inner_text()
    assert invite.locator("svg").bounding_box()["width"] >= 150  # the QR code is drawn

    # The poster went up in the wrong building: she ends the code; it leaves the list of live ones.
    code = invite.locator(".c-code").inner_text()
    live = desk_page.get_by_test_id("live-invites")
    assert "0 / 20" in live.locator("tr", has_text=code).inner_text()
    live.get_by_label(f"作废 {code}").click()
    live.get_by_role("button", name="确认作废").click()
    assert f"邀请码 {code} 已作废" in desk_page.get_by_role("status").inner_text()
    assert code not in desk_page.locator("section.c-invite").inner_text()  # not among the live codes
    with app.app_context():
        assert db.session.get(Invite, code).expires_at <= datetime.now(timezone.utc)


def test_a_rider_is_refused_with_a_chinese_page(desk_page):
    log_in(desk_page, RIDER)
    assert "工作台不对骑手开放" in desk_page.get_by_role("heading", level=1).inner_text()
    desk_page.goto("/console/leaderboard")
    assert desk_page.get_by_role("button", name="登录").is_visible()  # no session was made


def test_a_post_without_the_csrf_token_is_refused(desk_page, app):
    log_in(desk_page, SECRETARY)
    with app.app_context():
        pending_id = db.session.scalar(select(User.id).where(User.name == "孙骑手"))
    status = desk_page.evaluate(
        "async (url) => (await fetch(url, {method: 'POST', credentials: 'same-origin'})).status",
        f"/console/riders/{pending_id}/approve")
    assert status == 400
    with app.app_context():
        assert db.session.get(User, pending_id).status == "pending"


def test_dispatcher_sees_the_district_board_without_phone_numbers(desk_page):
    log_in(desk_page, DISPATCHER)
    desk_page.get_by_role("link", name="积分排行").click()
    desk_page.get_by_label("周期").select_option("all")
    desk_page.get_by_role("button", name="查看").click()
    desk_page.get_by_role("link", name="张骑手").click()
    expect(desk_page.get_by_test_id("balance")).to_be_visible()  # waits for the rider's page
    assert "13900000101" not in desk_page.content()
    assert not desk_page.get_by_role("button", name="确认调整").is_visible()


def _photos_loaded(page) -> list[int]:  # type: ignore[no-untyped-def]
    """The natural widths of the page's report photos, once each has loaded (0: broken)."""
    page.wait_for_function("() => [...document.querySelectorAll('img[data-photo]')].every(i => i.complete)")
    return page.eval_on_selector_all("img[data-photo]", "imgs => imgs.map(i => i.naturalWidth)")


def test_dispatcher_dispatches_an_escalated_report_with_a_deadline(desk_page):
    log_in(desk_page, DISPATCHER)
    desk_page.get_by_role("link", name="待派遣（已上报区级）").click()
    desk_page.locator("table tbody tr", has_text="满春园12号楼").get_by_role("link").first.click()
    assert _photos_loaded(desk_page) and all(width > 0 for width in _photos_loaded(desk_page))

    desk_page.get_by_label("职能部门").select_option(label="金凤区城管局")
    desk_page.get_by_label("处置时限（北京时间）").fill("2020-01-01T09:00")
    desk_page.get_by_role("button", name="派单").click()
    assert "处置时限必须晚于现在" in desk_page.locator("#f-due_at-error").inner_text()
    assert "已上报区指挥中心" in desk_page.get_by_role("heading", level=1).inner_text()  # nothing changed

    desk_page.get_by_label("职能部门").select_option(label="金凤区城管局")
    desk_page.get_by_label("处置时限（北京时间）").fill("2099-06-01T18:00")
    desk_page.get_by_role("button", name="派单").click()
    assert "已派至职能部门" in desk_page.get_by_role("heading", level=1).inner_text()
    assert "2099-06-01 18:00" in desk_page.locator(".c-facts").inner_text()  # shown in China time
    assert "派至金凤区城管局" in desk_page.locator(".c-timeline").inner_text()


def test_department_resolves_with_an_after_photo_from_the_browser(desk_page, tmp_path):
    from tests.images import jpeg_bytes

    after = tmp_path / "after.jpg"
    after.write_bytes(jpeg_bytes())
    log_in(desk_page, DEPARTMENT)
    desk_page.get_by_role("link", name="派给本部门待处置").click()
    desk_page.locator("table tbody tr", has_text="满春园东门").get_by_role("link").first.click()
    desk_page.get_by_role("button", name="提交处置结果").click()
    assert "照片" in desk_page.locator("#f-photo-error").inner_text()  # no photo: said beside the field

    desk_page.get_by_label("处置后照片").set_input_files(str(after))
    desk_page.get_by_label("处置说明").fill("已更换井盖")
    desk_page.get_by_role("button", name="提交处置结果").click()
    assert "已处置" in desk_page.get_by_role("heading", level=1).inner_text()
    assert len(_photos_loaded(desk_page)) == 2 and all(w > 0 for w in _photos_loaded(desk_page))
