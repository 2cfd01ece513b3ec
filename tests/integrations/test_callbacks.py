"""Status callbacks to a loopback receiver that checks the HMAC-SHA256 signature: every change, once
per event id, retried with backoff, redelivered after a crash."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from app.common import clock
from app.extensions import db
from app.integrations.callbacks import HttpCallbackSender, deliver_due_callbacks
from app.integrations.models import CallbackDelivery
from app.notifications.delivery import DeliveryPolicy
from tests.images import jpeg_bytes
from tests.integrations.conftest import hotline_form
from tests.reports.conftest import act
from tests.support.callback_receiver import CallbackReceiver

FORM = "application/x-www-form-urlencoded"
POLICY = DeliveryPolicy(max_attempts=3, retry_base_seconds=30, retry_max_seconds=600, lease_seconds=120)


@pytest.fixture
def moved_clock(monkeypatch):
    """The real clock plus an offset the test moves forward."""
    real = clock.utcnow
    offset = {"by": timedelta(0)}
    monkeypatch.setattr("app.common.clock.utcnow", lambda: real() + offset["by"])
    return offset


@pytest.fixture
def receiver():
    with CallbackReceiver() as running:
        yield running


@pytest.fixture
def wired(client, issue, mapped, staff, receiver):
    issued = issue(callback_url=receiver.url)
    receiver.secret = issued["callback_secret"]
    return issued


def deliver(app, sender=None):
    with app.app_context():
        return deliver_due_callbacks(sender=sender or HttpCallbackSender(timeout_seconds=5),
                                     max_batch=50, policy=POLICY)


def file_and_resolve(client, app, wired, staff) -> str:
    [created] = client.post("/open311/v2/requests.json", data=hotline_form(wired["api_key"]),
                            content_type=FORM).get_json()
    report_id = int(created["service_request_id"])
    assert act(client, app, staff["near"], report_id, "accept").status_code == 200
    after = {"note": "已拆除飞线", "photo": [(io.BytesIO(jpeg_bytes(64, 48, seed=9)), "after.jpg")]}
    assert act(client, app, staff["near"], report_id, "resolve", data=after).status_code == 200
    return created["service_request_id"]


def test_every_status_change_is_called_back_signed(client, app, wired, staff, receiver, moved_clock):
    request_id = file_and_resolve(client, app, wired, staff)
    assert deliver(app).counts == {"delivered": 3}
    assert all(d.signature_ok for d in receiver.deliveries)
    changes = sorted(receiver.events.values(), key=lambda e: int(e["event_id"]))
    assert [(e["from_status"], e["to_status"]) for e in changes] == [
        ("submitted", "assigned"), ("assigned", "accepted"), ("accepted", "resolved")]
    assert {e["service_request_id"] for e in changes} == {request_id}
    assert [e["status"] for e in changes] == ["open", "open", "closed"]
    assert changes[-1]["status_notes"] == "已拆除飞线"
    assert staff["near"].name not in str(changes) and staff["near"].phone not in str(changes)
    assert deliver(app).claimed == 0  # nothing is sent twice once it was taken


def test_a_failing_receiver_is_retried_with_backoff(client, app, wired, staff, receiver, moved_clock):
    client.post("/open311/v2/requests.json", data=hotline_form(wired["api_key"]), content_type=FORM)
    receiver.script.extend([503, 503])
    assert deliver(app).counts == {"retry": 1}
    assert deliver(app).claimed == 0  # not due before its backoff
    moved_clock["by"] = timedelta(seconds=31)
    assert deliver(app).counts == {"retry": 1}  # second failure: now 60 s
    moved_clock["by"] = timedelta(seconds=31 + 45)
    assert deliver(app).claimed == 0
    moved_clock["by"] = timedelta(seconds=31 + 61)
    assert deliver(app).counts == {"delivered": 1}
    assert [d.status for d in receiver.deliveries] == [503, 503, 200]
    assert len({d.body for d in receiver.deliveries}) == 1  # the same signed body each time
    assert len(receiver.events) == 1


def test_a_receiver_that_refuses_for_good_is_not_retried(client, app, wired, staff, receiver,
                                                         moved_clock):
    client.post("/open311/v2/requests.json", data=hotline_form(wired["api_key"]), content_type=FORM)
    receiver.script.append(400)
    assert deliver(app).counts == {"failed": 1}
    moved_clock["by"] = timedelta(hours=2)
    assert deliver(app).claimed == 0
    with app.app_context():
        row = db.session.query(CallbackDelivery).one()
        assert (row.status, row.last_status) == ("failed", 400)


def test_a_wrong_secret_is_caught_by_the_receiver(client, app, wired, staff, receiver, moved_clock):
    receiver.secret = "not-the-secret"
    client.post("/open311/v2/requests.json", data=hotline_form(wired["api_key"]), content_type=FORM)
    assert deliver(app).counts == {"failed": 1}
    assert receiver.events == {} and not receiver.deliveries[0].signature_ok


class CrashAfterSending:
    """A deliverer that dies after the receiver got the POST, before it could record that."""

    def send(self, **kwargs):
        HttpCallbackSender(timeout_seconds=5).send(**kwargs)
        raise SystemExit("killed")


def test_a_crashed_deliverer_s_callback_is_sent_again_and_deduplicated_by_event_id(
        client, app, wired, staff, receiver, moved_clock):
    client.post("/open311/v2/requests.json", data=hotline_form(wired["api_key"]), content_type=FORM)
    with pytest.raises(SystemExit):
        deliver(app, CrashAfterSending())
    with app.app_context():
        db.session.remove()
    assert deliver(app).claimed == 0  # still leased to the dead deliverer
    moved_clock["by"] = timedelta(seconds=POLICY.lease_seconds + 1)
    assert deliver(app).counts == {"delivered": 1}
    assert len(receiver.deliveries) == 2 and receiver.deliveries[0].event_id == receiver.deliveries[1].event_id
    assert len(receiver.events) == 1  # at-least-once on the wire, once for the receiver


def test_nothing_is_queued_without_a_callback_url_or_for_riders(client, app, issue, mapped, staff, submit):
    quiet = issue(name="无回调")
    client.post("/open311/v2/requests.json", data=hotline_form(quiet["api_key"]), content_type=FORM)
    submit()
    with app.app_context():
        assert db.session.query(CallbackDelivery).count() == 0


def test_a_disabled_integration_s_callbacks_wait(client, app, wired, staff, receiver, admin_headers):
    client.post("/open311/v2/requests.json", data=hotline_form(wired["api_key"]), content_type=FORM)
    client.patch(f"/api/v1/integrations/{wired['id']}", json={"active": False}, headers=admin_headers)
    assert deliver(app).claimed == 0
    client.patch(f"/api/v1/integrations/{wired['id']}", json={"active": True}, headers=admin_headers)
    assert deliver(app).counts == {"delivered": 1}


def test_the_deliverer_command_sends_what_is_due(client, app, wired, staff, receiver):
    client.post("/open311/v2/requests.json", data=hotline_form(wired["api_key"]), content_type=FORM)
    result = app.test_cli_runner().invoke(args=["integrations", "callbacks", "--once"])
    assert result.exit_code == 0, result.output
    assert "delivered 1" in result.output and len(receiver.events) == 1
