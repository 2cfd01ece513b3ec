"""What one report counts for in the statistics, said once in Python and once in SQL: its month,
whether it met its deadline, and the bucket of each of its durations."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import BigInteger, Integer, case, cast, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

from app.points.periods import Period, period_start, period_start_sql
from app.reports.models import Status

MEASURES = ("accept", "resolve")
CONFIRMED = (Status.DISPATCHED, Status.RESOLVED, Status.CLOSED)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
# Duration buckets in tenths of a minute: exact below 100 minutes, then three significant digits.
_TIERS = ((1_000, 1), (10_000, 10), (100_000, 100))
_TOP_STEP = 1_000


@dataclass(frozen=True)
class Facts:
    """The columns of a report the statistics read."""

    created_at: datetime
    category_code: str
    status: str
    district_code: str | None
    reporter_id: int
    accepted_at: datetime | None
    resolved_at: datetime | None
    resolve_hours: int  # the category's deadline


def month_of(at: datetime) -> date:
    """The first China day of the month of an instant."""
    return period_start(Period.MONTH, at)


def duration_seconds(start: datetime, end: datetime) -> int:
    """Whole seconds from start to end (each truncated to its second), never below zero."""
    return max(0, (end - _EPOCH) // _SECOND - (start - _EPOCH) // _SECOND)


def bucket_of(seconds: int) -> int:
    """The histogram bucket of a duration: its lower edge in tenths of a minute."""
    tenths = seconds // 6
    for limit, step in _TIERS:
        if tenths < limit:
            return tenths // step * step
    return tenths // _TOP_STEP * _TOP_STEP


def within_deadline(facts: Facts) -> bool:
    """Resolved no later than the category's resolve hours after it was reported (to the second)."""
    return facts.resolved_at is not None and duration_seconds(
        facts.created_at, facts.resolved_at) <= facts.resolve_hours * 3600


def durations(facts: Facts) -> list[tuple[str, int]]:
    """(measure, bucket) of each duration the report has."""
    ends = (("accept", facts.accepted_at), ("resolve", facts.resolved_at))
    return [(measure, bucket_of(duration_seconds(facts.created_at, end)))
            for measure, end in ends if end is not None]


# --- the same in SQL -------------------------------------------------------------------------

def month_sql(column: ColumnElement[datetime], dialect: str) -> ColumnElement[date]:
    return period_start_sql(Period.MONTH, column, dialect)


def duration_seconds_sql(start: ColumnElement[datetime], end: ColumnElement[datetime],
                         dialect: str) -> ColumnElement[int]:
    seconds = _whole_seconds_sql(end, dialect) - _whole_seconds_sql(start, dialect)
    return case((seconds < 0, 0), else_=seconds)


def bucket_sql(seconds: ColumnElement[int]) -> ColumnElement[int]:
    tenths = _divide(seconds, 6)
    tiers = [(tenths < limit, tenths if step == 1 else _divide(tenths, step) * step)
             for limit, step in _TIERS]
    return case(*tiers, else_=_divide(tenths, _TOP_STEP) * _TOP_STEP)


def within_deadline_sql(created: ColumnElement[datetime], resolved: ColumnElement[datetime],
                        hours: ColumnElement[int], dialect: str) -> ColumnElement[int]:
    seconds = duration_seconds_sql(created, resolved, dialect)
    return case((resolved.is_not(None) & (seconds <= hours * 3600), 1), else_=0)


def _whole_seconds_sql(column: ColumnElement[datetime], dialect: str) -> ColumnElement[int]:
    if dialect == "sqlite":  # naive UTC text; %s truncates the fraction
        return cast(func.strftime("%s", column), Integer)
    return cast(func.floor(func.extract("epoch", column)), BigInteger)


def _divide(value: ColumnElement[int], by: int) -> ColumnElement[int]:
    # Integer division on both engines (the operands are whole and not negative).
    return value.op("/", return_type=Integer)(literal_column(str(by)))
