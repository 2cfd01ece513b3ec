"""Statistics from the monthly totals equal counting every report; `flask stats verify` notices
drift and `flask stats rebuild` repairs it; the histogram's medians stay within their bucket."""
from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, literal, select, update
from sqlalchemy.engine.default import CACHE_HIT

from app.auth.models import Role, User
from app.categories.models import Category
from app.extensions import db
from app.points.periods import china_date
from app.reports.models import Report
from app.stats import service
from app.stats.aggregates import count_new_report, count_report_change, facts_of, one_write, verify_totals
from app.stats.measures import CONFIRMED, bucket_of, bucket_sql, duration_seconds, month_of
from app.stats.models import (
    ReportDayCount,
    ReportDayDuration,
    ReportDayReporter,
    ReportMonthCount,
    ReportMonthReporter,
)
from tests.factories import make_user
from tests.points.factories import (
    ACROSS,
    DISTRICT,
    FAR,
    HOME,
    NEIGHBOUR,
    make_rider,
    make_world,
)

CATEGORIES = ("flying_lead_charging", "streetlight_out", "garbage", "road_damage", "other")
START = datetime(2025, 10, 20, 16, 0, tzinfo=timezone.utc)  # 21 Oct 2025, 00:00 in China


@pytest.fixture
def history(app):
    """Fourteen months of reports in every status, some a second either side of a China midnight."""
    make_world(app)
    rng = random.Random(16)
    riders = [make_rider(app, f"骑手{i}", community=rng.choice((HOME, NEIGHBOUR, ACROSS, FAR)))
              for i in range(7)]
    with app.app_context():  # one transaction: as each submission would, each report is counted
        for _ in range(160):
            created = START + timedelta(seconds=rng.randrange(0, 430 * 86400))
            if rng.random() < 0.15:  # at a month's first China midnight, or a second before it
                created = created.replace(day=1, hour=16, minute=0, second=0) - timedelta(
                    seconds=rng.choice((0, 1)))
            status = rng.choice(("submitted", "assigned", "accepted", "escalated", "dispatched",
                                 "resolved", "closed", "rejected"))
            accepted = created + timedelta(seconds=rng.randrange(30, 3 * 86400)) if status in (
                "accepted", "resolved", "closed") else None
            resolved = created + timedelta(seconds=rng.randrange(600, 8 * 86400)) if status in (
                "resolved", "closed") else None
            community = rng.choice((HOME, NEIGHBOUR, ACROSS, FAR, None))
            report = Report(reporter_id=rng.choice(riders).id, category_code=rng.choice(CATEGORIES),
                            status=status, lat=38.48, lon=106.23, community_code=community,
                            area_code=community, district_code=community[:6] if community else None,
                            created_at=created, updated_at=created, accepted_at=accepted,
                            resolved_at=resolved, flags=[])
            db.session.add(report)
            db.session.flush()
            count_new_report(report)
        db.session.commit()
    return {"admin": make_user(app, Role.ADMIN),
            "dispatcher": make_user(app, Role.DISPATCHER, area_code=DISTRICT)}


def _counted_one_by_one(app, *, district: str | None, first: date, last: date) -> dict:
    """The statistics the old way: every report of the window loaded and counted in Python."""
    with app.app_context():
        reports = [r for r in db.session.scalars(select(Report))
                   if first <= china_date(r.created_at) <= last and (district is None or r.district_code == district)]
        names = dict(db.session.execute(select(User.id, User.name)).all())
        hours = dict(db.session.execute(select(Category.code, Category.resolve_hours)).all())
    resolved = [r for r in reports if r.resolved_at is not None]
    within = [r for r in resolved if r.resolved_at <= r.created_at + timedelta(hours=hours[r.category_code])]
    per_rider = Counter(r.reporter_id for r in reports)
    valid = Counter(r.reporter_id for r in reports if r.status in CONFIRMED)
    top = sorted(per_rider, key=lambda rider: (-per_rider[rider], rider))[:service.TOP_REPORTERS]
    return {
        "total": len(reports),
        "by_status": {s: n for s, n in Counter(r.status for r in reports).items()},
        "by_category": sorted(Counter(r.category_code for r in reports).items(), key=lambda i: (-i[1], i[0])),
        "deadline": (len(resolved), len(within)),
        "accept": [(r.accepted_at - r.created_at).total_seconds() / 60 for r in reports if r.accepted_at],
        "resolve": [(r.resolved_at - r.created_at).total_seconds() / 60 for r in resolved],
        "top": [(names[rider], per_rider[rider], valid[rider]) for rider in top],
    }


def _close_to_median(answer: float | None, minutes: list[float]) -> bool:
    if not minutes:
        return answer is None
    exact = statistics.median(minutes)
    return abs(answer - exact) <= max(0.1, exact * 0.01) + 0.05  # a bucket (≤1 %) and the rounding


WINDOWS = [
    (date(2025, 11, 1), date(2025, 11, 30)),  # one whole month
    (date(2025, 11, 17), date(2026, 2, 9)),  # days, whole months, days
    (date(2025, 12, 7), date(2026, 12, 6)),  # a year across the end of the data
    (date(2025, 10, 1), date(2025, 10, 31)),  # a month the data begins in
    (date(2026, 1, 1), date(2026, 1, 19)),  # days only, from a month's first China midnight
    (date(2026, 3, 1), date(2026, 3, 1)),  # one day, a month's first
    (date(2025, 11, 3), date(2026, 1, 28)),  # months read whole, less the days outside the window
    (date(2026, 4, 2), date(2026, 5, 30)),  # two months less a day or two each, nothing whole
]


@pytest.mark.parametrize("actor, district", [("admin", None), ("dispatcher", DISTRICT)])
def test_totals_and_days_give_what_counting_every_report_gives(app, history, actor, district):
    for first, last in WINDOWS:
        with app.app_context():
            user = db.session.get(User, history[actor].id)
            got = service.report_stats(actor=user, area_code=None, date_from=first, date_to=last)
        want = _counted_one_by_one(app, district=district, first=first, last=last)
        window = f"{first}..{last}"
        assert got["total"] == want["total"] > 0, window
        assert {s: n for s, n in got["by_status"].items() if n} == want["by_status"], window
        assert [(c["code"], c["count"]) for c in got["by_category"]] == want["by_category"], window
        assert (got["deadline"]["resolved"], got["deadline"]["within_deadline"]) == want["deadline"], window
        assert _close_to_median(got["median_minutes_to_accept"], want["accept"]), window
        assert _close_to_median(got["median_minutes_to_resolve"], want["resolve"]), window
        tops = [(t["rider"].name, t["reports"], t["valid_reports"]) for t in got["top_reporters"]]
        assert tops == want["top"], window


D = date


@pytest.mark.parametrize("first, last, months, days", [
    # most of a month: the month, less its other days
    (D(2026, 11, 3), D(2026, 11, 30), [(D(2026, 11, 1), D(2026, 11, 1))], [(D(2026, 11, 1), D(2026, 11, 2), -1)]),
    # a few days: those days
    (D(2026, 11, 10), D(2026, 11, 20), [], [(D(2026, 11, 10), D(2026, 11, 20), 1)]),
    # this month so far: the month, less days that have not come (no reports to read)
    (D(2026, 12, 1), D(2026, 12, 7), [(D(2026, 12, 1), D(2026, 12, 1))], [(D(2026, 12, 8), D(2026, 12, 31), -1)]),
    # a year to today: thirteen months in one range, less a week before and the days to come
    (D(2025, 12, 8), D(2026, 12, 7), [(D(2025, 12, 1), D(2026, 12, 1))],
     [(D(2025, 12, 1), D(2025, 12, 7), -1), (D(2026, 12, 8), D(2026, 12, 31), -1)]),
    # whole months and a short edge
    (D(2026, 1, 1), D(2026, 3, 4), [(D(2026, 1, 1), D(2026, 2, 1))], [(D(2026, 3, 1), D(2026, 3, 4), 1)]),
])
def test_a_window_is_covered_by_the_fewest_days_of_totals(first, last, months, days):
    assert service._cover(first, last, today=D(2026, 12, 7)) == (months, days)


def test_verify_finds_a_drifted_total_and_rebuild_repairs_it(app, history):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["stats", "verify"]).exit_code == 0
    with app.app_context():
        db.session.execute(update(ReportMonthCount).where(ReportMonthCount.scope_code == DISTRICT)
                           .values(reports=ReportMonthCount.reports + 1))
        db.session.execute(update(ReportMonthReporter).values(valid_reports=0))
        db.session.commit()
    drifted = runner.invoke(args=["stats", "verify", "--show", "3"])
    assert drifted.exit_code == 1
    assert "report_month_counts" in drifted.output and "stats rebuild" in drifted.output
    rebuilt = runner.invoke(args=["stats", "rebuild"])
    assert rebuilt.exit_code == 0 and "rebuilt" in rebuilt.output
    assert runner.invoke(args=["stats", "verify"]).exit_code == 0


@pytest.mark.parametrize("model", [ReportDayCount, ReportDayDuration, ReportDayReporter])
def test_verify_finds_a_tampered_day_total_and_rebuild_repairs_it(app, history, model):
    runner = app.test_cli_runner()
    before = _stats_of_days(app, history["admin"].id, date(2026, 1, 5), date(2026, 1, 25))
    with app.app_context():
        db.session.execute(update(model).values(reports=model.reports + 2))
        db.session.commit()
    drifted = runner.invoke(args=["stats", "verify"])
    assert drifted.exit_code == 1 and model.__tablename__ in drifted.output
    assert "report_month" not in drifted.output  # only the tampered table differs
    assert runner.invoke(args=["stats", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["stats", "verify"]).exit_code == 0
    assert _stats_of_days(app, history["admin"].id, date(2026, 1, 5), date(2026, 1, 25)) == before


def _stats_of_days(app, user_id: int, first: date, last: date) -> dict:
    with app.app_context():
        got = service.report_stats(actor=db.session.get(User, user_id), area_code=None,
                                   date_from=first, date_to=last)
        got["top_reporters"] = [(t["rider"].id, t["reports"], t["valid_reports"]) for t in got["top_reporters"]]
    return got


def test_a_report_moving_through_its_states_moves_its_counts(app, history):
    from app.stats.aggregates import count_report_change, facts_of, verify_totals

    with app.app_context():
        report = db.session.scalars(select(Report).where(Report.status == "accepted")).first()
        before = facts_of(report)
        report.status, report.resolved_at = "resolved", report.accepted_at + timedelta(hours=1)
        db.session.flush()
        count_report_change(report, before=before)
        db.session.commit()
        assert list(verify_totals()) == []


@pytest.mark.parametrize("seconds, bucket", [
    (0, 0), (5, 0), (6, 1), (600, 100), (5999, 999), (6000, 1000), (6059, 1000), (6060, 1010),
    (59_999, 9990), (60_000, 10_000), (599_999, 99_900), (600_000, 100_000), (10**7, 1_666_000),
])
def test_duration_buckets_are_the_same_in_python_and_sql(app_ctx, seconds, bucket):
    assert bucket_of(seconds) == bucket
    assert db.session.scalar(select(bucket_sql(literal(seconds)))) == bucket


def test_durations_count_whole_seconds_and_never_below_zero():
    at = datetime(2026, 12, 1, 8, 0, 0, 900_000, tzinfo=timezone.utc)
    assert duration_seconds(at, at + timedelta(milliseconds=200)) == 1
    assert duration_seconds(at, at - timedelta(minutes=5)) == 0


def _new_report(rider_id: int, created: datetime) -> Report:
    report = Report(reporter_id=rider_id, category_code="garbage", status="submitted", lat=38.48,
                    lon=106.23, community_code=HOME, area_code=HOME, district_code=HOME[:6],
                    created_at=created, updated_at=created, flags=[])
    db.session.add(report)
    db.session.flush()
    return report


def test_a_report_recorded_and_moved_in_one_write_is_counted_once_where_it_ends(app, history):
    created = datetime(2030, 1, 10, 4, 0, tzinfo=timezone.utc)
    in_that_month = select(ReportMonthCount.status, ReportMonthCount.reports).where(
        ReportMonthCount.month == month_of(created))
    with app.app_context():
        rider_id = db.session.scalar(select(Report.reporter_id).limit(1))
        with one_write():
            report = _new_report(rider_id, created)
            count_new_report(report)
            before = facts_of(report)
            report.status = "assigned"
            db.session.flush()
            count_report_change(report, before=before)
            assert db.session.execute(in_that_month).all() == []  # held back until the block ends
        # Only where it ended up: the `submitted` it passed through left no row behind.
        assert sorted(db.session.execute(in_that_month).all()) == [("assigned", 1), ("assigned", 1)]
        db.session.commit()
        assert list(verify_totals()) == []


def test_an_error_inside_one_write_writes_no_totals(app, history):
    created = datetime(2030, 2, 10, 4, 0, tzinfo=timezone.utc)
    with app.app_context():
        rider_id = db.session.scalar(select(Report.reporter_id).limit(1))
        with pytest.raises(RuntimeError), one_write():
            count_new_report(_new_report(rider_id, created))
            raise RuntimeError("the submission failed")
        db.session.rollback()
        assert list(verify_totals()) == []
        with one_write():  # the failed block held nothing back for the next one
            pass
        assert db.session.scalar(select(func.count()).select_from(ReportMonthCount).where(
            ReportMonthCount.month == month_of(created))) == 0


def test_the_totals_upserts_are_compiled_once_and_reused(app, history):
    """A report change's upserts reuse SQLAlchemy's compiled statements (a multi-row VALUES list
    cannot be cached: it would be compiled afresh on every change)."""
    seen: list[tuple[str, object]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO report_"):
            seen.append((statement.split()[2], context.cache_hit))

    with app.app_context():
        first, second = db.session.scalars(select(Report).where(Report.status == "accepted").limit(2))
        _escalate(first)  # compiles whatever the history's own changes did not need yet
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            _escalate(second)
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        db.session.commit()
    assert {table for table, _ in seen} == {"report_month_counts", "report_day_counts"}
    assert {hit for _, hit in seen} == {CACHE_HIT}


def _escalate(report: Report) -> None:
    before = facts_of(report)
    report.status = "escalated"
    db.session.flush()
    count_report_change(report, before=before)
