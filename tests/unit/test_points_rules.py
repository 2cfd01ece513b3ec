"""Honour-point rules and China-time periods, without a database."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app.points import rules
from app.points.periods import ALL_TIME_START, Period, china_midnight, period_end, period_start
from app.points.rules import Award, Confirmation, Hazard, Reason

HAZARD = Hazard(report_id=10, reporter_id=1, base_points=8, urgent=False)


def _by_reason(awards):
    return {(a.rider_id, a.report_id, a.reason): a.delta for a in awards}


# --- confirmation awards ---------------------------------------------------------------------

def test_a_confirmed_report_earns_its_category_points():
    assert rules.confirmation_awards(hazard=HAZARD, confirmations=[]) == [
        Award(1, 10, Reason.REPORT_CONFIRMED, 8)]


def test_an_urgent_category_adds_the_urgency_bonus():
    awards = rules.confirmation_awards(hazard=Hazard(10, 1, 10, urgent=True), confirmations=[])
    assert _by_reason(awards) == {(1, 10, Reason.REPORT_CONFIRMED): 10,
                                  (1, 10, Reason.URGENT_BONUS): rules.URGENT_BONUS}


def test_the_first_reporter_gets_a_bonus_and_confirmers_a_small_point():
    awards = rules.confirmation_awards(hazard=HAZARD, confirmations=[Confirmation(11, 2),
                                                                      Confirmation(12, 3)])
    assert _by_reason(awards) == {
        (1, 10, Reason.REPORT_CONFIRMED): 8,
        (1, 10, Reason.FIRST_REPORTER_BONUS): rules.FIRST_REPORTER_BONUS,
        (2, 11, Reason.CONFIRMATION): rules.CONFIRMATION_POINTS,
        (3, 12, Reason.CONFIRMATION): rules.CONFIRMATION_POINTS,
    }


def test_confirmation_credit_is_capped_per_hazard_and_per_rider():
    confirmations = [Confirmation(11, 2), Confirmation(12, 2), Confirmation(13, 3),
                     Confirmation(14, 4), Confirmation(15, 5)]
    awards = rules.confirmation_awards(hazard=HAZARD, confirmations=confirmations)
    confirming = {a.report_id: (a.delta, a.note) for a in awards if a.reason == Reason.CONFIRMATION}
    assert confirming == {
        11: (1, None),
        12: (0, rules.REPEAT_CONFIRMATION_NOTE),  # the same rider again
        13: (1, None),
        14: (1, None),
        15: (0, rules.CONFIRMATION_LIMIT_NOTE),  # a 4th distinct rider: recorded, not paid
    }
    assert rules.CONFIRMATIONS_CREDITED == 3


def test_confirming_your_own_report_earns_nothing_and_no_first_reporter_bonus():
    awards = rules.confirmation_awards(hazard=HAZARD, confirmations=[Confirmation(11, 1)])
    assert awards == [Award(1, 10, Reason.REPORT_CONFIRMED, 8)]


# --- daily cap -------------------------------------------------------------------------------

def test_the_daily_cap_trims_awards_in_order_per_rider():
    awards = [Award(1, 10, Reason.REPORT_CONFIRMED, 10), Award(1, 10, Reason.URGENT_BONUS, 5),
              Award(2, 11, Reason.CONFIRMATION, 1)]
    capped = rules.apply_daily_cap(awards, earned_today={1: rules.DAILY_CAP - 12, 2: 0})
    assert [a.delta for a in capped] == [10, 2, 1]
    assert capped[1].note and "daily cap" in capped[1].note and "(2/5)" in capped[1].note
    assert capped[0].note is None and capped[2].note is None


def test_at_the_cap_an_award_is_recorded_as_zero():
    capped = rules.apply_daily_cap([Award(1, 10, Reason.REPORT_CONFIRMED, 10)],
                                   earned_today={1: rules.DAILY_CAP})
    assert capped[0].delta == 0 and "daily cap" in capped[0].note


def test_penalties_are_not_capped():
    penalty = Award(1, 10, Reason.INVALID_PENALTY, -5)
    assert rules.apply_daily_cap([penalty], earned_today={1: 10_000}) == [penalty]


# --- rejections ------------------------------------------------------------------------------

def test_a_report_rejected_as_invalid_is_recorded_at_zero():
    assert rules.rejection_awards(report_id=10, rider_id=1, rejection="invalid", invalid_before=0) == [
        Award(1, 10, Reason.REJECTED_INVALID, 0)]


@pytest.mark.parametrize("invalid_before, penalised", [(0, False), (1, False), (2, True), (5, True)])
def test_the_third_invalid_report_within_the_window_costs_points(invalid_before, penalised):
    awards = rules.rejection_awards(report_id=10, rider_id=1, rejection="invalid",
                                    invalid_before=invalid_before)
    penalties = [a for a in awards if a.reason == Reason.INVALID_PENALTY]
    assert bool(penalties) is penalised
    if penalised:
        assert penalties[0].delta == rules.INVALID_PENALTY < 0
        assert f"#{invalid_before + 1}" in penalties[0].note


def test_a_duplicate_rejection_writes_nothing_itself():
    assert rules.rejection_awards(report_id=10, rider_id=1, rejection="duplicate", invalid_before=9) == []


def test_an_unknown_rejection_is_a_programming_error():
    with pytest.raises(ValueError):
        rules.rejection_awards(report_id=10, rider_id=1, rejection="spam", invalid_before=0)


# --- adjustments -----------------------------------------------------------------------------

def test_an_adjustment_keeps_its_reason_as_the_note():
    assert rules.adjustment_award(rider_id=1, delta=-20, reason="  虚假照片  ") == Award(
        1, None, Reason.ADJUSTMENT, -20, "虚假照片")


@pytest.mark.parametrize("delta, reason", [
    (0, "good reason"), (rules.MAX_ADJUSTMENT + 1, "good reason"), (-rules.MAX_ADJUSTMENT - 1, "ok ok"),
    (5, ""), (5, " x "), (5, "x" * 201),
])
def test_an_adjustment_needs_a_bounded_non_zero_delta_and_a_reason(delta, reason):
    with pytest.raises(ValueError):
        rules.adjustment_award(rider_id=1, delta=delta, reason=reason)


# --- levels, reasons, ranks, masking ---------------------------------------------------------

@pytest.mark.parametrize("points, code, next_at", [
    (-10, "trainee", 50), (0, "trainee", 50), (49, "trainee", 50), (50, "bronze", 200),
    (199, "bronze", 200), (200, "silver", 500), (500, "gold", None), (9999, "gold", None),
])
def test_levels_by_points(points, code, next_at):
    level = rules.level_for(points)
    assert (level.code, level.next_at) == (code, next_at)
    assert "文明使者" in level.name_zh


def test_every_reason_reads_in_chinese_and_english():
    for reason in Reason:
        text = rules.reason_text(reason)
        assert text["zh"] and text["en"] and text["zh"] != text["en"]


@pytest.mark.parametrize("points, ranks", [
    ([], []), ([5], [1]), ([9, 9, 7], [1, 1, 3]), ([9, 8, 8, 8, 2], [1, 2, 2, 2, 5]), ([0, 0], [1, 1]),
])
def test_ties_share_a_rank_and_skip_the_next(points, ranks):
    assert rules.competition_ranks(points) == ranks


@pytest.mark.parametrize("name, masked", [("张三丰", "张**"), ("李四", "李*"), ("王", "王*"),
                                          ("Alice", "A****"), ("  ", "*")])
def test_names_are_masked_to_their_first_character(name, masked):
    from app.auth.privacy import mask_name

    assert mask_name(name) == masked


# --- periods on China time -------------------------------------------------------------------

SUNDAY_LATE_IN_CHINA = datetime(2026, 11, 22, 15, 59, 59, 999999, tzinfo=timezone.utc)  # Sun 23:59:59 +8
MONDAY_IN_CHINA = datetime(2026, 11, 22, 16, 0, tzinfo=timezone.utc)  # Mon 00:00 +8, still Sunday in UTC


@pytest.mark.parametrize("kind, at, start", [
    (Period.WEEK, SUNDAY_LATE_IN_CHINA, date(2026, 11, 16)),
    (Period.WEEK, MONDAY_IN_CHINA, date(2026, 11, 23)),
    (Period.MONTH, datetime(2026, 11, 30, 16, 0, tzinfo=timezone.utc), date(2026, 12, 1)),
    (Period.YEAR, datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc), date(2027, 1, 1)),
    (Period.YEAR, datetime(2026, 12, 31, 15, 0, tzinfo=timezone.utc), date(2026, 1, 1)),
    (Period.ALL, MONDAY_IN_CHINA, ALL_TIME_START),
])
def test_periods_start_on_china_days_and_weeks_on_monday(kind, at, start):
    assert period_start(kind, at) == start


@pytest.mark.parametrize("kind, start, end", [
    (Period.WEEK, date(2026, 12, 28), date(2027, 1, 4)),
    (Period.MONTH, date(2026, 2, 1), date(2026, 3, 1)),
    (Period.MONTH, date(2026, 12, 1), date(2027, 1, 1)),
    (Period.YEAR, date(2026, 1, 1), date(2027, 1, 1)),
    (Period.ALL, ALL_TIME_START, None),
])
def test_period_ends(kind, start, end):
    assert period_end(kind, start) == end


def test_a_china_day_begins_at_16_utc_the_day_before():
    assert china_midnight(date(2026, 11, 23)) == datetime(2026, 11, 22, 16, 0, tzinfo=timezone.utc)


# --- reports filed by an integration (no rider) ------------------------------------------------

def test_an_integration_s_report_earns_nobody_points():
    assert rules.confirmation_awards(hazard=Hazard(10, None, 8, urgent=True), confirmations=[]) == []


def test_riders_confirming_an_integration_s_report_still_earn_their_point():
    awards = rules.confirmation_awards(hazard=Hazard(10, None, 8, urgent=False),
                                       confirmations=[Confirmation(11, 2)])
    assert _by_reason(awards) == {(2, 11, Reason.CONFIRMATION): rules.CONFIRMATION_POINTS}


def test_an_integration_s_duplicate_neither_earns_nor_takes_a_rider_s_slot():
    hotline_calls = [Confirmation(20 + i, None) for i in range(rules.CONFIRMATIONS_CREDITED)]
    awards = rules.confirmation_awards(hazard=HAZARD, confirmations=[*hotline_calls, Confirmation(30, 2)])
    assert _by_reason(awards) == {
        (1, 10, Reason.REPORT_CONFIRMED): 8,
        (1, 10, Reason.FIRST_REPORTER_BONUS): rules.FIRST_REPORTER_BONUS,
        (2, 30, Reason.CONFIRMATION): rules.CONFIRMATION_POINTS,
    }
