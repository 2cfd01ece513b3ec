"""The Web Push deliverer: claim due deliveries, send each, record what the push service answered."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, select, update

from app.common import clock
from app.extensions import db
from app.notifications.models import DeliveryStatus, Notification, PushDelivery, PushSubscription
from app.notifications.push import Outcome, PushResult, PushSender, PushTarget
from app.notifications.rules import HIGH_URGENCY_KINDS, retry_delay_seconds
from app.notifications.schemas import NotificationSchema

# Encrypted Web Push bodies stop near 4 KB; past this the optional data stays behind (the app polls).
PAYLOAD_SOFT_LIMIT = 3000
_dump = NotificationSchema().dump


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int
    retry_base_seconds: float
    retry_max_seconds: float
    lease_seconds: float  # longer than sending a whole batch takes; then a crashed sender's rows return


@dataclass
class RoundResult:
    claimed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str) -> None:
        self.counts[outcome] = self.counts.get(outcome, 0) + 1

    def summary(self) -> str:
        return f"claimed {self.claimed}: " + ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))


@dataclass(frozen=True)
class _Claimed:
    delivery_id: int
    subscription_id: int
    attempts: int
    target: PushTarget
    payload: bytes
    urgency: str


def deliver_due(*, sender: PushSender, max_batch: int, policy: DeliveryPolicy) -> RoundResult:
    """Send one batch of due Web Push deliveries: at-least-once, safe with several deliverers at once."""
    token = uuid.uuid4().hex
    claimed = _claim(token=token, max_batch=max_batch, lease=timedelta(seconds=policy.lease_seconds))
    result = RoundResult(claimed=len(claimed))
    gone: set[int] = set()
    for item in claimed:  # no transaction is open while we wait on the network
        if item.subscription_id in gone:
            continue  # its row went with the subscription
        pushed = sender.send(target=item.target, payload=item.payload, urgency=item.urgency)
        happened = _record(item, token=token, pushed=pushed, policy=policy)
        if happened == "gone":
            gone.add(item.subscription_id)
        result.add(happened)
    return result


def _claim(*, token: str, max_batch: int, lease: timedelta) -> list[_Claimed]:
    """Take due rows with one conditional UPDATE: a row another deliverer took is no longer due."""
    now = clock.utcnow()
    due = (PushDelivery.status == DeliveryStatus.PENDING.value, PushDelivery.next_attempt_at <= now)
    batch = select(PushDelivery.id).where(*due).order_by(PushDelivery.next_attempt_at, PushDelivery.id)
    db.session.execute(
        update(PushDelivery).where(PushDelivery.id.in_(batch.limit(max_batch)), *due)
        .values(claim_token=token, attempts=PushDelivery.attempts + 1, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False))
    rows = db.session.execute(
        select(PushDelivery, Notification, PushSubscription)
        .join(Notification, Notification.id == PushDelivery.notification_id)
        .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
        .where(PushDelivery.claim_token == token).order_by(PushDelivery.id)).all()
    claimed = [_Claimed(delivery.id, subscription.id, delivery.attempts,
                        PushTarget(subscription.endpoint, subscription.p256dh, subscription.auth),
                        push_payload(notification), _urgency(notification.kind))
               for delivery, notification, subscription in rows]
    db.session.commit()
    return claimed


def _record(item: _Claimed, *, token: str, pushed: PushResult, policy: DeliveryPolicy) -> str:
    """Write the outcome in its own short transaction; returns what happened, for the summary."""
    now = clock.utcnow()
    if pushed.outcome is Outcome.GONE:
        # The browser unsubscribed or the app was removed: forget the device and its pending rows.
        db.session.execute(delete(PushSubscription).where(PushSubscription.id == item.subscription_id))
        db.session.commit()
        return "gone"
    values: dict = {"claim_token": None, "last_status": pushed.status,
                    "last_error": pushed.detail[:200] or None}
    if pushed.outcome is Outcome.DELIVERED:
        values.update(status=DeliveryStatus.SENT.value, sent_at=now, last_error=None)
        happened = "delivered"
    elif pushed.outcome is Outcome.RETRY and item.attempts < policy.max_attempts:
        delay = retry_delay_seconds(attempts=item.attempts, base_seconds=policy.retry_base_seconds,
                                    max_seconds=policy.retry_max_seconds)
        values.update(next_attempt_at=now + timedelta(seconds=delay))
        happened = "retry"
    else:
        values.update(status=DeliveryStatus.FAILED.value)
        happened = "failed"
    # Only while the claim is still ours: after a lease ran out another deliverer owns the row.
    db.session.execute(update(PushDelivery)
                       .where(PushDelivery.id == item.delivery_id, PushDelivery.claim_token == token)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return happened


def push_payload(notification: Notification) -> bytes:
    """The JSON a service worker receives: the notification as the poll shows it (data if it fits)."""
    item = _dump(notification)
    encoded = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
    if len(encoded) > PAYLOAD_SOFT_LIMIT:
        item["data"] = {}
        encoded = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
    return encoded


def _urgency(kind: str) -> str:
    return "high" if kind in HIGH_URGENCY_KINDS else "normal"
