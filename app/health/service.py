"""What a load balancer asks: whether this process can serve (database and rate-limit storage)."""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db, limiter


def readiness() -> dict[str, str]:
    """'ok' or 'unreachable' for the database and the rate-limit storage (Redis when configured)."""
    return {"database": "ok" if _database_answers() else "unreachable",
            "rate_limit_storage": "ok" if _limiter_storage_answers() else "unreachable"}


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return False
    db.session.rollback()
    return True


def _limiter_storage_answers() -> bool:
    try:  # Redis: a PING with the storage's own timeouts; in-memory storage always answers
        return bool(limiter.storage.check())
    except Exception:  # any failure to reach it means: not ready
        return False
