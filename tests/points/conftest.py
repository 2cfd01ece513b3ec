"""Fixtures for points tests: a movable clock, the area tree, and readers of the ledger and totals."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.common import clock
from app.extensions import db
from app.points.models import SCOPE_ALL, LedgerEntry, PointsTotal
from app.points.periods import ALL_TIME_START
from app.points.totals import verify_totals
from tests.points.factories import T0, make_world


class MovableClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def now(monkeypatch) -> MovableClock:
    moving = MovableClock(T0 + timedelta(hours=1))
    monkeypatch.setattr(clock, "utcnow", lambda: moving.at)
    return moving


@pytest.fixture
def world(app):
    return make_world(app)


def ledger(app, rider_id: int | None = None) -> list[tuple[int, int | None, str, int]]:
    """(rider, report, reason, delta) of the ledger, oldest first."""
    with app.app_context():
        stmt = select(LedgerEntry).order_by(LedgerEntry.id)
        if rider_id is not None:
            stmt = stmt.where(LedgerEntry.rider_id == rider_id)
        return [(e.rider_id, e.report_id, e.reason, e.delta) for e in db.session.scalars(stmt)]


def total(app, rider_id: int, scope: str = SCOPE_ALL, kind: str = "all",
          start: date = ALL_TIME_START) -> tuple[int, int, int] | None:
    """(points, reports, valid_reports) of a rider on one board, None when absent."""
    with app.app_context():
        row = db.session.get(PointsTotal, (scope, kind, start, rider_id))
        return None if row is None else (row.points, row.reports, row.valid_reports)


def ledger_balance(app, rider_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.delta), 0))
                                 .where(LedgerEntry.rider_id == rider_id))


def mismatches(app) -> list:
    with app.app_context():
        return list(verify_totals())
