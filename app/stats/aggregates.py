"""The report totals, monthly and daily: kept in step with each report change, recomputed from the
reports to check or rebuild them, and computed live (in SQL) for the areas the totals do not cover."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, delete, except_, func, insert, literal, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from app.categories.models import Category
from app.common.upsert import add_to_counters
from app.extensions import db
from app.points.periods import china_date, china_day_sql
from app.reports.models import Report
from app.stats.measures import (
    CONFIRMED,
    Facts,
    bucket_sql,
    duration_seconds_sql,
    durations,
    month_of,
    month_sql,
    within_deadline,
    within_deadline_sql,
)
from app.stats.models import (
    SCOPE_ALL,
    ReportDayCount,
    ReportDayDuration,
    ReportDayReporter,
    ReportMonthCount,
    ReportMonthDuration,
    ReportMonthReporter,
)

COUNT_VALUES = ("reports", "resolved", "within_deadline")
REPORTER_VALUES = ("reports", "valid_reports")
PERIODS = ("month", "day")  # the period column of each half of TABLES, in this order


def _tables(period: str, counts: Any, spans: Any, reporters: Any) -> list[tuple[Any, tuple[str, ...],
                                                                                 tuple[str, ...]]]:
    return [(counts, ("scope_code", period, "category_code", "status"), COUNT_VALUES),
            (spans, ("scope_code", period, "measure", "bucket"), ("reports",)),
            (reporters, ("scope_code", period, "reporter_id"), REPORTER_VALUES)]


TABLES = (  # model, key columns, counter columns: the monthly three, then the daily three
    *_tables("month", ReportMonthCount, ReportMonthDuration, ReportMonthReporter),
    *_tables("day", ReportDayCount, ReportDayDuration, ReportDayReporter),
)


# --- kept in step --------------------------------------------------------------------------

def facts_of(report: Report) -> Facts:
    """What the statistics read of a report, as it is now in this session."""
    hours = 0
    if report.resolved_at is not None:  # only a resolved report needs its category's deadline
        hours = db.session.get(Category, report.category_code).resolve_hours
    return Facts(created_at=report.created_at, category_code=report.category_code, status=report.status,
                 district_code=report.district_code, reporter_id=report.reporter_id,
                 accepted_at=report.accepted_at, resolved_at=report.resolved_at, resolve_hours=hours)


def count_new_report(report: Report) -> None:
    """Add a report just inserted to the totals (in the caller's transaction; no commit)."""
    record_change(before=None, after=facts_of(report))


def count_report_change(report: Report, *, before: Facts) -> None:
    """Move a report's share of the totals from what it was to what it is now (no commit)."""
    after = facts_of(report)
    if after != before:
        record_change(before=before, after=after)


_Sums = list[dict[tuple[Any, ...], list[int]]]  # per table of TABLES: key → counter deltas
_PENDING = "gridsnap.pending_totals"  # db.session.info key of the sums a `one_write` block holds back


def record_change(*, before: Facts | None, after: Facts | None) -> None:
    """Add after's contributions and take away before's, in one upsert per table (held back to the
    end of an enclosing `one_write` block)."""
    pending: _Sums | None = db.session.info.get(_PENDING)
    sums = pending if pending is not None else _no_sums()
    for facts, sign in ((before, -1), (after, 1)):
        if facts is not None:
            for table, key, values in _contributions(facts):
                row = sums[table][key]
                for i, value in enumerate(values):
                    row[i] += sign * value
    if pending is None:
        _write(sums)


@contextmanager
def one_write() -> Iterator[None]:
    """Inside, report changes add up in memory and reach the totals when the block ends, in one
    upsert per table: a report recorded and routed at once writes only where it ends up (its passing
    `submitted` rows net to nothing). Nothing inside may read the totals; an error writes nothing."""
    if _PENDING in db.session.info:  # nested: the outer block writes
        yield
        return
    sums = db.session.info[_PENDING] = _no_sums()
    try:
        yield
    finally:
        del db.session.info[_PENDING]
    _write(sums)


def _no_sums() -> _Sums:
    return [defaultdict(lambda: [0, 0, 0]) for _ in TABLES]


def _write(sums: _Sums) -> None:
    for (model, keys, counters), table_sums in zip(TABLES, sums, strict=True):
        changed = {key: row[:len(counters)] for key, row in table_sums.items() if any(row)}
        add_to_counters(model, keys=keys, counters=counters, sums=changed)


def _contributions(facts: Facts) -> Iterator[tuple[int, tuple[Any, ...], tuple[int, ...]]]:
    """(table index, key, counter values) of everything one report counts for."""
    counts = (1, int(facts.resolved_at is not None), int(within_deadline(facts)))
    spans = durations(facts)
    for first, period in ((0, month_of(facts.created_at)), (3, china_date(facts.created_at))):
        for scope in _scopes(facts.district_code):
            yield first, (scope, period, facts.category_code, facts.status), counts
            for measure, bucket in spans:
                yield first + 1, (scope, period, measure, bucket), (1,)
            if facts.reporter_id is not None:  # an integration's report has no rider to count
                yield first + 2, (scope, period, facts.reporter_id), (1, int(facts.status in CONFIRMED))


def _scopes(district_code: str | None) -> list[str]:
    return [district_code, SCOPE_ALL] if district_code else [SCOPE_ALL]


# --- computed from the reports (live, and for rebuild/verify) -------------------------------

@dataclass(frozen=True)
class Parts:
    """Per-category-and-status counts, duration buckets and reporters of a set of reports."""

    counts: Select[Any]
    durations: Select[Any]
    reporters: Select[Any]


def live_parts(where: Sequence[ColumnElement[bool]]) -> Parts:
    """The statistics of the reports matching `where`, grouped in the database."""
    dialect = db.session.get_bind().dialect.name
    return Parts(counts=_counts(where, dialect, (), ()), durations=_durations(where, dialect, (), ()),
                 reporters=_reporters(where, (), ()))


_Columns = Sequence[ColumnElement[Any]]


def _counts(where: _Columns, dialect: str, group: _Columns, by: _Columns) -> Select[Any]:
    resolved = func.count(Report.resolved_at)  # counts the rows where it is set
    within = within_deadline_sql(Report.created_at, Report.resolved_at, Category.resolve_hours, dialect)
    return (select(*group, Report.category_code, Report.status, func.count().label("reports"),
                   resolved.label("resolved"), func.sum(within).label("within_deadline"))
            .join(Category, Category.code == Report.category_code).where(*where)
            .group_by(*by, Report.category_code, Report.status))


def _durations(where: _Columns, dialect: str, group: _Columns, by: _Columns) -> Select[Any]:
    parts = []
    for measure, end in (("accept", Report.accepted_at), ("resolve", Report.resolved_at)):
        bucket = bucket_sql(duration_seconds_sql(Report.created_at, end, dialect))
        parts.append(select(*group, literal(measure).label("measure"), bucket.label("bucket"),
                            func.count().label("reports"))
                     .where(*where, end.is_not(None)).group_by(*by, bucket))
    return union_all(*parts).subquery().select()


def _reporters(where: _Columns, group: _Columns, by: _Columns) -> Select[Any]:
    valid = func.sum(case((Report.status.in_(CONFIRMED), 1), else_=0))
    return (select(*group, Report.reporter_id, func.count().label("reports"),
                   valid.label("valid_reports"))
            .where(*where, Report.reporter_id.is_not(None)).group_by(*by, Report.reporter_id))


def expected_rows() -> list[Select[Any]]:
    """What each totals table must hold, computed from the reports alone (in TABLES' order)."""
    dialect = db.session.get_bind().dialect.name
    periods = (month_sql(Report.created_at, dialect), china_day_sql(Report.created_at, dialect))
    return [stmt for name, period in zip(PERIODS, periods, strict=True)
            for stmt in _expected_per(name, period, dialect)]


def _expected_per(name: str, period: ColumnElement[Any], dialect: str) -> list[Select[Any]]:
    """The counts, durations and reporters of every scope and period (month or day)."""
    counts, spans, reporters = [], [], []
    # Constants (everyone's scope) are not grouped on: PostgreSQL refuses parameters there.
    for scope, by, where in ((Report.district_code, [Report.district_code, period],
                              [Report.district_code.is_not(None)]),
                             (literal(SCOPE_ALL), [period], [])):
        group = [scope.label("scope_code"), period.label(name)]
        counts.append(_counts(where, dialect, group, by))
        spans.append(_durations(where, dialect, group, by))
        reporters.append(_reporters(where, group, by))
    return [union_all(*counts), union_all(*spans), union_all(*reporters)]


def rebuild_totals() -> int:
    """Recompute every monthly and daily total from the reports (one transaction); the number of rows."""
    rows = 0
    for (model, keys, counters), expected in zip(TABLES, expected_rows(), strict=True):
        db.session.execute(delete(model))
        db.session.execute(insert(model).from_select([*keys, *counters], expected))
        rows += db.session.scalar(select(func.count()).select_from(model)) or 0
    db.session.commit()
    return rows


@dataclass(frozen=True)
class Mismatch:
    """A totals row that differs from the reports: 'reports' is what it should be, 'stored' what it is."""

    table: str
    side: str
    values: dict[str, Any]


def verify_totals() -> Iterator[Mismatch]:
    """Every totals row that differs from the reports (both sides of each difference)."""
    for (model, keys, counters), expected in zip(TABLES, expected_rows(), strict=True):
        names = [*keys, *counters]
        wanted = expected.subquery()
        computed = select(*(wanted.c[name] for name in names))
        # A row whose counters all went back to zero is as good as no row.
        stored = select(*(getattr(model, name) for name in names)).where(
            or_(*(getattr(model, name) != 0 for name in counters)))
        for side, stmt in (("reports", except_(computed, stored)), ("stored", except_(stored, computed))):
            for row in db.session.execute(stmt):
                yield Mismatch(table=model.__tablename__, side=side, values=dict(row._mapping))
