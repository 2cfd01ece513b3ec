"""The demo rider's other hats on a phone: a suggestion with a photo, leaflets delivered for points
(online, and offline then sent exactly once), and the nearest 红色驿站 first."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.campaigns.models import Delivery
from app.demo import DEMO_PASSWORD
from app.points.models import LedgerEntry
from app.suggestions.models import Suggestion, SuggestionPhoto
from tests.factories import in_db
from tests.phone.conftest import log_in, phone_jpeg, snap
from tests.phone.test_rider import lose_first_answer, wait_until
from tests.support.browser import PHONE, browser_context

DEMO_RIDER = SimpleNamespace(phone="13900000101")
# Beside 福州街快递小哥爱心驿站 (38.4782, 106.2246); 满春园's other station is some 370 m off.
NEAR_FUZHOU_STREET = {"latitude": 38.4785, "longitude": 106.2244}


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def rider_phone(browser, live_url, demo):
    """The demo rider's phone beside 福州街, logged in; fails on any script error."""
    with browser_context(browser, live_url, **PHONE, permissions=["geolocation"],
                         geolocation=NEAR_FUZHOU_STREET) as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        log_in(page, DEMO_RIDER, password=DEMO_PASSWORD)
        yield page, context
        assert errors == [], f"script errors on the page: {errors}"



def rider_id(app) -> int:
    return in_db(app, select(User.id).where(User.phone == DEMO_RIDER.phone))


def test_a_suggestion_with_a_photo_is_sent_and_listed_with_the_communitys_answers(rider_phone, app):
    page, _ = rider_phone
    page.get_by_role("link", name="提建议").tap()
    adopted = page.locator("#suggestions .ph-card--adopted")
    adopted.wait_for()  # the demo's earlier suggestion: 采纳, with the secretary's reply
    assert "已采纳" in adopted.inner_text() and "已协调交警" in adopted.inner_text()

    page.get_by_role("button", name="提交建议").tap()
    assert "请至少写5个字" in page.inner_text("[data-field=content] .gs-error")  # beside the field
    page.fill("textarea[name=content]", "满春园东门路灯坏了一个月，晚上送餐看不清台阶，建议尽快修。")
    page.set_input_files("input[name=photos]", [phone_jpeg(7)])
    page.get_by_text("附上我现在的位置").tap()
    page.wait_for_selector("#position:has-text('已定位')")
    page.get_by_role("button", name="提交建议").tap()
    page.wait_for_selector("text=建议已提交")
    newest = page.locator("#suggestions article").first
    assert "路灯坏了一个月" in newest.inner_text() and "待答复" in newest.inner_text()
    page.wait_for_function("() => { const img = document.querySelector('#suggestions article img');"
                           " return img && img.complete && img.naturalWidth > 0; }")  # the signed thumbnail shows
    snap(page, "suggest")

    mine = select(func.count()).select_from(Suggestion).where(Suggestion.rider_id == rider_id(app))
    assert in_db(app, mine) == 2
    assert in_db(app, select(func.count()).select_from(SuggestionPhoto)) == 1
    assert in_db(app, select(Suggestion.lat).order_by(Suggestion.id.desc()).limit(1)) == pytest.approx(38.4785)


def test_leaflets_delivered_earn_points_and_an_offline_delivery_is_sent_once(rider_phone, app, monkeypatch):
    page, context = rider_phone
    page.get_by_role("link", name="送政策").tap()
    card = page.locator("[data-campaign]", has_text="居民医保缴费提醒")
    assert "每送一份得 1 分" in card.inner_text()
    assert "今日已送 0 份，计分 0/20 份" in card.inner_text()
    snap(page, "deliver")
    card.get_by_role("link", name="记录送达").tap()

    page.fill("input[name=count]", "3")
    page.wait_for_selector("#position:has-text('已定位')")
    page.fill("input[name=note]", "3号楼2单元")
    page.get_by_role("button", name="记录送达").tap()
    assert "不要写居民的电话或门牌号" in page.inner_text("[data-field=note] .gs-error")
    page.fill("input[name=note]", "福州街菜市场门口")
    page.set_input_files("input[name=photo]", [phone_jpeg(8)])
    page.get_by_role("button", name="记录送达").tap()
    page.wait_for_selector("text=已记录送出 3 份，得 3 分")
    assert "今日已送 3 份，计分 3/20 份" in page.inner_text("[data-today]")
    snap(page, "delivered")

    # In a stairwell with no signal: the delivery is kept on the phone with the key made at the tap.
    context.set_offline(True)
    page.fill("input[name=count]", "2")
    page.fill("input[name=note]", "")
    page.get_by_role("button", name="记录送达").tap()
    page.wait_for_selector("text=这次送达已保存在手机上")
    deliveries = select(func.count()).select_from(Delivery).where(Delivery.rider_id == rider_id(app))
    assert in_db(app, deliveries) == 1  # the demo's other riders have theirs from earlier days

    # Back online the first try arrives but its answer is lost: the phone sends it again, same key.
    campaign_id = in_db(app, select(Delivery.campaign_id).limit(1))
    posts = lose_first_answer(app, monkeypatch, path=f"/api/v1/campaigns/{campaign_id}/deliveries")
    context.set_offline(False)
    wait_until(lambda: in_db(app, deliveries) == 2, page)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the next retry, without waiting for its timer
    page.wait_for_selector("text=保存在手机上的记录已发送")
    assert "今日已送 5 份，计分 5/20 份" in page.inner_text("[data-today]")
    assert len(posts) == 2 and posts[0] == posts[1]
    assert in_db(app, deliveries) == 2
    points = select(func.sum(LedgerEntry.delta)).where(LedgerEntry.rider_id == rider_id(app),
                                                       LedgerEntry.reason == "policy_delivery")
    assert in_db(app, points) == 5
    assert in_db(app, deliveries.where(Delivery.photo_key.is_not(None))) == 1


def test_the_nearest_red_station_comes_first_with_its_distance_and_the_way_there(rider_phone):
    page, _ = rider_phone
    page.get_by_role("link", name="红色驿站").tap()
    cards = page.locator("#stations [data-station]")
    cards.first.wait_for()
    names = [cards.nth(i).locator("h2").inner_text() for i in range(cards.count())]
    assert names == ["福州街快递小哥爱心驿站", "满春园社区党群服务中心红色驿站"]
    distances = [cards.nth(i).locator(".ph-distance").inner_text() for i in range(2)]
    assert distances[0].endswith(" 米") and int(distances[0].split()[0]) < 100
    assert "电动车充电" in cards.first.inner_text() and "全天" in cards.first.inner_text()
    amap = cards.first.locator("a[data-app=amap]").get_attribute("href")
    assert "to=106.2246,38.4782" in amap and "coordinate=wgs84" in amap
    snap(page, "stations")
