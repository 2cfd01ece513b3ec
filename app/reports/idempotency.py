"""Idempotency-Key on reports: a retried request gets the first answer and never a second effect.

One table (IdempotencyRecord, unique per user and key) serves submissions and actions. A key names
one request: its fingerprint is compared, and the same key sent with another request is a 422.
A submission claims its key in the transaction that writes the report (a concurrent retry waits on
the unique key, then replays). An action claims its key first, in a short transaction of its own,
as "in progress" (no status yet): a retry arriving meanwhile gets 409 idempotency_in_progress with
Retry-After; the claim is completed in the action's own transaction, or released if it fails.
"""
from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from app.common import clock
from app.common.idempotency import require_same_request
from app.errors import Conflict
from app.extensions import db
from app.reports.models import IdempotencyRecord, Report

# A claim left "in progress" this long belongs to a process that died: a retry may take it over.
ABANDONED_AFTER = timedelta(minutes=2)
RETRY_AFTER_SECONDS = 2
# The claim the running action will complete in its own transaction (see complete_claim).
_running_claim: ContextVar[int | None] = ContextVar("running_idempotency_claim", default=None)


def earlier(*, user_id: int, key: str, request_hash: Callable[[], str]) -> IdempotencyRecord | None:
    """The finished record of an earlier request with this key (None if there is none); 422 if that
    was a different request, 409 while it is still running. The hash is computed only if needed."""
    record = db.session.scalar(select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key))
    if record is None:
        return None
    require_same_request(record.request_hash, request_hash())
    if record.response_status is None:
        raise Conflict("同一请求正在处理中，请稍后重试。", code="idempotency_in_progress",
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return record


def run_once(*, user_id: int, key: str, request_hash: str,
             run: Callable[[], Report]) -> tuple[Report, bool]:
    """Run an action at most once for this key: (its report, False), or for a retry of a finished
    request (the report it answered with, True). A failed run releases the key for a retry."""
    record_id, finished = _claim(user_id=user_id, key=key, request_hash=request_hash)
    if finished is not None:
        return db.session.get(Report, finished.report_id), True
    token = _running_claim.set(record_id)
    try:
        return run(), False
    except BaseException:
        db.session.rollback()
        db.session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.id == record_id, IdempotencyRecord.response_status.is_(None)))
        db.session.commit()
        raise
    finally:
        _running_claim.reset(token)


def complete_claim(*, report_id: int, status: int) -> None:
    """In the action's transaction (flush only): the running claim, if any, is done with this answer."""
    record_id = _running_claim.get()
    if record_id is not None:
        db.session.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == record_id)
                           .values(report_id=report_id, response_status=status)
                           .execution_options(synchronize_session=False))


def _claim(*, user_id: int, key: str, request_hash: str) -> tuple[int | None, IdempotencyRecord | None]:
    """Claim the key, committed at once: (its record id, None) if it is ours now, else (None, the
    finished record of the earlier request) — or 422 / 409 as `earlier` says."""
    record = IdempotencyRecord(user_id=user_id, key=key, request_hash=request_hash)
    db.session.add(record)
    try:
        db.session.flush()
        record_id = record.id
        db.session.commit()
        return record_id, None
    except IntegrityError:
        db.session.rollback()
    taken = _take_over_abandoned(user_id=user_id, key=key, request_hash=request_hash)
    if taken is not None:
        return taken, None
    return None, earlier(user_id=user_id, key=key, request_hash=lambda: request_hash)


def _take_over_abandoned(*, user_id: int, key: str, request_hash: str) -> int | None:
    """Take a claim left in progress by a process that died (conditional: one retry wins); its id."""
    now = clock.utcnow()
    taken = db.session.execute(
        update(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key,
            IdempotencyRecord.request_hash == request_hash, IdempotencyRecord.response_status.is_(None),
            IdempotencyRecord.created_at < now - ABANDONED_AFTER)
        .values(created_at=now).returning(IdempotencyRecord.id)
        .execution_options(synchronize_session=False)).scalar()
    db.session.commit()
    return taken
