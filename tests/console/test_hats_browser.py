"""The secretary's side of the riders' other hats in Chromium, as she uses it: answer a suggestion and
see the rider's points rise, start a campaign with a PDF leaflet and read its CSV, add a station."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.campaigns import service as campaigns
from app.campaigns.models import Campaign
from app.extensions import db
from app.geo import service as geo
from app.points.rules import SUGGESTION_ADOPTED_POINTS
from app.stations.models import Station
from app.suggestions import service as suggestions
from tests.console.conftest import RIDER, SECRETARY
from tests.console.test_console_browser import log_in
from tests.images import pdf_bytes

pytestmark = pytest.mark.usefixtures("demo")
STREETLIGHT = "满春园东门外晚上没有路灯，骑车看不清路，建议加装两盏。"


def test_secretary_adopts_a_suggestion_and_the_riders_points_rise(desk_page, app):
    with app.app_context():
        rider = db.session.scalar(select(User).where(User.phone == RIDER))
        suggestions.submit_suggestion(rider=rider, content=STREETLIGHT, lat=38.4790, lon=106.2240)
    log_in(desk_page, SECRETARY)
    nav = desk_page.get_by_role("link", name="社情民意")
    assert nav.locator(".c-count").inner_text() == "1"
    desk_page.goto("/console/riders")
    desk_page.locator("table tbody tr", has_text="张骑手").get_by_role("link", name="张骑手").click()
    before = int(desk_page.get_by_test_id("balance").inner_text())

    desk_page.get_by_role("link", name="社情民意").click()
    first = desk_page.locator("table tbody tr").first
    assert "待答复" in first.inner_text() and "路灯" in first.inner_text()  # open ones first
    first.get_by_role("link", name="答复").click()
    assert STREETLIGHT in desk_page.get_by_test_id("content").inner_text()
    desk_page.get_by_label("答复内容（骑手会看到）").fill("已报城管安装路灯，谢谢！")
    desk_page.get_by_role("button", name="提交答复").click()
    assert "请选择采纳或不采纳" in desk_page.locator("#f-adopted-error").inner_text()  # nothing written yet

    desk_page.get_by_label("采纳", exact=True).check()
    desk_page.get_by_role("button", name="提交答复").click()
    assert "已答复并采纳" in desk_page.get_by_role("status").inner_text()
    assert "采纳" in desk_page.get_by_test_id("reply").inner_text()
    assert not desk_page.get_by_role("link", name="社情民意").locator(".c-count").count()  # none waiting

    desk_page.get_by_role("link", name="张骑手").click()
    assert int(desk_page.get_by_test_id("balance").inner_text()) == before + SUGGESTION_ADOPTED_POINTS


def test_secretary_starts_a_campaign_with_a_pdf_and_downloads_its_csv(desk_page, app, tmp_path):
    leaflet = tmp_path / "医保缴费须知.pdf"
    leaflet.write_bytes(pdf_bytes())
    log_in(desk_page, SECRETARY)
    desk_page.get_by_role("link", name="送政策").click()
    desk_page.get_by_role("link", name="发起活动").click()
    desk_page.get_by_label("标题").fill("反诈宣传进万家")
    desk_page.get_by_label("宣传内容（骑手和居民会看到）").fill("不转账、不点陌生链接，接到可疑电话请拨 96110。")
    desk_page.get_by_label("开始日期").fill("2027-03-01")
    desk_page.get_by_label("结束日期（含当天）").fill("2027-02-01")
    desk_page.get_by_label("传单文件（可不传）").set_input_files(str(leaflet))
    desk_page.get_by_role("button", name="发起活动").click()
    assert "不能早于开始日期" in desk_page.locator("#f-ends_on-error").inner_text()
    with app.app_context():
        assert db.session.scalar(select(Campaign.id).where(Campaign.title == "反诈宣传进万家")) is None

    desk_page.get_by_label("开始日期").fill("2020-01-01")
    desk_page.get_by_label("结束日期（含当天）").fill("2099-12-31")
    desk_page.get_by_label("传单文件（可不传）").set_input_files(str(leaflet))  # a browser never re-sends a file
    desk_page.get_by_role("button", name="发起活动").click()
    assert "反诈宣传进万家" in desk_page.get_by_role("heading", level=1).inner_text()
    assert "进行中" in desk_page.get_by_role("heading", level=1).inner_text()
    with desk_page.expect_download() as pdf:
        desk_page.get_by_test_id("leaflet").click()
    assert open(pdf.value.path(), "rb").read() == pdf_bytes()

    with app.app_context():  # a rider of the community hands out leaflets
        campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.title == "反诈宣传进万家"))
        rider = db.session.scalar(select(User).where(User.phone == RIDER))
        campaigns.record_delivery(rider=rider, campaign_id=campaign_id, count=4, lat=38.4805, lon=106.2210)
    desk_page.reload()
    assert desk_page.get_by_test_id("leaflets").inner_text() == "4"
    assert "张骑手" in desk_page.locator("table tbody tr").first.inner_text()
    with desk_page.expect_download() as download:
        desk_page.get_by_role("link", name="导出 CSV").click()
    rows = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert [(r["骑手"], r["份数"]) for r in rows] == [("张骑手", "4")]
    assert rows[0]["网格"].startswith("满春园社区第")  # the grid by its name

    desk_page.get_by_text("结束活动…").click()
    desk_page.get_by_role("button", name="确认结束").click()
    assert "已结束" in desk_page.get_by_role("heading", level=1).inner_text()


def test_secretary_adds_a_station_with_a_service_picking_its_place_on_the_map(desk_page, app):
    log_in(desk_page, SECRETARY)
    desk_page.get_by_role("link", name="红色驿站").click()
    desk_page.get_by_role("link", name="添加驿站").click()
    desk_page.get_by_label("名称").fill("阅景园骑手驿站")
    desk_page.get_by_label("开放时间").fill("07:00-23:00")
    grid = desk_page.locator("svg[data-pick] text", has_text="满春园社区第2网格")
    grid.scroll_into_view_if_needed()
    label = grid.bounding_box()
    desk_page.mouse.click(label["x"] + label["width"] / 2, label["y"] + label["height"] + 6)
    assert desk_page.get_by_label("纬度").input_value().startswith("38.")
    desk_page.get_by_role("button", name="添加驿站").click()
    assert "请至少勾选一项服务" in desk_page.locator("#f-services-error").inner_text()

    desk_page.get_by_label("电动车充电").check()
    desk_page.get_by_role("button", name="添加驿站").click()
    assert "已添加驿站「阅景园骑手驿站」" in desk_page.get_by_role("status").inner_text()
    row = desk_page.locator("table tbody tr", has_text="阅景园骑手驿站")
    assert "电动车充电" in row.inner_text() and "07:00-23:00" in row.inner_text()
    with app.app_context():  # where it was clicked: inside that grid
        station = db.session.scalar(select(Station).where(Station.name == "阅景园骑手驿站"))
        assert "满春园社区第2网格" in [a.name for a in geo.locate(lat=station.lat, lon=station.lon)]

    # The station closes: she removes it after confirming, and it leaves the list.
    desk_page.get_by_role("link", name="修改 阅景园骑手驿站").click()
    desk_page.get_by_text("删除驿站…").click()
    desk_page.get_by_role("button", name="确认删除").click()
    assert "驿站「阅景园骑手驿站」已删除" in desk_page.get_by_role("status").inner_text()
    assert desk_page.locator("table tbody tr", has_text="阅景园骑手驿站").count() == 0
    with app.app_context():
        assert db.session.scalar(select(Station).where(Station.name == "阅景园骑手驿站")) is None
