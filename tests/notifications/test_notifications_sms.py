"""SMS behind the outbox: the unseen fallback, seen, urgency, quiet hours, caps, budget, who gets nothing."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role, User, UserStatus
from app.extensions import db
from app.notifications.channels import ChannelSenders, ChannelSettings, deliver_channels
from app.notifications.delivery import DeliveryPolicy
from app.notifications.models import ChannelDelivery, NotificationPreference
from app.notifications.sms import ConsoleSms
from app.reports.models import Report
from tests.factories import auth_headers, make_user
from tests.notifications.conftest import in_app

POLICY = DeliveryPolicy(max_attempts=3, retry_base_seconds=30, retry_max_seconds=3600, lease_seconds=120)


@pytest.fixture
def printed():
    return []


@pytest.fixture
def deliver(app, printed):
    """One round of the channel deliverer with the console provider, as the worker runs it."""

    def _deliver(policy: DeliveryPolicy = POLICY):
        senders = ChannelSenders(sms=ConsoleSms(write=printed.append))
        settings = ChannelSettings.from_config(app.config)
        return in_app(app, lambda: deliver_channels(senders=senders, settings=settings, max_batch=50,
                                                    policy=policy)).counts

    return _deliver


def _sms_rows(app):
    return in_app(app, lambda: [(d.status, d.reason) for d in db.session.scalars(
        select(ChannelDelivery).where(ChannelDelivery.channel == "sms").order_by(ChannelDelivery.id))])


def test_an_unseen_assignment_is_texted_after_the_wait(app, sms_worker, assign, deliver, printed, now):
    assign(sms_worker)
    now.move(119)
    assert deliver() == {}
    now.move(2)
    assert deliver() == {"sms sent": 1}
    [line] = printed
    assert "13912345678" in line and "SMS_ASSIGNED" in line
    assert '"category": "垃圾乱堆"' in line and '"distance": "123"' in line
    assert '"deadline": "12-07 12:00"' in line  # China time: assigned at 10:00 + 120 minutes
    assert _sms_rows(app) == [("sent", None)]
    now.move(3600)
    assert deliver() == {} and len(printed) == 1  # sent once


def test_seen_in_time_means_no_sms(app, client, sms_worker, assign, deliver, printed, now):
    note_id = assign(sms_worker)
    now.move(60)
    response = client.post("/api/v1/notifications/seen", json={"up_to_id": note_id},
                           headers=auth_headers(app, sms_worker))
    assert response.status_code == 200 and response.get_json() == {"marked": 1}
    now.move(120)
    assert deliver() == {"sms skipped (seen)": 1}
    assert printed == [] and _sms_rows(app) == [("skipped", "seen")]


def test_urgent_categories_are_texted_at_once(app, sms_worker, assign, deliver, printed):
    assign(sms_worker, category="flying_lead_charging")
    assert deliver() == {"sms sent": 1}
    assert '"category": "飞线充电"' in printed[0]


def test_an_assignment_already_accepted_or_moved_on_is_not_texted(app, sms_worker, assign, deliver, printed,
                                                                   now):
    assign(sms_worker)
    in_app(app, lambda: (db.session.execute(db.update(Report).values(status="accepted")), db.session.commit()))
    now.move(121)
    assert deliver() == {"sms skipped (no_longer_relevant)": 1} and printed == []


def test_template_parameters_never_carry_the_riders_name_or_phone(app, rider, sms_worker, assign, deliver,
                                                                   printed, now):
    assign(sms_worker, address=f"正源街 {rider.name} 电话{rider.phone} 楼下")
    now.move(121)
    deliver()
    [line] = printed
    assert rider.name not in line and rider.phone not in line and rider.phone[-8:] not in line
    assert "正源街" in line


def test_a_disabled_user_gets_nothing(app, sms_worker, assign, deliver, printed, now):
    assign(sms_worker)
    in_app(app, lambda: (db.session.get(User, sms_worker.id).__setattr__("status", UserStatus.DISABLED),
                         db.session.commit()))
    now.move(121)
    assert deliver() == {"sms skipped (user_inactive)": 1} and printed == []
    assign(sms_worker)  # disabled before the event: no SMS is even queued
    now.move(121)
    assert deliver() == {} and len(_sms_rows(app)) == 1


def test_quiet_hours_wait_until_morning_but_urgent_ones_do_not(app, sms_worker, assign, deliver, printed, now):
    now.move(13 * 3600)  # 23:00 in China
    assign(sms_worker)
    assign(sms_worker, category="manhole_cover")
    now.move(121)
    assert deliver() == {"sms deferred": 1, "sms sent": 1}
    assert '"category": "井盖破损缺失"' in printed[0]
    now.move(7 * 3600)  # 06:02: still quiet
    assert deliver() == {}
    now.move(3600)  # 07:02: the morning's reminder, if still unseen
    assert deliver() == {"sms sent": 1}
    assert len(printed) == 2


def test_opting_out_stops_sms(app, sms_worker, assign, deliver, printed, now):
    assign(sms_worker)
    in_app(app, lambda: (db.session.add(NotificationPreference(user_id=sms_worker.id, sms_enabled=False)),
                         db.session.commit()))
    now.move(121)
    assert deliver() == {"sms skipped (opted_out)": 1} and printed == []


def test_per_user_daily_cap_and_deployment_budget(app, sms_worker, assign, deliver, printed, now, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_USER_DAILY_CAP", 2)
    monkeypatch.setitem(app.config, "SMS_DAILY_BUDGET", 3)
    other = make_user(app, Role.GRID_WORKER, name="李网格")
    for _ in range(3):
        assign(sms_worker)
    now.move(121)
    assert deliver() == {"sms sent": 2, "sms skipped (user_daily_cap)": 1}
    for _ in range(2):
        assign(other)
    now.move(121)
    assert deliver() == {"sms sent": 1, "sms skipped (daily_budget)": 1}
    now.move(24 * 3600)  # a new China day: counts start again
    assign(other)
    now.move(121)
    assert deliver() == {"sms sent": 1}
    assert len(printed) == 4


# --- the user's settings -------------------------------------------------------------------------

SETTINGS = "/api/v1/me/notification-settings"


def test_settings_start_at_the_defaults_and_change_in_parts(app, client, sms_worker):
    headers = auth_headers(app, sms_worker)
    assert client.get(SETTINGS, headers=headers).get_json() == {
        "sms_enabled": True, "wechat_enabled": True, "quiet_start": None, "quiet_end": None,
        "wechat_bound": False, "wechat_bound_at": None}
    changed = client.put(SETTINGS, json={"sms_enabled": False}, headers=headers)
    assert changed.status_code == 200 and changed.get_json()["sms_enabled"] is False
    changed = client.put(SETTINGS, json={"quiet_start": "23:30", "quiet_end": "06:00"}, headers=headers)
    body = changed.get_json()
    assert (body["sms_enabled"], body["quiet_start"], body["quiet_end"]) == (False, "23:30", "06:00")
    assert client.put(SETTINGS, json={"sms_enabled": False}, headers=headers).status_code == 200  # a retry


@pytest.mark.parametrize("body", [{"quiet_start": "25:00", "quiet_end": "06:00"}, {"quiet_start": "22:00"},
                                  {"quiet_start": "22:00", "quiet_end": None}, {"sms_enabled": "yes"},
                                  {"volume": 11}, [True]])
def test_bad_settings_are_400_and_change_nothing(app, client, sms_worker, body):
    headers = auth_headers(app, sms_worker)
    response = client.put(SETTINGS, json=body, headers=headers)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] in ("validation_failed", "quiet_hours_incomplete")
    assert client.get(SETTINGS, headers=headers).get_json()["quiet_start"] is None


def test_a_users_own_quiet_hours_replace_the_default(app, client, sms_worker, assign, deliver, printed, now):
    headers = auth_headers(app, sms_worker)
    client.put(SETTINGS, json={"quiet_start": "00:00", "quiet_end": "00:00"}, headers=headers)  # none
    now.move(13 * 3600)  # 23:00 in China
    assign(sms_worker)
    now.move(121)
    assert deliver() == {"sms sent": 1}
    client.put(SETTINGS, json={"quiet_start": "09:00", "quiet_end": "12:00"}, headers=headers)
    now.move(11 * 3600)  # 10:02 the next morning
    assign(sms_worker)
    now.move(121)
    assert deliver() == {"sms deferred": 1}


# --- several deliverers, other kinds -------------------------------------------------------------

def test_two_deliverers_at_once_send_each_sms_once_and_keep_the_budget(app, sms_worker, assign, printed, now,
                                                                        monkeypatch):
    monkeypatch.setitem(app.config, "SMS_USER_DAILY_CAP", 100)
    monkeypatch.setitem(app.config, "SMS_DAILY_BUDGET", 9)
    ids = [assign(sms_worker, category="flying_lead_charging") for _ in range(12)]
    senders = ChannelSenders(sms=ConsoleSms(write=printed.append))
    settings = ChannelSettings.from_config(app.config)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            while in_app(app, lambda: deliver_channels(senders=senders, settings=settings, max_batch=2,
                                                       policy=POLICY)).claimed:
                pass
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert errors == []
    assert len(printed) == 9  # the budget, not one more
    rows = _sms_rows(app)
    assert len(rows) == len(ids) and rows.count(("sent", None)) == 9
    assert rows.count(("skipped", "daily_budget")) == 3


def test_a_department_is_texted_a_dispatch_left_unseen(app, rider, deliver, printed, now):
    from app.notifications import service

    department = make_user(app, Role.DEPARTMENT, name="城管局", phone="13812345678")
    with app.app_context():
        report = Report(reporter_id=rider.id, category_code="road_damage", lat=38.48, lon=106.23,
                        status="dispatched", department_id=department.id, due_at=now.at + timedelta(hours=4))
        db.session.add(report)
        db.session.flush()
        service.notify(user_id=department.id, kind="dispatched", report_id=report.id, title="派发", body="")
        db.session.commit()
    assert deliver() == {"sms sent": 1}  # road damage is urgent
    assert "13812345678" in printed[0] and "SMS_DISPATCHED" in printed[0]
    assert '"deadline": "12-07 14:00"' in printed[0] and '"address": "见App地图"' in printed[0]


def test_the_cli_worker_prints_the_console_sms_on_its_output(app, sms_worker, assign, now, monkeypatch):
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", "")  # SMS alone is enough to run the worker
    assign(sms_worker)
    now.move(121)
    result = app.test_cli_runner().invoke(args=["notifications", "deliver", "--once"])
    assert result.exit_code == 0, result.output
    assert "发往 13912345678" in result.output and "SMS_ASSIGNED" in result.output
    assert "sms sent 1" in result.output
