"""Status callbacks (回音): each status change of an integration's report, queued in the same
transaction, then POSTed signed with HMAC-SHA256 — at-least-once, idempotent by event id."""
from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import requests
from sqlalchemy import select, update

from app.common import clock
from app.extensions import db
from app.integrations.models import CallbackDelivery, Integration
from app.integrations.open311 import present_requests
from app.notifications.delivery import DeliveryPolicy, RoundResult
from app.notifications.rules import retry_delay_seconds
from app.reports.models import Report, ReportEvent

SIGNATURE_HEADER = "X-GridSnap-Signature"
EVENT_HEADER = "X-GridSnap-Event-Id"
# Worth trying again later; any other 4xx means the receiver will never take this body.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def sign(body: bytes, secret: str) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of the exact body under the secret>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- queueing, inside the transition's transaction --------------------------------------------

def queue_status_change(*, report: Report, event: ReportEvent) -> CallbackDelivery | None:
    """Owe the filing integration a callback for this change (if it has a callback URL); flushes."""
    if report.integration_id is None or event.from_status == event.to_status:
        return None
    integration = db.session.get(Integration, report.integration_id)
    if integration is None or not integration.callback_url or not integration.active:
        return None
    [fields] = present_requests([report], with_media=False)
    body = {**fields, "event_id": str(event.id), "event": event.action,
            "from_status": event.from_status, "to_status": event.to_status,
            "occurred_at": event.at.isoformat()}
    delivery = CallbackDelivery(integration_id=integration.id, report_id=report.id, event_id=event.id,
                                body=json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                                status="pending", attempts=0, next_attempt_at=event.at)
    db.session.add(delivery)
    db.session.flush()
    return delivery


# --- sending, by `flask integrations callbacks` ------------------------------------------------

@dataclass(frozen=True)
class CallbackResult:
    delivered: bool
    retry: bool
    status: int | None = None
    detail: str = ""


class CallbackSender(Protocol):
    def send(self, *, url: str, body: bytes, headers: dict[str, str]) -> CallbackResult: ...


class HttpCallbackSender:
    """POSTs with requests; no redirects are followed (the signed body goes where it was told)."""

    def __init__(self, *, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds

    def send(self, *, url: str, body: bytes, headers: dict[str, str]) -> CallbackResult:
        try:
            response = requests.post(url, data=body, headers=headers, timeout=self.timeout_seconds,
                                     allow_redirects=False)
        except requests.RequestException as exc:
            return CallbackResult(delivered=False, retry=True, detail=type(exc).__name__)
        status = response.status_code
        if 200 <= status < 300:
            return CallbackResult(delivered=True, retry=False, status=status)
        return CallbackResult(delivered=False, retry=status in RETRYABLE_STATUSES, status=status,
                              detail=response.text[:200])


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    attempts: int
    url: str
    body: bytes
    headers: dict[str, str]


def deliver_due_callbacks(*, sender: CallbackSender, max_batch: int, policy: DeliveryPolicy) -> RoundResult:
    """Send one batch of due callbacks; safe with several deliverers at once (claims with a lease)."""
    token = uuid.uuid4().hex
    claimed = _claim(token=token, max_batch=max_batch, lease=timedelta(seconds=policy.lease_seconds))
    result = RoundResult(claimed=len(claimed))
    for item in claimed:  # no transaction is open while we wait on the network
        sent = sender.send(url=item.url, body=item.body, headers=item.headers)
        result.add(_record(item, token=token, sent=sent, policy=policy))
    return result


def _claim(*, token: str, max_batch: int, lease: timedelta) -> list[_Claimed]:
    now = clock.utcnow()
    # A disabled integration's callbacks wait (they go out if it is enabled again).
    active = select(Integration.id).where(Integration.active.is_(True))
    due = (CallbackDelivery.status == "pending", CallbackDelivery.next_attempt_at <= now,
           CallbackDelivery.integration_id.in_(active))
    batch = select(CallbackDelivery.id).where(*due).order_by(CallbackDelivery.next_attempt_at,
                                                             CallbackDelivery.id)
    db.session.execute(
        update(CallbackDelivery).where(CallbackDelivery.id.in_(batch.limit(max_batch)), *due)
        .values(claim_token=token, attempts=CallbackDelivery.attempts + 1, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False))
    rows = db.session.execute(
        select(CallbackDelivery, Integration)
        .join(Integration, Integration.id == CallbackDelivery.integration_id)
        .where(CallbackDelivery.claim_token == token).order_by(CallbackDelivery.id)).all()
    claimed = [_claimed(delivery, integration) for delivery, integration in rows]
    db.session.commit()
    return claimed


def _claimed(delivery: CallbackDelivery, integration: Integration) -> _Claimed:
    body = delivery.body.encode()
    headers = {"Content-Type": "application/json; charset=utf-8", EVENT_HEADER: str(delivery.event_id),
               SIGNATURE_HEADER: sign(body, integration.callback_secret), "User-Agent": "GridSnap-Callback/1"}
    return _Claimed(delivery.id, delivery.attempts, integration.callback_url or "", body, headers)


def _record(item: _Claimed, *, token: str, sent: CallbackResult, policy: DeliveryPolicy) -> str:
    now = clock.utcnow()
    values: dict = {"claim_token": None, "last_status": sent.status, "last_error": sent.detail[:200] or None}
    if sent.delivered:
        values.update(status="sent", sent_at=now, last_error=None)
        happened = "delivered"
    elif sent.retry and item.attempts < policy.max_attempts:
        delay = retry_delay_seconds(attempts=item.attempts, base_seconds=policy.retry_base_seconds,
                                    max_seconds=policy.retry_max_seconds)
        values.update(next_attempt_at=now + timedelta(seconds=delay))
        happened = "retry"
    else:
        values.update(status="failed")
        happened = "failed"
    # Only while the claim is still ours: after a lease ran out another deliverer owns the row.
    db.session.execute(update(CallbackDelivery)
                       .where(CallbackDelivery.id == item.delivery_id, CallbackDelivery.claim_token == token)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return happened
