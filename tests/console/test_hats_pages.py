"""The desk's pages of the riders' other hats through the test client: who opens what, bad input said
beside its field in Chinese with nothing written, and the pages showing what the demo holds."""
from __future__ import annotations

import io

from sqlalchemy import func, select

from app.campaigns.models import Campaign
from app.extensions import db
from app.stations.models import Station
from app.suggestions.models import Suggestion
from tests.console.conftest import ADMIN, DEPARTMENT, DISPATCHER, OTHER_SECRETARY, SECRETARY, csrf_token, post_form
from tests.images import jpeg_bytes

PAGES = ["/console/suggestions", "/console/campaigns", "/console/stations", "/console/stations/new"]


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _demo_campaign_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Campaign.id).where(Campaign.title == "居民医保缴费提醒"))


def test_secretaries_and_admins_open_the_pages_and_district_staff_are_refused(desk):
    for phone, expected in ((SECRETARY, 200), (ADMIN, 200), (DISPATCHER, 403), (DEPARTMENT, 403)):
        client = desk(phone)
        for path in PAGES:
            assert client.get(path).status_code == expected, (phone, path)
    assert desk(ADMIN).get("/console/campaigns/new").status_code == 403  # a campaign is a community's


def test_the_demo_shows_a_running_campaign_two_stations_and_a_replied_suggestion(app, desk):
    client = desk(SECRETARY)
    campaigns = client.get("/console/campaigns").get_data(as_text=True)
    assert "居民医保缴费提醒" in campaigns and "进行中" in campaigns
    stations = client.get("/console/stations").get_data(as_text=True)
    assert stations.count("修改</a>") == 2 and "电动车充电" in stations
    inbox = client.get("/console/suggestions").get_data(as_text=True)
    assert "已采纳" in inbox and "福州街" in inbox
    campaign = client.get(f"/console/campaigns/{_demo_campaign_id(app)}").get_data(as_text=True)
    assert "下载传单" in campaign or 'alt="传单"' in campaign  # the demo's leaflet file


def test_another_communitys_secretary_sees_none_of_it(app, desk):
    client = desk(OTHER_SECRETARY)
    assert client.get(f"/console/campaigns/{_demo_campaign_id(app)}").status_code == 404
    assert "居民医保缴费提醒" not in client.get("/console/campaigns").get_data(as_text=True)
    with app.app_context():
        suggestion_id = db.session.scalar(select(Suggestion.id))
        station_id = db.session.scalar(select(Station.id))
    assert client.get(f"/console/suggestions/{suggestion_id}").status_code == 404
    assert client.get(f"/console/stations/{station_id}").status_code == 404


def test_a_reply_without_a_decision_is_refused_beside_the_field(app, desk):
    client = desk(SECRETARY)
    with app.app_context():
        suggestion_id = db.session.scalar(select(Suggestion.id).where(Suggestion.status == "replied"))
    # The demo's one is answered already: no form is offered, and a forged post is refused.
    page = client.get(f"/console/suggestions/{suggestion_id}").get_data(as_text=True)
    assert "提交答复" not in page and "已协调交警" in page
    again = post_form(client, f"/console/suggestions/{suggestion_id}", {"reply": "再答一次", "adopted": "true"})
    assert again.status_code == 400 and "已经答复过了" in again.get_data(as_text=True)


def test_a_bad_campaign_is_said_beside_its_fields_and_nothing_is_written(app, desk):
    client = desk(SECRETARY)
    before = _count(app, Campaign)
    response = post_form(client, "/console/campaigns/new", {
        "title": "反诈宣传", "body": "不转账，不点链接", "starts_on": "2027-02-01", "ends_on": "2027-01-01",
        "points_per_delivery": "1", "daily_cap": "20"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="f-ends_on-error">请选择结束日期，不能早于开始日期' in page
    assert 'value="反诈宣传"' in page  # what was typed stays
    response = post_form(client, "/console/campaigns/new", {
        "title": "反诈宣传", "body": "不转账，不点链接", "starts_on": "2027-01-01", "ends_on": "2027-02-01",
        "points_per_delivery": "11", "daily_cap": "0"})
    page = response.get_data(as_text=True)
    assert 'id="f-points_per_delivery-error">每份积分请填 0 到 10' in page
    assert 'id="f-daily_cap-error">每人每天计分份数请填 1 到 100' in page
    assert _count(app, Campaign) == before


def test_a_leaflet_that_is_not_an_image_or_pdf_is_said_beside_the_file(app, desk):
    client = desk(SECRETARY)
    before = _count(app, Campaign)
    data = {"title": "反诈宣传", "body": "不转账，不点链接", "starts_on": "2027-01-01", "ends_on": "2027-02-01",
            "points_per_delivery": "1", "daily_cap": "20", "leaflet": (io.BytesIO(b"MZ\x90\x00fake"), "传单.pdf")}
    response = client.post("/console/campaigns/new", data={**data, "csrf_token": csrf_token(client)},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'id="f-leaflet-error">传单须为图片' in response.get_data(as_text=True)
    assert _count(app, Campaign) == before
    image = {**data, "leaflet": (io.BytesIO(jpeg_bytes()), "海报.jpg"), "csrf_token": csrf_token(client)}
    made = client.post("/console/campaigns/new", data=image, content_type="multipart/form-data")
    assert made.status_code == 302 and _count(app, Campaign) == before + 1


def test_a_station_without_services_is_refused_and_the_form_keeps_what_was_typed(app, desk):
    client = desk(SECRETARY)
    before = _count(app, Station)
    response = post_form(client, "/console/stations/new", {"name": "阅景园驿站", "hours": "全天",
                                                           "lat": "北纬", "lon": "106.22", "coord_sys": "wgs84"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="f-services-error">请至少勾选一项服务' in page and 'id="f-lat-error">纬度请填' in page
    assert 'value="阅景园驿站"' in page
    assert _count(app, Station) == before


def test_the_nav_counts_suggestions_waiting_for_a_reply(app, desk):
    from app.auth.models import User
    from app.suggestions import service as suggestions

    with app.app_context():
        rider = db.session.scalar(select(User).where(User.phone == "13900000101"))
        suggestions.submit_suggestion(rider=rider, content="小区东门晚上没有路灯，建议加装。")
    page = desk(SECRETARY).get("/console/").get_data(as_text=True)
    assert '<span class="c-count" title="待答复">1</span>' in page
