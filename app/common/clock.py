"""The clock, behind one function so that tests can move time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

# China Standard Time (UTC+8, no daylight saving): what every person reads; storage stays UTC.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def china_time(at: datetime) -> datetime:
    """A stored (UTC) time as a person in China reads it."""
    return at.astimezone(CHINA_TZ)
