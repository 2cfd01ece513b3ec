"""送政策上门 through HTTP: campaigns, deliveries under Idempotency-Key, points once within the cap."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.campaigns.models import Campaign, Delivery
from app.common import clock
from app.points.models import LedgerEntry
from app.points.totals import verify_totals
from tests.factories import auth_headers, in_db, make_community, make_user

HOME = "640104001001"
OTHER = "640104001002"
CAMPAIGN = {"title": "居民医保缴费提醒", "body": "2027年度城乡居民医保缴费截止12月31日。",
            "starts_on": "2020-01-01", "ends_on": "2099-12-31", "points_per_delivery": 2, "daily_cap": 5}
AT = {"lat": 38.48, "lon": 106.23}


@pytest.fixture
def people(app):
    make_community(app, HOME)
    make_community(app, OTHER)
    users = {
        "rider": make_user(app, Role.RIDER, area_code=HOME),
        "stranger": make_user(app, Role.RIDER, area_code=OTHER),
        "secretary": make_user(app, Role.SECRETARY, area_code=HOME),
        "other_secretary": make_user(app, Role.SECRETARY, area_code=OTHER),
    }
    return {name: (user, auth_headers(app, user)) for name, user in users.items()}



def _campaign(client, people, **over) -> dict:
    response = client.post("/api/v1/campaigns", json={**CAMPAIGN, **over}, headers=people["secretary"][1])
    assert response.status_code == 201, response.json
    return response.json


def _deliver(client, people, campaign_id, key=None, who="rider", **body):
    headers = {**people[who][1], **({"Idempotency-Key": key} if key else {})}
    return client.post(f"/api/v1/campaigns/{campaign_id}/deliveries", json={"count": 1, **AT, **body},
                       headers=headers)


def _points(app, rider_id) -> int:
    return in_db(app, select(func.coalesce(func.sum(LedgerEntry.delta), 0))
                  .where(LedgerEntry.rider_id == rider_id))


def test_secretary_starts_a_campaign_for_her_community(client, people):
    body = _campaign(client, people)
    assert body["area_code"] == HOME and body["status"] == "active"
    assert (body["points_per_delivery"], body["daily_cap"]) == (2, 5)


@pytest.mark.parametrize("bad", [
    {"title": ""}, {"title": "长" * 61}, {"body": "长" * 2001}, {"ends_on": "2019-12-31"},
    {"points_per_delivery": 11}, {"points_per_delivery": -1}, {"daily_cap": 0}, {"starts_on": "明天"},
])
def test_bad_campaign_is_refused_and_nothing_written(app, client, people, bad):
    response = client.post("/api/v1/campaigns", json={**CAMPAIGN, **bad}, headers=people["secretary"][1])
    assert response.status_code in (400, 422)
    assert in_db(app, select(func.count()).select_from(Campaign)) == 0


def test_riders_see_their_communitys_running_campaigns(client, people):
    running = _campaign(client, people)
    closed = _campaign(client, people, title="反诈宣传")
    client.post(f"/api/v1/campaigns/{closed['id']}/close", headers=people["secretary"][1])
    _campaign(client, people, title="已过期", starts_on="2020-01-01", ends_on="2020-12-31")
    listed = client.get("/api/v1/campaigns", headers=people["rider"][1]).json["items"]
    assert [item["id"] for item in listed] == [running["id"]]
    assert client.get("/api/v1/campaigns", headers=people["stranger"][1]).json["items"] == []
    assert len(client.get("/api/v1/campaigns", headers=people["secretary"][1]).json["items"]) == 3


def test_a_delivery_earns_points_once_and_shows_where_they_came_from(app, client, people):
    campaign = _campaign(client, people)
    response = _deliver(client, people, campaign["id"], key="delivery-0001", count=2, note="随外卖送达")
    assert response.status_code == 201, response.json
    assert (response.json["count"], response.json["points"]) == (2, 4)
    again = _deliver(client, people, campaign["id"], key="delivery-0001", count=2, note="随外卖送达")
    assert again.status_code == 201 and again.json["id"] == response.json["id"]
    points = client.get("/api/v1/me/points", headers=people["rider"][1]).json
    assert points["balance"] == 4
    assert points["entries"][0]["reason"] == "policy_delivery"
    assert points["entries"][0]["source"] == f"delivery:{response.json['id']}"
    assert in_db(app, select(func.count()).select_from(Delivery)) == 1


@pytest.mark.parametrize("bad", [
    {"count": 0}, {"count": 51}, {"lat": None}, {"lon": 200}, {"note": "长" * 201},
    {"note": "送给13912345678的阿姨"}, {"note": "3号楼2单元501"}, {"coord_sys": "mars"},
])
def test_bad_delivery_is_refused_and_nothing_written(app, client, people, bad):
    campaign = _campaign(client, people)
    response = _deliver(client, people, campaign["id"], **bad)
    assert response.status_code in (400, 422)
    assert in_db(app, select(func.count()).select_from(Delivery)) == 0
    assert in_db(app, select(func.count()).select_from(LedgerEntry)) == 0


def test_bad_idempotency_key_is_refused(app, client, people):
    campaign = _campaign(client, people)
    assert _deliver(client, people, campaign["id"], key="短").status_code == 400
    assert in_db(app, select(func.count()).select_from(Delivery)) == 0


def test_concurrent_retries_of_a_delivery_record_and_pay_once(app, client, people):
    campaign = _campaign(client, people)
    barrier, answers = threading.Barrier(6), []

    def retry():
        barrier.wait(timeout=10)
        response = _deliver(app.test_client(), people, campaign["id"], key="same-tap-0001", count=3)
        answers.append((response.status_code, response.json.get("id")))

    threads = [threading.Thread(target=retry) for _ in range(6)]
    [thread.start() for thread in threads]
    [thread.join(timeout=60) for thread in threads]
    assert {status for status, _ in answers} == {201}
    assert len({delivery_id for _, delivery_id in answers}) == 1
    assert in_db(app, select(func.count()).select_from(Delivery)) == 1
    assert _points(app, people["rider"][0].id) == 6
    with app.app_context():
        assert list(verify_totals()) == []


def test_daily_cap_restarts_at_china_midnight(app, client, people, monkeypatch):
    campaign = _campaign(client, people)  # 2 points a leaflet, 5 leaflets a day
    now = {"at": datetime(2026, 12, 6, 15, 50, tzinfo=timezone.utc)}  # 23:50 in China
    monkeypatch.setattr(clock, "utcnow", lambda: now["at"])
    assert _deliver(client, people, campaign["id"], count=4).json["points"] == 8
    late = _deliver(client, people, campaign["id"], count=3).json
    assert (late["credited"], late["points"]) == (1, 2)  # only 1 left of today's 5
    assert _deliver(client, people, campaign["id"], count=2).json["points"] == 0
    now["at"] = datetime(2026, 12, 6, 16, 5, tzinfo=timezone.utc)  # 00:05 the next China day
    assert _deliver(client, people, campaign["id"], count=3).json["points"] == 6
    assert _points(app, people["rider"][0].id) == 16
    assert in_db(app, select(func.count()).select_from(Delivery)) == 4  # over the cap: still coverage
    with app.app_context():
        assert list(verify_totals()) == []


def test_scoping_of_campaigns(app, client, people):
    campaign = _campaign(client, people)
    assert _deliver(client, people, campaign["id"], who="stranger").status_code == 404
    other = people["other_secretary"][1]
    assert client.get(f"/api/v1/campaigns/{campaign['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/close", headers=other).status_code == 404
    assert client.get("/api/v1/campaigns", headers=other).json["items"] == []
    assert client.post("/api/v1/campaigns", json=CAMPAIGN, headers=people["rider"][1]).status_code == 403
    assert in_db(app, select(func.count()).select_from(Delivery)) == 0


def test_closed_campaign_takes_no_delivery(app, client, people):
    campaign = _campaign(client, people)
    client.post(f"/api/v1/campaigns/{campaign['id']}/close", headers=people["secretary"][1])
    assert _deliver(client, people, campaign["id"]).status_code == 404
    assert in_db(app, select(func.count()).select_from(Delivery)) == 0


def test_secretary_sees_what_a_campaign_reached(client, people):
    campaign = _campaign(client, people)
    _deliver(client, people, campaign["id"], count=3)
    _deliver(client, people, campaign["id"], count=1)
    summary = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=people["secretary"][1]).json
    assert (summary["deliveries"], summary["leaflets"], summary["riders"], summary["points"]) == (2, 4, 1, 8)
    assert summary["by_grid"] == [{"grid_code": None, "grid_name": None, "in_community": False,
                                   "deliveries": 2, "leaflets": 4}]
    assert summary["by_rider"][0]["leaflets"] == 4 and summary["by_rider"][0]["points"] == 8


def test_secretary_downloads_the_deliveries_as_csv(client, people):
    campaign = _campaign(client, people)
    _deliver(client, people, campaign["id"], count=3, note="=HYPERLINK(1)")
    response = client.get(f"/api/v1/campaigns/{campaign['id']}/export.csv", headers=people["secretary"][1])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("编号,时间（北京时间）,骑手编号") and len(lines) == 2
    assert lines[1].endswith(",3,3,6,,不在网格内,'=HYPERLINK(1)")
    other = client.get(f"/api/v1/campaigns/{campaign['id']}/export.csv", headers=people["other_secretary"][1])
    assert other.status_code == 404


def test_stats_count_suggestions_and_deliveries_of_the_community(client, people):
    campaign = _campaign(client, people)
    _deliver(client, people, campaign["id"], count=3)
    suggestion = client.post("/api/v1/suggestions", json={"content": "建议在小区门口加装路灯"},
                             headers=people["rider"][1]).json
    client.post(f"/api/v1/suggestions/{suggestion['id']}/reply", json={"reply": "采纳", "adopted": True},
                headers=people["secretary"][1])
    mine = client.get("/api/v1/stats", headers=people["secretary"][1]).json
    assert mine["suggestions"] == {"received": 1, "adopted": 1}
    assert mine["deliveries"] == [{"campaign_id": campaign["id"], "title": "居民医保缴费提醒",
                                   "deliveries": 1, "leaflets": 3}]
    theirs = client.get("/api/v1/stats", headers=people["other_secretary"][1]).json
    assert theirs["suggestions"] == {"received": 0, "adopted": 0} and theirs["deliveries"] == []


def test_a_double_click_on_start_makes_one_campaign(app, client, people):
    barrier, answers = threading.Barrier(4), []

    def post():
        barrier.wait(timeout=10)
        response = app.test_client().post("/api/v1/campaigns", json=CAMPAIGN, headers=people["secretary"][1])
        answers.append((response.status_code, response.json.get("id")))

    threads = [threading.Thread(target=post) for _ in range(4)]
    [thread.start() for thread in threads]
    [thread.join(timeout=60) for thread in threads]
    assert {status for status, _ in answers} == {201}
    assert len({campaign_id for _, campaign_id in answers}) == 1
    assert in_db(app, select(func.count()).select_from(Campaign)) == 1


def test_a_key_used_for_one_delivery_is_refused_for_another(app, client, people):
    first_campaign = _campaign(client, people)
    second_campaign = _campaign(client, people, title="反诈宣传")
    first = _deliver(client, people, first_campaign["id"], key="tap-0001-aaaa", count=2)
    assert _deliver(client, people, first_campaign["id"], key="tap-0001-aaaa", count=2).json["id"] == first.json["id"]
    for campaign_id, count in ((first_campaign["id"], 3), (second_campaign["id"], 2)):
        reused = _deliver(client, people, campaign_id, key="tap-0001-aaaa", count=count)
        assert reused.status_code == 422 and reused.json["error"]["code"] == "idempotency_key_reused"
    assert in_db(app, select(func.count()).select_from(Delivery)) == 1
    assert _points(app, people["rider"][0].id) == 4


def test_a_form_with_several_mistakes_names_each_of_them_at_once(app, client, people):
    response = client.post("/api/v1/campaigns", headers=people["secretary"][1],
                           json={**CAMPAIGN, "title": "", "ends_on": "2019-12-31"})
    assert response.status_code == 400
    fields = response.json["error"]["details"]["fields"]
    assert set(fields) == {"title", "ends_on"} and fields["ends_on"] == ["结束日期不能早于开始日期。"]
    assert in_db(app, select(func.count()).select_from(Campaign)) == 0
