"""Pure rules of the SMS and WeChat channels: which kinds, when to send, quiet hours, safe parameters."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.points.periods import CHINA_TZ

# The template parameters each kind's SMS carries, in order (Tencent's templates number them {1}…).
SMS_PARAMETERS: dict[str, tuple[str, ...]] = {
    "assigned": ("category", "distance", "address", "deadline"),
    "dispatched": ("category", "address", "deadline"),
}
# Kinds the Official Account sends, with the template field each parameter fills.
WECHAT_FIELDS: dict[str, dict[str, str]] = {
    "assigned": {"thing1": "category", "thing2": "address", "character_string3": "distance",
                 "time4": "deadline_long"},
    "status_changed": {"thing1": "category", "phrase2": "status", "time3": "at_long"},
}
# Carriers and WeChat refuse long variables; 20 characters fit both.
PARAM_MAX_CHARS = 20
_QUIET = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DIGIT_RUN = re.compile(r"\d[\d\s-]{5,}\d")


@dataclass(frozen=True)
class QuietHours:
    """A daily window in China time, minutes after midnight; it may wrap past midnight."""

    start: int
    end: int

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(CHINA_TZ)
        minute = local.hour * 60 + local.minute
        if self.start <= self.end:
            return self.start <= minute < self.end
        return minute >= self.start or minute < self.end

    def ends_after(self, at: datetime) -> datetime:
        """The first end of the window after `at` (an aware UTC instant)."""
        local = at.astimezone(CHINA_TZ)
        end = local.replace(hour=self.end // 60, minute=self.end % 60, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(at.tzinfo)


def parse_clock(text: str) -> int | None:
    """Minutes after midnight of an "HH:MM" string, or None if it is not one."""
    match = _QUIET.match(text or "")
    return int(match[1]) * 60 + int(match[2]) if match else None


def parse_quiet_hours(start: str | None, end: str | None) -> QuietHours | None:
    """The window from two "HH:MM" strings; None when empty or equal (no quiet hours)."""
    first, last = parse_clock(start or ""), parse_clock(end or "")
    if first is None or last is None or first == last:
        return None
    return QuietHours(first, last)


def parse_quiet_setting(text: str) -> QuietHours | None:
    """The deployment default from "22:00-07:00"; "" means none."""
    start, _, end = (text or "").partition("-")
    return parse_quiet_hours(start.strip(), end.strip())


def china_time_text(at: datetime | None) -> str:
    """A time as a person in China reads it on a phone: "12-06 18:30"."""
    return at.astimezone(CHINA_TZ).strftime("%m-%d %H:%M") if at else "尽快"


def china_time_long(at: datetime | None) -> str:
    """A time in the form WeChat's `time` fields accept: "2026年12月06日 18:30"."""
    return at.astimezone(CHINA_TZ).strftime("%Y年%m月%d日 %H:%M") if at else "尽快"


def scrub(text: str | None, *, names: tuple[str, ...] = ()) -> str:
    """Free text made safe for a template parameter: no digit runs (phones), no listed names, clipped."""
    text = " ".join((text or "").split())
    text = _DIGIT_RUN.sub("*", text)
    for name in names:
        if name:
            text = text.replace(name, "*")
    return text if len(text) <= PARAM_MAX_CHARS else text[: PARAM_MAX_CHARS - 1] + "…"


@dataclass(frozen=True)
class Decision:
    """What to do with a due delivery: send now, skip with a reason, or wait until a time."""

    send: bool
    reason: str | None = None
    defer_until: datetime | None = None


@dataclass(frozen=True)
class DeliveryFacts:
    """Everything the decision needs, read from the database by the deliverer."""

    now: datetime
    channel: str
    user_active: bool
    channel_enabled: bool
    seen: bool
    still_relevant: bool
    urgent: bool
    quiet: QuietHours | None
    has_template: bool
    has_address: bool  # a phone number or a bound openid


def decide(facts: DeliveryFacts) -> Decision:
    """Whether this SMS or WeChat message goes now; the first rule that stops it names the reason."""
    stops = (
        (not facts.user_active, "user_inactive"),
        (not facts.has_address, "no_address"),
        (not facts.channel_enabled, "opted_out"),
        (facts.channel == "sms" and facts.seen, "seen"),
        (not facts.still_relevant, "no_longer_relevant"),
        (not facts.has_template, "no_template"),
    )
    for stopped, reason in stops:
        if stopped:
            return Decision(send=False, reason=reason)
    if facts.channel == "sms" and facts.quiet and not facts.urgent and facts.quiet.contains(facts.now):
        return Decision(send=False, reason="quiet_hours", defer_until=facts.quiet.ends_after(facts.now))
    return Decision(send=True)


@dataclass(frozen=True)
class SendResult:
    """What one provider call came to: the push outcome vocabulary, the provider's own code."""

    outcome: str  # push.Outcome: delivered | retry | rejected | gone
    code: str | None = None
    detail: str = ""
    message_id: str | None = None
