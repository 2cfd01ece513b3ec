"""SMS and WeChat behind the outbox: queue rows with a notification, then claim, decide, send, record."""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, false, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import User, UserStatus
from app.categories.models import Category
from app.common import clock
from app.common.models import UTCDateTime
from app.extensions import db
from app.notifications import channel_rules as rules
from app.notifications.delivery import DeliveryPolicy, RoundResult
from app.notifications.models import (
    Channel,
    ChannelAttempt,
    ChannelDelivery,
    ChannelStatus,
    Notification,
    NotificationPreference,
    SmsUsage,
)
from app.notifications.push import Outcome
from app.notifications.rules import retry_delay_seconds
from app.notifications.sms import SmsMessage, SmsSender
from app.notifications.wechat import WechatMessage, WechatSender
from app.points.periods import china_date
from app.reports.models import Report

STATUS_WORDS = {"assigned": "已派单", "accepted": "已接单", "escalated": "已上报", "dispatched": "已派部门",
                "resolved": "已处置", "closed": "已办结", "rejected": "未受理"}


@dataclass(frozen=True)
class ChannelSettings:
    """The deployment's channel configuration, read once from the app config."""

    sms_enabled: bool
    wechat_enabled: bool
    sms_after_seconds: int
    sms_urgent_after_seconds: int
    quiet: rules.QuietHours | None
    user_daily_cap: int
    daily_budget: int
    sign_name: str
    sms_templates: Mapping[str, str]
    wechat_templates: Mapping[str, str]
    public_base_url: str

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ChannelSettings:
        console = (config.get("SMS_PROVIDER") or "").strip().lower() == "console"
        # The console needs no approved template: it prints a placeholder code.
        sms_templates = {kind: config.get(f"SMS_TEMPLATE_{kind.upper()}") or
                         (f"SMS_{kind.upper()}" if console else "") for kind in rules.SMS_PARAMETERS}
        wechat_templates = {"assigned": config.get("WECHAT_TEMPLATE_ASSIGNED") or "",
                            "status_changed": config.get("WECHAT_TEMPLATE_STATUS") or ""}
        return cls(
            sms_enabled=bool((config.get("SMS_PROVIDER") or "").strip()),
            wechat_enabled=bool(config.get("WECHAT_APP_ID") and config.get("WECHAT_APP_SECRET")),
            sms_after_seconds=int(config["SMS_AFTER_SECONDS"]),
            sms_urgent_after_seconds=int(config["SMS_URGENT_AFTER_SECONDS"]),
            quiet=rules.parse_quiet_setting(config.get("SMS_QUIET_HOURS") or ""),
            user_daily_cap=int(config["SMS_USER_DAILY_CAP"]), daily_budget=int(config["SMS_DAILY_BUDGET"]),
            sign_name=config["SMS_SIGN_NAME"], sms_templates=sms_templates,
            wechat_templates=wechat_templates, public_base_url=config["PUBLIC_BASE_URL"].rstrip("/"))


# --- queueing, in the caller's transaction -------------------------------------------------------

def queue_channel_deliveries(notification_ids: list[int], *, kind: str, now: datetime,
                             settings: ChannelSettings) -> None:
    """SMS rows due after the unseen wait (urgent: sooner) and WeChat rows due now, for active users."""
    kinds = ({*rules.SMS_PARAMETERS} if settings.sms_enabled else set()) | (
        {*rules.WECHAT_FIELDS} if settings.wechat_enabled else set())
    if kind not in kinds:
        return  # most kinds go by app and Web Push only: no query
    params = {"ids": notification_ids, "now": now}
    if settings.sms_enabled and kind in rules.SMS_PARAMETERS:
        db.session.execute(_QUEUE_SMS, {**params,
                                        "urgent_due": now + timedelta(seconds=settings.sms_urgent_after_seconds),
                                        "normal_due": now + timedelta(seconds=settings.sms_after_seconds)})
    if settings.wechat_enabled and kind in rules.WECHAT_FIELDS:
        db.session.execute(_QUEUE_WECHAT, params)


def _queue_statement(channel: Channel, due: Any, *, bound_only: bool = False) -> Any:
    """INSERT … SELECT one pending row per notification of an active user; built once, bound per call."""
    stamp = bindparam("now", type_=UTCDateTime())
    urgent = func.coalesce(Category.urgent, false())  # False when the notification is about no report
    rows = (select(Notification.id, Notification.user_id, literal(channel.value),
                   literal(ChannelStatus.PENDING.value), urgent, literal(0), false(), due, stamp, stamp)
            .join(User, User.id == Notification.user_id)
            .outerjoin(Report, Report.id == Notification.report_id)
            .outerjoin(Category, Category.code == Report.category_code)
            .where(Notification.id.in_(bindparam("ids", expanding=True)),
                   User.status == UserStatus.ACTIVE.value))
    if bound_only:
        rows = (rows.join(NotificationPreference, NotificationPreference.user_id == Notification.user_id)
                .where(NotificationPreference.wechat_openid.is_not(None)))
    columns = ["notification_id", "user_id", "channel", "status", "urgent", "attempts", "charged",
               "next_attempt_at", "created_at", "updated_at"]
    return insert(ChannelDelivery.__table__).from_select(columns, rows)  # Core: params bind, not rows


_QUEUE_SMS = _queue_statement(Channel.SMS, case(
    (func.coalesce(Category.urgent, false()), bindparam("urgent_due", type_=UTCDateTime())),
    else_=bindparam("normal_due", type_=UTCDateTime())))
_QUEUE_WECHAT = _queue_statement(Channel.WECHAT, bindparam("now", type_=UTCDateTime()), bound_only=True)


# --- delivering ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChannelSenders:
    sms: SmsSender | None = None
    wechat: WechatSender | None = None

    def for_channel(self, channel: str) -> SmsSender | WechatSender | None:
        return self.sms if channel == Channel.SMS else self.wechat

    @property
    def channels(self) -> list[str]:
        return [c.value for c in Channel if self.for_channel(c.value) is not None]


@dataclass
class _Due:
    delivery_id: int
    channel: str
    attempts: int
    message: SmsMessage | WechatMessage | None = None
    happened: str = ""


@dataclass
class _Context:
    delivery: ChannelDelivery
    notification: Notification
    user: User
    report: Report | None
    category: Category | None
    preference: NotificationPreference | None


def deliver_channels(*, senders: ChannelSenders, settings: ChannelSettings, max_batch: int,
                     policy: DeliveryPolicy) -> RoundResult:
    """One batch of due SMS and WeChat deliveries: decide, charge caps, send, record; at-least-once."""
    token = uuid.uuid4().hex
    claimed = _claim(token=token, channels=senders.channels, max_batch=max_batch,
                     lease=timedelta(seconds=policy.lease_seconds))
    result = RoundResult(claimed=len(claimed))
    for due in claimed:  # no transaction is open while we wait on the network
        _prepare(due, token=token, settings=settings)
        if due.message is not None:
            sender = senders.for_channel(due.channel)
            sent = sender.send(due.message)  # type: ignore[union-attr, arg-type]
            due.happened = _record(due, token=token, sent=sent, provider=sender.name, policy=policy)
        result.add(f"{due.channel} {due.happened}")
    return result


def _claim(*, token: str, channels: list[str], max_batch: int, lease: timedelta) -> list[_Due]:
    """Take due rows with one conditional UPDATE: a row another deliverer took is no longer due."""
    if not channels:
        return []
    now = clock.utcnow()
    due = (ChannelDelivery.status == ChannelStatus.PENDING.value, ChannelDelivery.next_attempt_at <= now,
           ChannelDelivery.channel.in_(channels))
    batch = (select(ChannelDelivery.id).where(*due)
             .order_by(ChannelDelivery.next_attempt_at, ChannelDelivery.id).limit(max_batch))
    db.session.execute(
        update(ChannelDelivery).where(ChannelDelivery.id.in_(batch), *due)
        .values(claim_token=token, attempts=ChannelDelivery.attempts + 1, next_attempt_at=now + lease)
        .execution_options(synchronize_session=False))
    rows = db.session.execute(select(ChannelDelivery.id, ChannelDelivery.channel, ChannelDelivery.attempts)
                              .where(ChannelDelivery.claim_token == token).order_by(ChannelDelivery.id)).all()
    db.session.commit()
    return [_Due(*row) for row in rows]


def _prepare(due: _Due, *, token: str, settings: ChannelSettings) -> None:
    """Decide in one short transaction: skip or defer (recorded), or charge the caps and build the message."""
    context = _load(due.delivery_id, token)
    if context is None:
        db.session.rollback()
        due.happened = "lost"  # the lease ran out and another deliverer owns it
        return
    decision = rules.decide(_facts(context, settings))
    if decision.send and due.channel == Channel.SMS and not context.delivery.charged:
        stop = _charge(context.user.id, settings)
        decision = rules.Decision(send=False, reason=stop) if stop else decision
        context.delivery.charged = stop is None
    if not decision.send:
        _stop(context.delivery, decision, attempts=due.attempts)
        due.happened = "deferred" if decision.defer_until else f"skipped ({decision.reason})"
    else:
        due.message = _message(context, settings)
    db.session.commit()


def _load(delivery_id: int, token: str) -> _Context | None:
    row = db.session.execute(
        select(ChannelDelivery, Notification, User, Report, Category, NotificationPreference)
        .join(Notification, Notification.id == ChannelDelivery.notification_id)
        .join(User, User.id == ChannelDelivery.user_id)
        .outerjoin(Report, Report.id == Notification.report_id)
        .outerjoin(Category, Category.code == Report.category_code)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(ChannelDelivery.id == delivery_id, ChannelDelivery.claim_token == token)).first()
    return _Context(*row) if row else None


def _facts(context: _Context, settings: ChannelSettings) -> rules.DeliveryFacts:
    delivery, preference, user = context.delivery, context.preference, context.user
    sms = delivery.channel == Channel.SMS
    enabled = preference is None or (preference.sms_enabled if sms else preference.wechat_enabled)
    quiet = settings.quiet
    if preference is not None and (preference.quiet_start or preference.quiet_end):
        quiet = rules.parse_quiet_hours(preference.quiet_start, preference.quiet_end)
    templates = settings.sms_templates if sms else settings.wechat_templates
    return rules.DeliveryFacts(
        now=clock.utcnow(), channel=delivery.channel, user_active=user.status == UserStatus.ACTIVE,
        channel_enabled=enabled, seen=context.notification.seen_at is not None,
        still_relevant=_still_relevant(context), urgent=delivery.urgent, quiet=quiet,
        has_template=bool(templates.get(context.notification.kind)),
        has_address=bool(user.phone) if sms else bool(preference and preference.wechat_openid))


def _still_relevant(context: _Context) -> bool:
    """An assignment the worker already took up, or that moved on to someone else, needs no reminder."""
    report, kind, user_id = context.report, context.notification.kind, context.user.id
    if report is None:
        return True
    if kind == "assigned":
        return report.status == "assigned" and report.assigned_to_id == user_id
    if kind == "dispatched":
        return report.status == "dispatched" and report.department_id == user_id
    return True


def _charge(user_id: int, settings: ChannelSettings) -> str | None:
    """Count one SMS against the user's daily cap and the deployment's budget; the reason if either is full."""
    day = china_date(clock.utcnow())
    for scope, limit, reason in ((f"user:{user_id}", settings.user_daily_cap, "user_daily_cap"),
                                 ("all", settings.daily_budget, "daily_budget")):
        _ensure_usage_row(day, scope)
        counted = db.session.execute(
            update(SmsUsage).where(SmsUsage.day == day, SmsUsage.scope == scope, SmsUsage.count < limit)
            .values(count=SmsUsage.count + 1).execution_options(synchronize_session=False)).rowcount
        if not counted:
            if scope == "all":  # give back the user's count taken a moment ago
                db.session.execute(update(SmsUsage).where(SmsUsage.day == day, SmsUsage.scope == f"user:{user_id}")
                                   .values(count=SmsUsage.count - 1).execution_options(synchronize_session=False))
            return reason
    return None


def _ensure_usage_row(day: Any, scope: str) -> None:
    if db.session.get(SmsUsage, (day, scope)) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(SmsUsage(day=day, scope=scope, count=0))
    except IntegrityError:  # another deliverer made it first
        pass


def _stop(delivery: ChannelDelivery, decision: rules.Decision, *, attempts: int) -> None:
    delivery.claim_token = None
    delivery.reason = decision.reason
    delivery.updated_at = clock.utcnow()
    if decision.defer_until is not None:
        delivery.next_attempt_at = decision.defer_until
        delivery.attempts = attempts - 1  # waiting out quiet hours is not an attempt
    else:
        delivery.status = ChannelStatus.SKIPPED.value


def _message(context: _Context, settings: ChannelSettings) -> SmsMessage | WechatMessage:
    params = template_parameters(context)
    kind = context.notification.kind
    if context.delivery.channel == Channel.SMS:
        ordered = {name: params[name] for name in rules.SMS_PARAMETERS[kind]}
        return SmsMessage(phone=context.user.phone, template_code=settings.sms_templates[kind], params=ordered,
                          sign_name=settings.sign_name, reference=str(context.delivery.id))
    data = {key: params[name] for key, name in rules.WECHAT_FIELDS[kind].items()}
    link = f"{settings.public_base_url}/app/"
    if context.notification.report_id:
        link += f"?report={context.notification.report_id}"
    return WechatMessage(openid=context.preference.wechat_openid,  # type: ignore[union-attr]
                         template_id=settings.wechat_templates[kind], url=link, data=data)


def template_parameters(context: _Context) -> dict[str, str]:
    """Every parameter a template may use; free text is scrubbed of the reporter's name and phone."""
    report, category = context.report, context.category
    reporter = db.session.get(User, report.reporter_id) if report else None
    names = (reporter.name, reporter.phone) if reporter else ()
    address = rules.scrub(report.address if report else None, names=names) or "见App地图"
    distance = f"{round(report.distance_m)}" if report and report.distance_m is not None else "未知"
    deadline = _deadline(context)
    return {
        "category": rules.scrub(category.name_zh if category else "隐患"),
        "distance": distance, "address": address, "deadline": rules.china_time_text(deadline),
        "deadline_long": rules.china_time_long(deadline),
        "status": STATUS_WORDS.get(report.status, "有更新") if report else "有更新",
        "at_long": rules.china_time_long(context.notification.created_at),
    }


def _deadline(context: _Context) -> datetime | None:
    report, category = context.report, context.category
    if report is None:
        return None
    if context.notification.kind == "dispatched":
        return report.due_at
    if category is not None:
        return (report.assigned_at or report.created_at) + timedelta(minutes=category.accept_minutes)
    return None


def _record(due: _Due, *, token: str, sent: rules.SendResult, provider: str, policy: DeliveryPolicy) -> str:
    """Write the attempt and the row's new state in one short transaction; returns what happened."""
    now = clock.utcnow()
    db.session.add(ChannelAttempt(delivery_id=due.delivery_id, at=now, provider=provider, outcome=sent.outcome,
                                  code=sent.code, detail=sent.detail[:200] or None,
                                  message_id=(sent.message_id or None) and str(sent.message_id)[:64]))
    values: dict[str, Any] = {"claim_token": None, "provider": provider, "last_code": sent.code,
                              "last_error": sent.detail[:200] or None, "updated_at": now, "reason": None}
    if sent.outcome == Outcome.DELIVERED:
        values.update(status=ChannelStatus.SENT.value, sent_at=now, last_error=None)
        happened = "sent"
    elif sent.outcome == Outcome.RETRY and due.attempts < policy.max_attempts:
        delay = retry_delay_seconds(attempts=due.attempts, base_seconds=policy.retry_base_seconds,
                                    max_seconds=policy.retry_max_seconds)
        values.update(next_attempt_at=now + timedelta(seconds=delay))
        happened = "retry"
    else:
        values.update(status=ChannelStatus.FAILED.value)
        happened = "failed"
    db.session.execute(update(ChannelDelivery)
                       .where(ChannelDelivery.id == due.delivery_id, ChannelDelivery.claim_token == token)
                       .values(**values).execution_options(synchronize_session=False))
    db.session.commit()
    return happened
