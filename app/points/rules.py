"""Honour-point rules in one place: amounts, bonuses, cap, penalties, levels, ranks (no database)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

URGENT_BONUS = 5  # fire and fall risks (category.urgent)
FIRST_REPORTER_BONUS = 3  # the first reporter of a hazard others confirmed
CONFIRMATION_POINTS = 1  # a duplicate from another rider: a small thank-you...
CONFIRMATIONS_CREDITED = 3  # ...for the first three distinct riders only, so piling on earns nothing
DAILY_CAP = 60  # positive award points per rider per China day; adjustments and penalties are not capped
INVALID_PENALTY = -5  # from the 3rd report rejected as invalid within 30 days, each one costs this
INVALID_STRIKES = 3
INVALID_WINDOW_DAYS = 30
SUGGESTION_ADOPTED_POINTS = 10  # a 社情民意 suggestion the community took up (采纳); not capped: rare and judged
MAX_ADJUSTMENT = 100  # a secretary's adjustment, either way
ADJUSTMENT_REASON_LENGTH = (2, 200)


class Reason(StrEnum):
    REPORT_CONFIRMED = "report_confirmed"
    URGENT_BONUS = "urgent_bonus"
    FIRST_REPORTER_BONUS = "first_reporter_bonus"
    CONFIRMATION = "confirmation"
    REJECTED_INVALID = "rejected_invalid"
    INVALID_PENALTY = "invalid_penalty"
    ADJUSTMENT = "adjustment"
    SUGGESTION_ADOPTED = "suggestion_adopted"
    POLICY_DELIVERY = "policy_delivery"


# Awards that count against the daily cap.
CAPPED_REASONS = frozenset({Reason.REPORT_CONFIRMED, Reason.URGENT_BONUS,
                            Reason.FIRST_REPORTER_BONUS, Reason.CONFIRMATION})
# Every judged report leaves exactly one of these entries: they count as the rider's reports...
REPORT_REASONS = frozenset({Reason.REPORT_CONFIRMED, Reason.CONFIRMATION, Reason.REJECTED_INVALID})
# ...and these as valid ones (a confirmed hazard, or a confirmation of one).
VALID_REASONS = frozenset({Reason.REPORT_CONFIRMED, Reason.CONFIRMATION})

REASON_TEXT: Mapping[Reason, Mapping[str, str]] = {
    Reason.REPORT_CONFIRMED: {"zh": "上报属实", "en": "Report confirmed"},
    Reason.URGENT_BONUS: {"zh": "紧急隐患加分", "en": "Urgent hazard bonus"},
    Reason.FIRST_REPORTER_BONUS: {"zh": "首报奖励", "en": "First reporter bonus"},
    Reason.CONFIRMATION: {"zh": "重复上报确认", "en": "Confirmed someone's report"},
    Reason.REJECTED_INVALID: {"zh": "上报无效", "en": "Report rejected as invalid"},
    Reason.INVALID_PENALTY: {"zh": "多次无效上报扣分", "en": "Penalty for repeated invalid reports"},
    Reason.ADJUSTMENT: {"zh": "社区调整", "en": "Adjustment by your community"},
    Reason.SUGGESTION_ADOPTED: {"zh": "建议被采纳", "en": "Your suggestion was adopted"},
    Reason.POLICY_DELIVERY: {"zh": "送政策上门", "en": "Policy leaflets delivered"},
}
CAP_NOTE = "已达每日积分上限 / daily cap reached"
REPEAT_CONFIRMATION_NOTE = "同一隐患已确认过 / already credited for this hazard"
CONFIRMATION_LIMIT_NOTE = "确认名额已满 / confirmation credit limit reached"


@dataclass(frozen=True)
class Hazard:
    """A report confirmed real, with its category's amounts."""

    report_id: int
    reporter_id: int | None  # None: filed by an integration
    base_points: int
    urgent: bool


@dataclass(frozen=True)
class Confirmation:
    """A duplicate of a hazard (a report whose duplicate_of is the hazard), oldest first."""

    report_id: int
    reporter_id: int | None  # None: filed by an integration


@dataclass(frozen=True)
class Award:
    """One ledger entry to write."""

    rider_id: int
    report_id: int | None
    reason: Reason
    delta: int
    note: str | None = None
    # What earned it when it is not a report ("suggestion:12", "delivery:7"): the key of exactly-once.
    source: str | None = None


@dataclass(frozen=True)
class Level:
    code: str
    name_zh: str
    name_en: str
    min_points: int
    next_at: int | None


# (min points, code, zh, en), ascending.
LEVELS: tuple[tuple[int, str, str, str], ...] = (
    (0, "trainee", "见习文明使者", "Civility envoy trainee"),
    (50, "bronze", "铜牌文明使者", "Bronze civility envoy"),
    (200, "silver", "银牌文明使者", "Silver civility envoy"),
    (500, "gold", "金牌文明使者", "Gold civility envoy"),
)


def confirmation_awards(*, hazard: Hazard, confirmations: Sequence[Confirmation]) -> list[Award]:
    """Entries for a hazard confirmed real: its reporter's base, urgency and first-reporter bonus,
    and a capped confirmation point for the first distinct other riders who reported it again."""
    awards = [Award(hazard.reporter_id, hazard.report_id, Reason.REPORT_CONFIRMED, hazard.base_points)]
    if hazard.urgent:
        awards.append(Award(hazard.reporter_id, hazard.report_id, Reason.URGENT_BONUS, URGENT_BONUS))
    credited: list[int] = []
    confirming: list[Award] = []
    for confirmation in confirmations:
        rider = confirmation.reporter_id
        if rider is None or rider == hazard.reporter_id:
            continue  # an integration's report, or your own: not a rider's confirmation
        if rider in credited:
            delta, note = 0, REPEAT_CONFIRMATION_NOTE
        elif len(credited) >= CONFIRMATIONS_CREDITED:
            delta, note = 0, CONFIRMATION_LIMIT_NOTE
        else:
            delta, note = CONFIRMATION_POINTS, None
        if delta:
            credited.append(rider)
        confirming.append(Award(rider, confirmation.report_id, Reason.CONFIRMATION, delta, note))
    if confirming:
        awards.append(Award(hazard.reporter_id, hazard.report_id, Reason.FIRST_REPORTER_BONUS,
                            FIRST_REPORTER_BONUS))
    # A report an integration (a hotline) filed has no rider: it earns nobody points.
    return [award for award in awards + confirming if award.rider_id is not None]


def apply_daily_cap(awards: Iterable[Award], *, earned_today: Mapping[int, int],
                    cap: int = DAILY_CAP) -> list[Award]:
    """The awards trimmed, in order, so that no rider's capped awards today exceed the cap."""
    earned = dict(earned_today)
    trimmed = []
    for award in awards:
        if award.reason in CAPPED_REASONS and award.delta > 0:
            room = max(0, cap - earned.get(award.rider_id, 0))
            granted = min(award.delta, room)
            earned[award.rider_id] = earned.get(award.rider_id, 0) + granted
            if granted < award.delta:
                award = replace(award, delta=granted, note=f"{CAP_NOTE} ({granted}/{award.delta})")
        trimmed.append(award)
    return trimmed


def rejection_awards(*, report_id: int, rider_id: int, rejection: str,
                     invalid_before: int) -> list[Award]:
    """Entries for a rejected report: zero (recorded) for an invalid one, plus a penalty from the
    INVALID_STRIKES-th invalid within the window; nothing for a duplicate (its original credits it).

    invalid_before: the rider's other reports rejected as invalid within INVALID_WINDOW_DAYS.
    """
    if rejection == "duplicate":
        return []
    if rejection != "invalid":
        raise ValueError(f"unknown rejection {rejection!r}")
    awards = [Award(rider_id, report_id, Reason.REJECTED_INVALID, 0)]
    strike = invalid_before + 1
    if strike >= INVALID_STRIKES:
        days = INVALID_WINDOW_DAYS
        note = f"{days}天内第{strike}次无效上报 / invalid report #{strike} in {days} days"
        awards.append(Award(rider_id, report_id, Reason.INVALID_PENALTY, INVALID_PENALTY, note))
    return awards


def adjustment_award(*, rider_id: int, delta: int, reason: str) -> Award:
    """A secretary's adjustment: non-zero, bounded, with a reason the rider will read."""
    text = reason.strip()
    low, high = ADJUSTMENT_REASON_LENGTH
    if not low <= len(text) <= high:
        raise ValueError(f"原因需要{low}到{high}个字。")
    if delta == 0 or abs(delta) > MAX_ADJUSTMENT:
        raise ValueError(f"分值须在 -{MAX_ADJUSTMENT} 到 {MAX_ADJUSTMENT} 之间，且不为0。")
    return Award(rider_id, None, Reason.ADJUSTMENT, delta, text)


def adoption_award(*, rider_id: int, suggestion_id: int) -> Award:
    """The award for a suggestion the community adopted (once per suggestion)."""
    return Award(rider_id, None, Reason.SUGGESTION_ADOPTED, SUGGESTION_ADOPTED_POINTS,
                 source=f"suggestion:{suggestion_id}")


def credited_within_cap(*, count: int, daily_cap: int, credited_today: int) -> int:
    """Leaflets of a new delivery that earn points: what is left of the rider's daily cap for the
    campaign (the rest are still recorded, as coverage, for no points)."""
    return max(0, min(count, daily_cap - credited_today))


def delivery_award(*, rider_id: int, delivery_id: int, credited: int, points_per_delivery: int) -> Award:
    """The award for one recorded delivery (once per delivery)."""
    return Award(rider_id, None, Reason.POLICY_DELIVERY, credited * points_per_delivery,
                 source=f"delivery:{delivery_id}")


def reason_text(reason: str) -> Mapping[str, str]:
    """The reason of an entry, for a person: {zh, en}."""
    return REASON_TEXT.get(Reason(reason), {"zh": reason, "en": reason})


def level_for(points: int) -> Level:
    """The honour level (文明使者 badge) for a balance, and the points the next one needs."""
    index = 0
    for position, (minimum, *_names) in enumerate(LEVELS):
        if points >= minimum:
            index = position
    minimum, code, zh, en = LEVELS[index]
    next_at = LEVELS[index + 1][0] if index + 1 < len(LEVELS) else None
    return Level(code, zh, en, minimum, next_at)


def competition_ranks(points: Sequence[int]) -> list[int]:
    """Ranks of scores sorted best first; ties share a rank and skip the next ones (1, 1, 3)."""
    ranks: list[int] = []
    for position, value in enumerate(points):
        if position and value == points[position - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(position + 1)
    return ranks
