"""Web Push delivery with the real pywebpush sender against a loopback push service that decrypts."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.common import clock
from app.extensions import db
from app.notifications.delivery import DeliveryPolicy, deliver_due
from app.notifications.endpoints import parse_allow_list
from app.notifications.models import PushDelivery, PushSubscription
from app.notifications.push import WebPushSender, application_server_key
from app.notifications.rules import retry_delay_seconds
from tests.factories import auth_headers
from tests.notifications.conftest import in_app
from tests.support.push_server import Subscriber, verified_vapid

POLICY = DeliveryPolicy(max_attempts=3, retry_base_seconds=30, retry_max_seconds=3600, lease_seconds=120)


@pytest.fixture
def deliver(app, push_config):
    """One round of the deliverer, as `flask notifications deliver` runs it, in its own app context."""

    def _deliver(max_batch: int = 50, policy: DeliveryPolicy = POLICY):
        sender = WebPushSender(private_key=push_config["private_key"], subject="mailto:ops@gridsnap.example",
                               ttl_seconds=3600, timeout_seconds=5,
                               allowed=parse_allow_list(app.config["PUSH_ALLOWED_HOSTS"]))
        return in_app(app, lambda: deliver_due(sender=sender, max_batch=max_batch, policy=policy))

    return _deliver


def _deliveries(app) -> list[tuple[str, int, int | None]]:
    return in_app(app, lambda: [(d.status, d.attempts, d.last_status) for d in
                                db.session.scalars(select(PushDelivery).order_by(PushDelivery.id))])


def _move_clock(monkeypatch, by: timedelta) -> None:
    now = clock.utcnow() + by
    monkeypatch.setattr(clock, "utcnow", lambda: now)


def test_delivers_an_encrypted_vapid_signed_payload(app, worker, report_id, notify, subscribe, push_server,
                                                     deliver, push_config):
    phone = push_server.subscriber("phone")
    subscribe(auth_headers(app, worker), phone)
    [note_id] = notify(worker.id, kind="assigned", title="新任务", body="飞线充电，距你 120 米",
                       report_id=report_id, data={"distance_m": 120})
    result = deliver()
    assert result.counts == {"delivered": 1}
    [received] = push_server.requests_to(phone)
    payload = phone.decrypt(received)
    assert {k: payload[k] for k in ("id", "kind", "title", "body", "report_id", "data")} == {
        "id": note_id, "kind": "assigned", "title": "新任务", "body": "飞线充电，距你 120 米",
        "report_id": report_id, "data": {"distance_m": 120}}
    signer, claims = verified_vapid(received.headers["authorization"])
    assert signer == push_config["public_key"] == application_server_key(push_config["private_key"])
    assert claims["aud"] == phone.endpoint.rsplit("/push/", 1)[0]  # the push service's origin
    assert claims["sub"] == "mailto:ops@gridsnap.example"
    assert received.headers["ttl"] == "3600" and received.headers["urgency"] == "high"
    assert _deliveries(app) == [("sent", 1, 201)]
    assert deliver().claimed == 0  # sent once: nothing left to do


def test_each_device_of_the_user_gets_it(app, rider, notify, subscribe, push_server, deliver):
    phone, tablet = push_server.subscriber("phone"), push_server.subscriber("tablet")
    for device in (phone, tablet):
        subscribe(auth_headers(app, rider), device)
    [note_id] = notify(rider.id, kind="status_changed")
    assert deliver().counts == {"delivered": 2}
    for device in (phone, tablet):
        [received] = push_server.requests_to(device)
        assert device.decrypt(received)["id"] == note_id
        assert received.headers["urgency"] == "normal"


@pytest.mark.parametrize("status", [404, 410])
def test_gone_subscription_is_removed(app, rider, notify, subscribe, push_server, deliver, status):
    phone = push_server.subscriber("uninstalled")
    subscribe(auth_headers(app, rider), phone)
    push_server.answer(phone, status)
    notify(rider.id, 2)
    assert deliver().counts == {"gone": 1}  # the second delivery went with the subscription
    assert in_app(app, lambda: db.session.scalars(select(PushSubscription)).all()) == []
    assert _deliveries(app) == []
    notify(rider.id, 1)
    assert deliver().claimed == 0 and len(push_server.requests_to(phone)) == 1


def test_server_errors_retry_with_backoff_then_succeed(app, rider, notify, subscribe, push_server, deliver,
                                                      monkeypatch):
    phone = push_server.subscriber("flaky")
    subscribe(auth_headers(app, rider), phone)
    push_server.answer(phone, 500, 503)
    [note_id] = notify(rider.id)
    assert deliver().counts == {"retry": 1}
    assert _deliveries(app) == [("pending", 1, 500)]
    assert deliver().claimed == 0  # not due before its backoff
    _move_clock(monkeypatch, timedelta(seconds=29))
    assert deliver().claimed == 0
    _move_clock(monkeypatch, timedelta(seconds=2))  # 31 s after the first failure
    assert deliver().counts == {"retry": 1}
    assert _deliveries(app) == [("pending", 2, 503)]
    _move_clock(monkeypatch, timedelta(seconds=59))  # the second wait is twice as long
    assert deliver().claimed == 0
    _move_clock(monkeypatch, timedelta(seconds=2))
    assert deliver().counts == {"delivered": 1}
    assert _deliveries(app) == [("sent", 3, 201)]
    received = push_server.requests_to(phone)
    assert [phone.decrypt(r)["id"] for r in received] == [note_id] * 3


def test_gives_up_after_max_attempts(app, rider, notify, subscribe, push_server, deliver, monkeypatch):
    phone = push_server.subscriber("down")
    subscribe(auth_headers(app, rider), phone)
    push_server.answer(phone, 500, 502, 503, 500)
    notify(rider.id)
    outcomes = []
    for _ in range(4):
        outcomes.append(deliver().counts)
        _move_clock(monkeypatch, timedelta(hours=2))
    assert outcomes == [{"retry": 1}, {"retry": 1}, {"failed": 1}, {}]
    assert _deliveries(app) == [("failed", 3, 503)]
    assert len(push_server.requests_to(phone)) == 3


def test_network_errors_retry(app, rider, notify, subscribe, deliver, monkeypatch):
    nobody_listens = Subscriber(endpoint="http://127.0.0.1:9/push/phone")  # connection refused
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS", f"{app.config['PUSH_ALLOWED_HOSTS']},http://127.0.0.1:9")
    subscribe(auth_headers(app, rider), nobody_listens)
    notify(rider.id)
    assert deliver().counts == {"retry": 1}
    assert _deliveries(app) == [("pending", 1, None)]


def test_a_push_service_refusal_is_not_retried(app, rider, notify, subscribe, push_server, deliver):
    phone = push_server.subscriber("phone")
    subscribe(auth_headers(app, rider), phone)
    push_server.answer(phone, 413)
    notify(rider.id)
    assert deliver().counts == {"failed": 1}
    assert _deliveries(app) == [("failed", 1, 413)]


def test_two_deliverers_at_once_send_each_message_once(app, rider, notify, subscribe, push_server, deliver):
    phones = [push_server.subscriber(f"phone{n}") for n in range(3)]
    for phone in phones:
        subscribe(auth_headers(app, rider), phone)
    ids = notify(rider.id, 15)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait()
            while deliver(max_batch=4).claimed:
                pass
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert errors == []
    for phone in phones:
        got = sorted(phone.decrypt(r)["id"] for r in push_server.requests_to(phone))
        assert got == ids  # every message, none twice
    assert {status for status, _, _ in _deliveries(app)} == {"sent"}
    assert len(push_server.received) == 45


def test_a_crashed_deliverers_claim_returns_after_its_lease(app, rider, notify, subscribe, push_server,
                                                            deliver, monkeypatch):
    phone = push_server.subscriber("phone")
    subscribe(auth_headers(app, rider), phone)
    notify(rider.id)

    class Crash(Exception):
        pass

    class CrashingSender:
        def send(self, **_):
            raise Crash()

    with pytest.raises(Crash):
        in_app(app, lambda: deliver_due(sender=CrashingSender(), max_batch=10, policy=POLICY))
    assert deliver().claimed == 0  # still leased to the crashed one
    _move_clock(monkeypatch, timedelta(seconds=POLICY.lease_seconds + 1))
    assert deliver().counts == {"delivered": 1}


def test_cli_deliver_once_and_vapid_keys(app, rider, notify, subscribe, push_server, push_config):
    phone = push_server.subscriber("phone")
    subscribe(auth_headers(app, rider), phone)
    ids = notify(rider.id, 5)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["notifications", "deliver", "--once", "--max-batch", "2"])
    assert result.exit_code == 0, result.output
    assert sorted(phone.decrypt(r)["id"] for r in push_server.requests_to(phone)) == ids
    keys = runner.invoke(args=["notifications", "vapid-keys"])
    lines = dict(line.split("=", 1) for line in keys.output.split())
    assert application_server_key(lines["VAPID_PRIVATE_KEY"]) == lines["VAPID_PUBLIC_KEY"]


def test_cli_deliver_refuses_when_no_channel_is_configured(app, monkeypatch):
    for name in ("VAPID_PRIVATE_KEY", "SMS_PROVIDER", "WECHAT_APP_ID"):
        monkeypatch.setitem(app.config, name, "")
    result = app.test_cli_runner().invoke(args=["notifications", "deliver", "--once"])
    assert result.exit_code != 0 and "VAPID_PRIVATE_KEY" in result.output and "SMS_PROVIDER" in result.output


def test_backoff_doubles_up_to_a_cap():
    delays = [retry_delay_seconds(attempts=n, base_seconds=30, max_seconds=600) for n in range(1, 7)]
    assert delays == [30, 60, 120, 240, 480, 600]

