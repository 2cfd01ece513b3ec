"""Awards, confirmations, the daily cap and penalties, through the service the workflow calls."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db
from app.points import rules, service
from app.points.models import LedgerEntry, PointsTotal
from app.reports.models import Report
from tests.factories import make_user
from tests.points.conftest import ledger, ledger_balance, mismatches, total
from tests.points.factories import (
    ACROSS,
    DISTRICT,
    HOME,
    OTHER_STREET,
    STREET,
    adjust,
    confirm,
    make_report,
    make_rider,
    reject,
)

URGENT = "flying_lead_charging"  # 10 points, urgent
PLAIN = "streetlight_out"  # 4 points


def test_a_confirmed_report_earns_base_and_urgency_bonus_exactly_once(app, world, now):
    rider = make_rider(app)
    report = make_report(app, rider, category=URGENT)
    assert confirm(app, report) == [(rider.id, "report_confirmed", 10),
                                    (rider.id, "urgent_bonus", rules.URGENT_BONUS)]
    assert confirm(app, report) == []  # a retried transition
    assert ledger_balance(app, rider.id) == 10 + rules.URGENT_BONUS
    assert total(app, rider.id) == (15, 1, 1)
    assert mismatches(app) == []


def test_points_count_where_the_report_is_not_where_the_rider_lives(app, world, now):
    rider = make_rider(app, community=HOME)
    confirm(app, make_report(app, rider, community=ACROSS))
    with app.app_context():
        entry = db.session.scalars(select(LedgerEntry)).one()
        assert (entry.community_code, entry.street_code, entry.district_code) == (ACROSS, OTHER_STREET,
                                                                                  DISTRICT)
    for scope in (ACROSS, OTHER_STREET, DISTRICT, "*"):
        assert total(app, rider.id, scope) == (4, 1, 1)
    assert total(app, rider.id, HOME) is None and total(app, rider.id, STREET) is None


def test_a_report_outside_the_grid_counts_in_its_district_or_else_at_home(app, world, now):
    rider = make_rider(app, community=HOME)
    confirm(app, make_report(app, rider, community=None, district=DISTRICT))
    confirm(app, make_report(app, rider, community=None, district=None))
    assert total(app, rider.id, DISTRICT) == (8, 2, 2)
    assert total(app, rider.id, HOME) == (4, 1, 1)


def test_the_first_reporter_gets_the_credit_and_a_few_confirmers_a_point(app, world, now):
    first, b, c, d, e = (make_rider(app, name) for name in ("甲一", "乙二", "丙三", "丁四", "戊五"))
    original = make_report(app, first, category=PLAIN)
    dups = [make_report(app, rider, duplicate_of=original) for rider in (b, b, c, first, d, e)]
    written = confirm(app, original)
    assert written == [
        (first.id, "report_confirmed", 4), (first.id, "first_reporter_bonus", rules.FIRST_REPORTER_BONUS),
        (b.id, "confirmation", 1), (b.id, "confirmation", 0), (c.id, "confirmation", 1),
        (d.id, "confirmation", 1), (e.id, "confirmation", 0),
    ]
    assert confirm(app, dups[0]) == []  # the duplicate follows its original: nothing twice
    assert total(app, b.id) == (1, 2, 2) and total(app, e.id) == (0, 1, 1)
    assert mismatches(app) == []


def test_confirming_a_duplicate_first_credits_the_original_reporter(app, world, now):
    first, second = make_rider(app, "甲一"), make_rider(app, "乙二")
    original = make_report(app, first)
    duplicate = make_report(app, second, duplicate_of=original)
    assert {(r, reason) for r, reason, _d in confirm(app, duplicate)} == {
        (first.id, "report_confirmed"), (first.id, "first_reporter_bonus"), (second.id, "confirmation")}
    assert confirm(app, original) == []


def test_a_duplicate_linked_later_is_credited_when_the_award_runs_again(app, world, now):
    first, second = make_rider(app, "甲一"), make_rider(app, "乙二")
    original = make_report(app, first)
    confirm(app, original)
    make_report(app, second, duplicate_of=original)
    assert confirm(app, original) == [(first.id, "first_reporter_bonus", rules.FIRST_REPORTER_BONUS),
                                      (second.id, "confirmation", 1)]


def test_a_duplicate_rejected_as_invalid_confirms_nothing(app, world, now):
    first, second = make_rider(app, "甲一"), make_rider(app, "乙二")
    original = make_report(app, first)
    fake = make_report(app, second, duplicate_of=original)
    reject(app, fake, "invalid")
    assert confirm(app, original) == [(first.id, "report_confirmed", 4)]


def test_a_duplicate_of_an_invalid_report_is_credited_as_the_first_valid_one(app, world, now):
    first, second = make_rider(app, "甲一"), make_rider(app, "乙二")
    original = make_report(app, first)
    reject(app, original, "invalid")
    duplicate = make_report(app, second, duplicate_of=original)
    assert confirm(app, duplicate) == [(second.id, "report_confirmed", 4)]
    assert ledger_balance(app, first.id) == 0


def test_the_daily_cap_holds_per_china_day(app, world, now):
    rider = make_rider(app)
    reports = [make_report(app, rider, category=URGENT) for _ in range(6)]
    for report in reports[:5]:
        confirm(app, report)
    assert ledger_balance(app, rider.id) == rules.DAILY_CAP == 60  # 4 × 15, the 5th report at 0
    capped = ledger(app, rider.id)[-2:]
    assert [delta for *_rest, delta in capped] == [0, 0]
    assert total(app, rider.id) == (60, 5, 5)  # still a valid report, just no more points today
    now.at = now.at.replace(hour=16, minute=0)  # 00:00 the next day in China
    confirm(app, reports[5])
    assert ledger_balance(app, rider.id) == 75


def test_confirming_again_does_not_count_todays_entries_twice_against_the_cap(app, world, now):
    """A hazard credited earlier today is credited again when a confirmation arrives later: only
    the new first-reporter bonus meets the cap, not the entries that are already in the ledger."""
    rider, confirmer = make_rider(app), make_rider(app, "李四")
    earlier = [make_report(app, rider, category=URGENT) for _ in range(2)]
    for report in earlier:
        confirm(app, report)  # 30 of today's 60
    hazard = make_report(app, rider, category=URGENT)
    confirm(app, hazard)  # 45: its base and urgency bonus
    make_report(app, confirmer, category=URGENT, duplicate_of=hazard)
    assert (rider.id, "first_reporter_bonus", rules.FIRST_REPORTER_BONUS) in confirm(app, hazard)
    assert ledger_balance(app, rider.id) == 45 + rules.FIRST_REPORTER_BONUS


def test_the_cap_leaves_penalties_and_adjustments_alone(app, world, now):
    rider = make_rider(app)
    secretary = make_user(app, Role.SECRETARY, area_code=HOME)
    for _ in range(5):
        confirm(app, make_report(app, rider, category=URGENT))
    adjust(app, secretary, rider, 30, "防汛值守")
    assert ledger_balance(app, rider.id) == 90


def test_the_third_invalid_report_within_30_days_costs_points(app, world, now):
    rider = make_rider(app)
    days = [0, 10, 20, 25, 61]
    reports = [make_report(app, rider) for _ in days]
    start = now.at
    written = []
    for day, report in zip(days, reports, strict=True):
        now.at = start + timedelta(days=day)
        written.append(reject(app, report))
    penalties = [[delta for _r, reason, delta in entries if reason == "invalid_penalty"]
                 for entries in written]
    assert penalties == [[], [], [rules.INVALID_PENALTY], [rules.INVALID_PENALTY], []]
    assert reject(app, reports[2]) == []  # retried: no second record, no second penalty
    assert ledger_balance(app, rider.id) == 2 * rules.INVALID_PENALTY
    assert total(app, rider.id) == (-10, 5, 0)
    assert mismatches(app) == []


def test_a_report_rejected_as_duplicate_earns_and_loses_nothing(app, world, now):
    rider = make_rider(app)
    assert reject(app, make_report(app, rider), "duplicate") == []
    assert ledger(app) == []


def test_an_unknown_rejection_reason_is_refused(app, world, now):
    rider = make_rider(app)
    report = make_report(app, rider)
    with app.app_context(), pytest.raises(ValueError):
        service.penalize_rejection(report=db.session.get(Report, report), reason="boring")


def test_awards_only_flush_the_callers_transaction_decides(app, world, now):
    rider = make_rider(app)
    report = make_report(app, rider, category=URGENT)
    with app.app_context():
        assert len(service.award_for_confirmation(report=db.session.get(Report, report))) == 2
        db.session.rollback()  # the workflow's transition failed
    assert ledger(app) == []
    with app.app_context():
        assert db.session.scalars(select(PointsTotal)).all() == []
    assert len(confirm(app, report)) == 2  # and a later success still awards


def test_the_ledger_is_append_only(app, world, now):
    rider = make_rider(app)
    confirm(app, make_report(app, rider))
    with app.app_context():
        entry = db.session.scalars(select(LedgerEntry)).one()
        entry.delta = 1000
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.delete(db.session.scalars(select(LedgerEntry)).one())
            db.session.flush()
        db.session.rollback()
    assert ledger_balance(app, rider.id) == 4
