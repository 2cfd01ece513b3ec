"""Announcing new notifications to the stream servers: which channel wakes them, and the sending side."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import redis
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app.extensions import db
from app.notifications.settings import setting

CHANNEL = "gridsnap_notifications"
# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more: a long list of users goes in parts.
IDS_PER_MESSAGE = 500
_PENDING_KEY = "gridsnap.stream_wakeups"
_log = logging.getLogger(__name__)
_redis_clients: dict[str, redis.Redis] = {}


class Fanout(StrEnum):
    POSTGRES = "postgres"  # NOTIFY in the writing transaction, LISTEN in each stream server
    REDIS = "redis"  # PUBLISH after the commit, SUBSCRIBE in each stream server
    POLL = "poll"  # each stream server asks the table once per SSE_POLL_SECONDS (SQLite)


def choose_fanout(*, configured: str, dialect: str, redis_url: str) -> Fanout:
    """The channel that wakes streams: as configured, else NOTIFY on PostgreSQL, Redis if set, else polling."""
    if configured == Fanout.POSTGRES and dialect != "postgresql":
        configured = "auto"  # NOTIFY needs PostgreSQL: elsewhere the usual choice applies
    if configured and configured != "auto":
        return Fanout(configured)
    if dialect == "postgresql":
        return Fanout.POSTGRES
    return Fanout.REDIS if redis_url else Fanout.POLL


def current_fanout() -> Fanout:
    """The fan-out this app uses (needs an app context)."""
    return choose_fanout(configured=setting("SSE_FANOUT"), dialect=db.engine.dialect.name,
                         redis_url=setting("SSE_REDIS_URL"))


def announce(*, user_ids: Iterable[int]) -> None:
    """Wake these users' streams once the caller's transaction commits (nothing if it rolls back)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    fanout = current_fanout()
    if fanout is Fanout.POSTGRES:
        # NOTIFY is transactional: PostgreSQL delivers it at commit and drops it on rollback.
        for payload in encode_user_ids(ids):
            db.session.execute(text("SELECT pg_notify(:channel, :payload)"),
                               {"channel": CHANNEL, "payload": payload})
    elif fanout is Fanout.REDIS:
        pending = db.session.info.setdefault(_PENDING_KEY, {"url": setting("SSE_REDIS_URL"), "ids": set()})
        pending["ids"].update(ids)


def encode_user_ids(user_ids: list[int]) -> list[str]:
    """Comma-separated user ids, in messages small enough for NOTIFY."""
    return [",".join(map(str, user_ids[start:start + IDS_PER_MESSAGE]))
            for start in range(0, len(user_ids), IDS_PER_MESSAGE)]


def decode_user_ids(payload: Any) -> list[int]:
    """The user ids of one message; anything malformed counts as none (the heartbeat re-read covers it)."""
    if isinstance(payload, bytes):
        payload = payload.decode("ascii", "replace")
    ids = []
    for part in str(payload).split(","):
        if part.strip().isdigit():
            ids.append(int(part))
    return ids


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    client = _redis_clients.get(pending["url"])
    if client is None:
        client = _redis_clients.setdefault(pending["url"], redis.Redis.from_url(
            pending["url"], socket_timeout=1, socket_connect_timeout=1))
    try:
        for payload in encode_user_ids(sorted(pending["ids"])):
            client.publish(CHANNEL, payload)
    except redis.RedisError as exc:  # the row is committed; streams still re-read it at their heartbeat
        _log.warning("could not publish a stream wake-up to Redis: %s", exc)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
