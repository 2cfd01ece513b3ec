"""Push use cases: queue notifications in the caller's transaction, read and mark them seen, subscriptions."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User, UserStatus
from app.common import clock
from app.common.models import UTCDateTime
from app.common.pagination import Keyset, keyset_list
from app.errors import ValidationFailed
from app.extensions import db
from app.notifications import fanout
from app.notifications.channels import ChannelSettings, queue_channel_deliveries
from app.notifications.endpoints import AllowList, endpoint_problem
from app.notifications.models import DeliveryStatus, Notification, PushDelivery, PushSubscription
from app.notifications.rules import BODY_MAX, TITLE_MAX, check_kind, clip

# Web Push carries at most ~4 KB; data rides along in the push payload, so it stays small.
DATA_MAX_BYTES = 2048


# --- the outbox --------------------------------------------------------------------------------

def notify(*, user_id: int, kind: str, title: str, body: str, report_id: int | None = None,
           data: dict[str, Any] | None = None) -> Notification:
    """Queue one notification in the caller's transaction (adds and flushes; the caller commits)."""
    return notify_many(user_ids=[user_id], kind=kind, title=title, body=body,
                       report_id=report_id, data=data)[0]


def notify_many(*, user_ids: Iterable[int], kind: str, title: str, body: str,
                report_id: int | None = None, data: dict[str, Any] | None = None) -> list[Notification]:
    """Queue the same notification for each user once (adds and flushes; the caller commits)."""
    check_kind(kind)
    extra = _small_json_object(data)
    now = clock.utcnow()
    rows = [
        Notification(user_id=user_id, kind=kind, report_id=report_id, title=clip(title, TITLE_MAX),
                     body=clip(body, BODY_MAX), data=dict(extra), created_at=now)
        for user_id in dict.fromkeys(user_ids)
    ]
    if rows:
        db.session.add_all(rows)
        db.session.flush()
        _queue_push_deliveries([row.id for row in rows], now=now)
        fanout.announce(user_ids=[row.user_id for row in rows])
        queue_channel_deliveries([row.id for row in rows], kind=kind, now=now,
                                 settings=ChannelSettings.from_config(current_app.config))
    return rows


def _queue_push_deliveries(notification_ids: list[int], *, now: datetime) -> None:
    """One pending Web Push delivery per notification and live subscription of an active user."""
    rows = (
        select(Notification.id, PushSubscription.id, literal(DeliveryStatus.PENDING.value),
               literal(0), literal(now, UTCDateTime()), literal(now, UTCDateTime()))
        .join(PushSubscription, PushSubscription.user_id == Notification.user_id)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(notification_ids), User.status == UserStatus.ACTIVE.value,
               or_(PushSubscription.expires_at.is_(None), PushSubscription.expires_at > now))
    )
    columns = ["notification_id", "subscription_id", "status", "attempts", "next_attempt_at", "created_at"]
    db.session.execute(insert(PushDelivery).from_select(columns, rows))


def _small_json_object(data: dict[str, Any] | None) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TypeError("notification data must be a dict")
    if len(json.dumps(data, ensure_ascii=False).encode()) > DATA_MAX_BYTES:
        raise ValueError(f"notification data must stay under {DATA_MAX_BYTES} bytes of JSON")
    return data


# --- reading ------------------------------------------------------------------------------------

def notifications_after(*, user_id: int, after: int, limit: int) -> list[Notification]:
    """The user's own notifications with id > after, oldest first, at most limit."""
    stmt = (select(Notification).where(Notification.user_id == user_id, Notification.id > after)
            .order_by(Notification.id).limit(limit))
    return list(db.session.scalars(stmt))


NOTIFICATION_KEYSET = Keyset(id=Notification.id)


def notifications_page(*, user_id: int, cursor: str | None, page: int, per_page: int) -> dict[str, Any]:
    """A page of the user's own notifications, newest first; the cursor is good for this user only."""
    return keyset_list(select(Notification).where(Notification.user_id == user_id),
                       keyset=NOTIFICATION_KEYSET, cursor=cursor, binding=f"notifications:{user_id}",
                       page=page, per_page=per_page)


def recipients_after(*, after: int, limit: int) -> list[tuple[int, int]]:
    """(id, user_id) of everyone's notifications with id > after, oldest first: what a poller wakes."""
    stmt = (select(Notification.id, Notification.user_id).where(Notification.id > after)
            .order_by(Notification.id).limit(limit))
    return [(row.id, row.user_id) for row in db.session.execute(stmt)]


def newest_notification_id() -> int:
    """The highest notification id so far (0 for none): where a poller starts."""
    return db.session.scalar(select(func.max(Notification.id))) or 0
def mark_seen(*, user_id: int, up_to_id: int) -> int:
    """Mark the user's own notifications up to this id as seen (idempotent); how many were newly seen."""
    marked = db.session.execute(
        update(Notification).where(Notification.user_id == user_id, Notification.id <= up_to_id,
                                   Notification.seen_at.is_(None))
        .values(seen_at=clock.utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return marked


# --- Web Push subscriptions ----------------------------------------------------------------------

def save_subscription(*, user_id: int, endpoint: str, p256dh: str, auth: str,
                      expires_at: datetime | None = None, user_agent: str | None = None,
                      allowed: AllowList) -> tuple[PushSubscription, bool]:
    """Register or refresh this device's subscription (one row per endpoint); True if it is new.
    Only endpoints of the allowed push services, on public addresses (the deliverer POSTs there)."""
    problem = endpoint_problem(endpoint, allowed=allowed, resolve=True)
    if problem:
        raise ValidationFailed(details={"fields": {"endpoint": [problem]}})
    # A device that changed hands (logout, another login) must not get the previous user's pushes.
    db.session.execute(delete(PushDelivery).where(
        PushDelivery.status == DeliveryStatus.PENDING.value,
        PushDelivery.subscription_id.in_(select(PushSubscription.id).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id != user_id))))
    values = {"user_id": user_id, "p256dh": p256dh, "auth": auth, "expires_at": expires_at,
              "user_agent": user_agent, "updated_at": clock.utcnow()}
    created = not _update_subscription(endpoint, values)
    if created:
        try:
            with db.session.begin_nested():
                db.session.add(PushSubscription(endpoint=endpoint, created_at=values["updated_at"], **values))
        except IntegrityError:  # the same device registered twice at once: the other insert won
            created = not _update_subscription(endpoint, values)
    subscription = db.session.scalars(
        select(PushSubscription).where(PushSubscription.endpoint == endpoint)).one()
    db.session.commit()
    return subscription, created


def _update_subscription(endpoint: str, values: dict[str, Any]) -> bool:
    stmt = update(PushSubscription).where(PushSubscription.endpoint == endpoint).values(**values)
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount > 0


def delete_subscription(*, user_id: int, endpoint: str) -> None:
    """Stop Web Push to this device (idempotent; only the user's own subscription)."""
    db.session.execute(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.user_id == user_id))
    db.session.commit()
