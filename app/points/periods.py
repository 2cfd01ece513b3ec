"""Leaderboard periods on China time (UTC+8, weeks from Monday), in Python and in SQL."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import Date, cast, func, literal, literal_column
from sqlalchemy.sql.elements import ColumnElement

from app.common.clock import CHINA_TZ

# China has kept one offset without daylight saving since 1991; a fixed offset needs no tz database.
ALL_TIME_START = date(1970, 1, 1)


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ALL = "all"


def china_date(at: datetime) -> date:
    """The calendar day in China at an aware instant."""
    return at.astimezone(CHINA_TZ).date()


def period_start(kind: str, at: datetime) -> date:
    """The first China day of the period of this kind that contains at."""
    day = china_date(at)
    if kind == Period.WEEK:
        return day - timedelta(days=day.weekday())
    if kind == Period.MONTH:
        return day.replace(day=1)
    if kind == Period.YEAR:
        return day.replace(month=1, day=1)
    if kind == Period.ALL:
        return ALL_TIME_START
    raise ValueError(f"unknown period {kind!r}")


def period_end(kind: str, start: date) -> date | None:
    """The first day after the period that starts on start (None: all time)."""
    if kind == Period.WEEK:
        return start + timedelta(days=7)
    if kind == Period.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    if kind == Period.YEAR:
        return start.replace(year=start.year + 1)
    if kind == Period.ALL:
        return None
    raise ValueError(f"unknown period {kind!r}")


def china_midnight(day: date) -> datetime:
    """The aware UTC instant at which a China day begins."""
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(UTC)


def period_start_sql(kind: str, column: ColumnElement[datetime], dialect: str) -> ColumnElement[date]:
    """period_start() as a SQL expression over a UTC timestamp column, for SQLite or PostgreSQL."""
    if kind == Period.ALL:
        return literal(ALL_TIME_START, Date)
    if dialect == "sqlite":
        # UTCDateTime keeps naive UTC text on SQLite; date() modifiers shift and truncate it.
        # Whole seconds only: SQLite rounds .9995 s up, which could cross midnight.
        modifiers = {Period.WEEK: ("weekday 0", "-6 days"), Period.MONTH: ("start of month",),
                     Period.YEAR: ("start of year",)}[Period(kind)]
        return func.date(func.substr(column, 1, 19), "+8 hours", *modifiers, type_=Date)
    return cast(func.date_trunc(kind, _china_local_sql(column)), Date)


def china_day_sql(column: ColumnElement[datetime], dialect: str) -> ColumnElement[date]:
    """china_date() as a SQL expression over a UTC timestamp column, for SQLite or PostgreSQL."""
    if dialect == "sqlite":
        return func.date(func.substr(column, 1, 19), "+8 hours", type_=Date)
    return cast(_china_local_sql(column), Date)


def _china_local_sql(column: ColumnElement[datetime]) -> ColumnElement[datetime]:
    return func.timezone("UTC", column) + literal_column("interval '8 hours'")
