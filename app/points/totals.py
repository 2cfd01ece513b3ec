"""The per-period totals: kept in step with each ledger entry, recomputed from the ledger to check."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Select,
    case,
    delete,
    except_,
    func,
    insert,
    literal,
    select,
    union_all,
)

from app.common.upsert import add_to_counters
from app.extensions import db
from app.points.models import SCOPE_ALL, LedgerEntry, PointsTotal
from app.points.periods import Period, period_start, period_start_sql
from app.points.rules import REPORT_REASONS, VALID_REASONS

TOTAL_COLUMNS = ("scope_code", "period_kind", "period_start", "rider_id", "points", "reports",
                 "valid_reports")
_SCOPE_COLUMNS = (LedgerEntry.community_code, LedgerEntry.street_code, LedgerEntry.district_code)


@dataclass(frozen=True)
class Mismatch:
    """A totals row that differs from the ledger: 'ledger' is what it should be, 'stored' what it is."""

    side: str
    scope_code: str
    period_kind: str
    period_start: date
    rider_id: int
    points: int
    reports: int
    valid_reports: int


def scopes_of(entry: LedgerEntry) -> list[str]:
    """The boards an entry counts on: its community, street, district (those known) and everyone's."""
    return [code for code in (entry.community_code, entry.street_code, entry.district_code) if code] + [
        SCOPE_ALL]


def add_to_totals(entries: Iterable[LedgerEntry]) -> None:
    """Add new ledger entries to every board and period they count on (one upsert; flush only)."""
    sums: dict[tuple[str, str, date, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for entry in entries:
        is_report, is_valid = int(entry.reason in REPORT_REASONS), int(entry.reason in VALID_REASONS)
        for scope in scopes_of(entry):
            for kind in Period:
                row = sums[(scope, kind.value, period_start(kind, entry.created_at), entry.rider_id)]
                row[0] += entry.delta
                row[1] += is_report
                row[2] += is_valid
    add_to_counters(PointsTotal, keys=TOTAL_COLUMNS[:4], counters=TOTAL_COLUMNS[4:], sums=sums)


def totals_from_ledger() -> CompoundSelect[Any]:
    """What points_totals must hold, computed from the ledger alone, in the columns of TOTAL_COLUMNS."""
    dialect = db.session.get_bind().dialect.name
    reports = func.sum(case((LedgerEntry.reason.in_(REPORT_REASONS), 1), else_=0))
    valid = func.sum(case((LedgerEntry.reason.in_(VALID_REASONS), 1), else_=0))
    parts: list[Select[Any]] = []
    for scope in (*_SCOPE_COLUMNS, None):
        scope_expr = literal(SCOPE_ALL) if scope is None else scope
        for kind in Period:
            start = period_start_sql(kind, LedgerEntry.created_at, dialect)
            part = select(scope_expr.label("scope_code"), literal(kind.value).label("period_kind"),
                          start.label("period_start"), LedgerEntry.rider_id,
                          func.sum(LedgerEntry.delta).label("points"), reports.label("reports"),
                          valid.label("valid_reports"))
            if scope is not None:
                part = part.where(scope.is_not(None))
            # Constants (everyone's scope, the all-time start) are not grouped on: PG refuses parameters.
            keys = [key for key in (scope, None if kind == Period.ALL else start) if key is not None]
            parts.append(part.group_by(*keys, LedgerEntry.rider_id))
    return union_all(*parts)


def rebuild_totals() -> int:
    """Recompute every totals row from the ledger (one transaction); the number of rows."""
    db.session.execute(delete(PointsTotal))
    db.session.execute(insert(PointsTotal).from_select(list(TOTAL_COLUMNS), totals_from_ledger()))
    count = db.session.scalar(select(func.count()).select_from(PointsTotal)) or 0
    db.session.commit()
    return count


def verify_totals() -> Iterator[Mismatch]:
    """Every totals row that differs from the ledger (both sides of each difference)."""
    expected = totals_from_ledger().cte("expected")
    stored = select(*(getattr(PointsTotal, name) for name in TOTAL_COLUMNS))
    ledger_side = select(*(expected.c[name] for name in TOTAL_COLUMNS))
    for side, stmt in (("ledger", except_(ledger_side, stored)), ("stored", except_(stored, ledger_side))):
        rows = db.session.execute(stmt.execution_options(yield_per=1000))
        for row in rows:
            values = dict(row._mapping)
            if isinstance(values["period_start"], str):  # SQLite gives computed dates as text
                values["period_start"] = date.fromisoformat(values["period_start"])
            yield Mismatch(side=side, **values)
