"""The totals always equal the ledger; `flask points verify` notices when they do not."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import delete, insert, select, update

from app.auth.models import Role
from app.extensions import db
from app.points.models import LedgerEntry, PointsTotal
from app.points.periods import Period, period_start
from app.points.rules import REPORT_REASONS, VALID_REASONS
from tests.factories import make_user
from tests.points.conftest import mismatches
from tests.points.factories import (
    ACROSS,
    FAR,
    HOME,
    NEIGHBOUR,
    adjust,
    confirm,
    make_report,
    make_rider,
    reject,
)

CATEGORIES = ("flying_lead_charging", "streetlight_out", "garbage", "road_damage", "other")


def _random_history(app, now, seed: int) -> None:
    """A year and more of awards, duplicates, rejections, retries and adjustments, some at midnight."""
    rng = random.Random(seed)
    riders = [make_rider(app, f"骑手{i}", community=rng.choice((HOME, NEIGHBOUR, ACROSS, FAR)))
              for i in range(6)]
    secretary = make_user(app, Role.SECRETARY, area_code=HOME)
    admin = make_user(app, Role.ADMIN)
    originals: list[int] = []
    for _step in range(70):
        # Jump days, and sometimes land a hair before or after midnight in China (16:00 UTC).
        now.advance(days=rng.randint(0, 12), minutes=rng.randint(0, 600))
        if rng.random() < 0.2:
            now.at = now.at.replace(hour=15, minute=59, second=59, microsecond=999_999)
        elif rng.random() < 0.1:
            now.at = now.at.replace(hour=16, minute=0, second=0, microsecond=0)
        rider = rng.choice(riders)
        action = rng.random()
        if action < 0.45 or not originals:
            report = make_report(app, rider, category=rng.choice(CATEGORIES),
                                 community=rng.choice((HOME, NEIGHBOUR, ACROSS, FAR, None)))
            originals.append(report)
            confirm(app, report)
        elif action < 0.65:
            duplicate = make_report(app, rider, duplicate_of=rng.choice(originals))
            confirm(app, rng.choice((duplicate, rng.choice(originals))))
        elif action < 0.85:
            reject(app, make_report(app, rider, community=rng.choice((HOME, FAR))), "invalid")
        elif action < 0.9:
            confirm(app, rng.choice(originals))  # a retry
        else:
            actor = secretary if rider.area_code == HOME else admin
            adjust(app, actor, rider, rng.choice((-7, 3, 12)), "随机调整")


def _totals_in_python(app) -> dict[tuple[str, str, object, int], tuple[int, int, int]]:
    """The totals recomputed with Python's own period arithmetic, independent of the SQL."""
    sums: dict = defaultdict(lambda: [0, 0, 0])
    with app.app_context():
        for entry in db.session.scalars(select(LedgerEntry)):
            scopes = [c for c in (entry.community_code, entry.street_code, entry.district_code) if c]
            for scope in [*scopes, "*"]:
                for kind in Period:
                    row = sums[(scope, kind.value, period_start(kind, entry.created_at), entry.rider_id)]
                    row[0] += entry.delta
                    row[1] += entry.reason in REPORT_REASONS
                    row[2] += entry.reason in VALID_REASONS
    return {key: tuple(value) for key, value in sums.items()}


def _stored_totals(app):
    with app.app_context():
        return {(t.scope_code, t.period_kind, t.period_start, t.rider_id):
                (t.points, t.reports, t.valid_reports) for t in db.session.scalars(select(PointsTotal))}


def test_totals_equal_the_ledger_after_a_random_history(app, world, now):
    _random_history(app, now, seed=20261124)
    stored = _stored_totals(app)
    assert len(stored) > 100
    assert stored == _totals_in_python(app)
    assert mismatches(app) == []  # the SQL recomputation agrees too (China weeks, months, years)


def test_verify_reports_a_tampered_total_and_rebuild_repairs_it(app, world, now):
    _random_history(app, now, seed=7)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["points", "verify"]).exit_code == 0
    with app.app_context():
        victim = db.session.scalars(select(PointsTotal).order_by(PointsTotal.rider_id).limit(1)).one()
        key = (victim.scope_code, victim.period_kind, victim.period_start, victim.rider_id)
        db.session.execute(update(PointsTotal).where(PointsTotal.scope_code == key[0],
                                                     PointsTotal.period_kind == key[1],
                                                     PointsTotal.period_start == key[2],
                                                     PointsTotal.rider_id == key[3])
                           .values(points=PointsTotal.points + 1))
        db.session.commit()
    found = mismatches(app)
    assert sorted(m.side for m in found) == ["ledger", "stored"]
    assert {(m.scope_code, m.period_kind, m.period_start, m.rider_id) for m in found} == {key}
    result = runner.invoke(args=["points", "verify"])
    assert result.exit_code == 1
    assert f"rider={key[3]}" in result.output and "differ from the ledger" in result.output
    assert "rebuilt" in runner.invoke(args=["points", "rebuild"]).output
    assert runner.invoke(args=["points", "verify"]).exit_code == 0


def test_verify_notices_missing_and_extra_rows(app, world, now):
    rider = make_rider(app)
    confirm(app, make_report(app, rider))
    with app.app_context():
        db.session.execute(delete(PointsTotal).where(PointsTotal.period_kind == "week"))
        db.session.execute(insert(PointsTotal).values(scope_code="*", period_kind="year",
                                                      period_start=now.at.date() - timedelta(days=800),
                                                      rider_id=rider.id, points=5, reports=0,
                                                      valid_reports=0))
        db.session.commit()
    sides = sorted(m.side for m in mismatches(app))
    assert sides == ["ledger"] * 4 + ["stored"]  # four week boards gone, one phantom year row
