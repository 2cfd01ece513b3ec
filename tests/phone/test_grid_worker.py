"""A grid worker on a phone: on duty, a new assignment appears without a reload, 接单, navigation links."""
from __future__ import annotations

import io

from app.extensions import db
from app.geo.models import WorkerPresence
from app.reports.models import Report
from tests.factories import auth_headers
from tests.mapdata import IN_WEST
from tests.phone.conftest import log_in, phone_jpeg

NEAR_WEST = (IN_WEST[0] + 0.0005, IN_WEST[1])


def submit_as_rider(client, app, rider) -> int:
    """A rider's report at IN_WEST, sent through the API as any client would."""
    photo = phone_jpeg(7, size=(320, 240))
    response = client.post("/api/v1/reports", headers=auth_headers(app, rider), content_type="multipart/form-data",
                           data={"category": "flying_lead_charging", "lat": str(IN_WEST[0]), "lon": str(IN_WEST[1]),
                                 "address": "满春园3号楼", "photos": [(io.BytesIO(photo["buffer"]), photo["name"])]})
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_grid_worker_goes_on_duty_sees_a_new_assignment_live_and_accepts_it(phone, phone_context, app, client, world):
    phone_context.set_geolocation({"latitude": NEAR_WEST[0], "longitude": NEAR_WEST[1]})
    page = phone
    log_in(page, world["worker"])
    page.wait_for_selector("text=未在岗")
    page.get_by_role("button", name="上班（开始接单）").tap()
    page.wait_for_selector("text=在岗中")
    with app.app_context():
        presence = db.session.get(WorkerPresence, world["worker"].id)
        assert presence.on_duty and (presence.lat, presence.lon) == NEAR_WEST

    report_id = submit_as_rider(client, app, world["rider"])
    card = page.locator(f"#assigned [data-report='{report_id}']")
    card.wait_for()  # pushed over the stream: no reload
    assert "飞线充电" in card.inner_text() and "已派给网格员" in card.inner_text()

    card.tap()
    amap = page.locator("a[data-app=amap]")
    assert f"to={IN_WEST[1]},{IN_WEST[0]}," in amap.get_attribute("href")
    assert "coordinate=wgs84" in amap.get_attribute("href")
    baidu = page.locator("a[data-app=baidu]").get_attribute("href")
    assert f"latlng:{IN_WEST[0]},{IN_WEST[1]}" in baidu and "coord_type=wgs84" in baidu
    page.get_by_role("button", name="接单").tap()
    page.wait_for_selector("#report .gs-badge:has-text('网格员已接单')")
    with app.app_context():
        assert db.session.get(Report, report_id).status == "accepted"
