"""Through HTTP: a submitted report's assignment is texted once unseen, and the desk sees who was reached."""
from __future__ import annotations

import io

import pytest

from app.auth.models import Role
from app.notifications.channels import ChannelSenders, ChannelSettings, deliver_channels
from app.notifications.delivery import DeliveryPolicy
from app.notifications.sms import ConsoleSms
from tests.factories import auth_headers, make_area, make_user
from tests.images import jpeg_bytes
from tests.mapdata import COMMUNITY, DISTRICT, IN_WEST, load_small_map
from tests.notifications.conftest import in_app

POLICY = DeliveryPolicy(max_attempts=3, retry_base_seconds=30, retry_max_seconds=3600, lease_seconds=120)


@pytest.fixture
def world(app, client, now):
    """The small map, a rider, a grid worker on duty beside the hazard, and the desk."""
    load_small_map(app)
    make_area(app, "640104", "district", name="兴庆区")
    people = {
        "rider": make_user(app, Role.RIDER, area_code=COMMUNITY, name="张骑手", phone="13600000001"),
        "worker": make_user(app, Role.GRID_WORKER, area_code=COMMUNITY, name="王网格", phone="13600000002"),
        "secretary": make_user(app, Role.SECRETARY, area_code=COMMUNITY),
        "dispatcher": make_user(app, Role.DISPATCHER, area_code=DISTRICT),
        "far_dispatcher": make_user(app, Role.DISPATCHER, area_code="640104"),
    }
    duty = client.put("/api/v1/me/duty", json={"on_duty": True, "lat": IN_WEST[0] + 0.0005, "lon": IN_WEST[1]},
                      headers=auth_headers(app, people["worker"]))
    assert duty.status_code == 200, duty.get_json()
    return people


def _submit(client, app, rider) -> int:
    response = client.post(
        "/api/v1/reports", headers=auth_headers(app, rider), content_type="multipart/form-data",
        data={"category": "garbage", "lat": str(IN_WEST[0]), "lon": str(IN_WEST[1]),
              "address": "满春园小区 3 号楼", "photos": [(io.BytesIO(jpeg_bytes(96, 72, gps=IN_WEST)), "a.jpg")]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["status"] == "assigned"
    return response.get_json()["id"]


def _deliver(app, printed):
    senders = ChannelSenders(sms=ConsoleSms(write=printed.append))
    return in_app(app, lambda: deliver_channels(senders=senders, settings=ChannelSettings.from_config(app.config),
                                                max_batch=50, policy=POLICY).counts)


def _reach(client, app, user, report_id):
    return client.get(f"/api/v1/reports/{report_id}/deliveries", headers=auth_headers(app, user))


def test_an_unseen_assignment_is_texted_and_the_desk_sees_it(app, client, world, now):
    report_id = _submit(client, app, world["rider"])
    printed: list[str] = []
    assert _deliver(app, printed) == {}
    now.move(SECONDS := app.config["SMS_AFTER_SECONDS"] + 1)
    assert _deliver(app, printed) == {"sms sent": 1}
    assert "13600000002" in printed[0] and "满春园小区" in printed[0]

    response = _reach(client, app, world["dispatcher"], report_id)
    assert response.status_code == 200, response.get_json()
    [assigned] = [i for i in response.get_json()["items"] if i["kind"] == "assigned"]
    assert assigned["recipient"]["name"] == "王网格" and assigned["seen_at"] is None
    channels = {c["channel"]: c for c in assigned["channels"]}
    assert channels["app"]["status"] == "unseen"
    assert channels["sms"]["status"] == "sent" and channels["sms"]["provider"] == "console"
    assert [a["outcome"] for a in channels["sms"]["attempts"]] == ["delivered"]
    assert SECONDS > 0 and "1360000000" not in response.get_data(as_text=True)  # no phone numbers
    assert _reach(client, app, world["secretary"], report_id).status_code == 200


def test_seen_through_the_api_stops_the_sms_and_the_desk_sees_why(app, client, world, now):
    report_id = _submit(client, app, world["rider"])
    headers = auth_headers(app, world["worker"])
    items = client.get("/api/v1/notifications", headers=headers).get_json()["items"]
    client.post("/api/v1/notifications/seen", json={"up_to_id": items[-1]["id"]}, headers=headers)
    now.move(3600)
    printed: list[str] = []
    assert _deliver(app, printed) == {"sms skipped (seen)": 1} and printed == []
    [assigned] = [i for i in _reach(client, app, world["dispatcher"], report_id).get_json()["items"]
                  if i["kind"] == "assigned"]
    channels = {c["channel"]: c for c in assigned["channels"]}
    assert channels["app"]["status"] == "seen" and channels["sms"]["reason"] == "seen"


@pytest.mark.parametrize("who, status", [("rider", 403), ("worker", 403), ("far_dispatcher", 403)])
def test_only_the_desk_in_scope_sees_who_was_reached(app, client, world, who, status):
    report_id = _submit(client, app, world["rider"])
    assert _reach(client, app, world[who], report_id).status_code == status


def test_reach_of_a_missing_report_is_404(app, client, world):
    assert _reach(client, app, world["dispatcher"], 999999).status_code == 404
