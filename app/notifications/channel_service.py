"""Channel use cases: a user's SMS/WeChat settings, binding WeChat, and who was reached about a report."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User
from app.common import clock
from app.errors import Conflict, Forbidden, Unprocessable, ValidationFailed
from app.extensions import db
from app.notifications.models import (
    ChannelAttempt,
    ChannelDelivery,
    Notification,
    NotificationPreference,
    PushDelivery,
)
from app.notifications.wechat import WechatClient, WechatError
from app.reports.service import get_report

BIND_STATE_SALT = "gridsnap.wechat-bind.v1"
# Who may see, per report, which channel reached whom: the desk, not riders or grid workers.
DELIVERY_VIEWERS = (Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)


# --- settings ------------------------------------------------------------------------------------

def get_preferences(*, user_id: int) -> NotificationPreference:
    """The user's channel settings (the defaults, unsaved, if they never changed them)."""
    found = db.session.get(NotificationPreference, user_id)
    return found or NotificationPreference(user_id=user_id, sms_enabled=True, wechat_enabled=True)


def update_preferences(*, user_id: int, changes: dict[str, Any]) -> NotificationPreference:
    """Change some of the user's channel settings; quiet hours come as a pair (equal: none)."""
    if ("quiet_start" in changes) != ("quiet_end" in changes) or (
            (changes.get("quiet_start") is None) != (changes.get("quiet_end") is None)):
        raise ValidationFailed("请同时填写免打扰的开始和结束时间。", code="quiet_hours_incomplete",
                               details={"fields": {"quiet_end": ["与 quiet_start 一起填写"]}})
    preference = _preference_row(user_id)
    for name, value in changes.items():
        setattr(preference, name, value)
    preference.updated_at = clock.utcnow()
    db.session.commit()
    return preference


def _preference_row(user_id: int) -> NotificationPreference:
    """The user's stored row, made if missing (two first saves at once: one insert wins)."""
    found = db.session.get(NotificationPreference, user_id)
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            db.session.add(NotificationPreference(user_id=user_id, sms_enabled=True, wechat_enabled=True,
                                                  updated_at=clock.utcnow()))
    except IntegrityError:
        pass
    return db.session.get(NotificationPreference, user_id, populate_existing=True)


# --- WeChat binding ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WechatBindStart:
    authorize_url: str
    nonce: str  # goes into a cookie: the callback must come back to the same browser


def start_wechat_bind(*, user_id: int, app_id: str, oauth_base: str, redirect_uri: str,
                      secret: str) -> WechatBindStart:
    """The Official Account's OAuth URL (snsapi_base) with a signed state tied to this user and browser."""
    if not app_id:
        raise Unprocessable("本服务尚未接入微信公众号。", code="wechat_not_configured")
    nonce = secrets.token_urlsafe(24)
    state = _bind_serializer(secret).dumps({"u": user_id, "n": _digest(nonce)})
    query = urlencode({"appid": app_id, "redirect_uri": redirect_uri, "response_type": "code",
                       "scope": "snsapi_base", "state": state})
    return WechatBindStart(f"{oauth_base.rstrip('/')}/connect/oauth2/authorize?{query}#wechat_redirect", nonce)


def finish_wechat_bind(*, code: str, state: str, cookie_nonce: str | None, client: WechatClient | None,
                       secret: str, max_age: int) -> int:
    """Bind the openid WeChat gives for this code to the user who started; the user's id."""
    user_id = _user_in_state(state, cookie_nonce, secret=secret, max_age=max_age)
    if client is None:
        raise Unprocessable("本服务尚未接入微信公众号。", code="wechat_not_configured")
    try:
        openid = client.openid_for_code(code)
    except WechatError as exc:
        raise Unprocessable("微信授权未成功，请重新点击绑定。", code="wechat_code_rejected",
                            details={"errcode": exc.errcode}) from None
    owner = db.session.scalar(select(NotificationPreference.user_id)
                              .where(NotificationPreference.wechat_openid == openid))
    if owner is not None and owner != user_id:
        raise Conflict("这个微信已绑定另一个账号，请先在那个账号里解除绑定。", code="wechat_bound_elsewhere")
    preference = _preference_row(user_id)
    preference.wechat_openid, preference.wechat_bound_at = openid, clock.utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # the same WeChat bound to another account at this moment
        db.session.rollback()
        raise Conflict("这个微信已绑定另一个账号。", code="wechat_bound_elsewhere") from None
    return user_id


def _user_in_state(state: str, cookie_nonce: str | None, *, secret: str, max_age: int) -> int:
    try:
        claims = _bind_serializer(secret).loads(state, max_age=max_age)
    except SignatureExpired:
        raise ValidationFailed("绑定链接已过期，请回到应用重新点击绑定。", code="wechat_state_expired") from None
    except BadSignature:
        raise ValidationFailed("绑定链接无效，请回到应用重新点击绑定。", code="wechat_state_invalid") from None
    if not (isinstance(claims, dict) and isinstance(claims.get("u"), int) and cookie_nonce
            and hmac.compare_digest(str(claims.get("n")), _digest(cookie_nonce))):
        raise ValidationFailed("请在发起绑定的同一个浏览器里完成绑定。", code="wechat_state_invalid")
    return claims["u"]


def unbind_wechat(*, user_id: int) -> None:
    """Stop WeChat messages to this user and forget the openid (idempotent)."""
    db.session.execute(update(NotificationPreference).where(NotificationPreference.user_id == user_id)
                       .values(wechat_openid=None, wechat_bound_at=None, updated_at=clock.utcnow()))
    db.session.commit()


def _bind_serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=BIND_STATE_SALT)


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()[:32]


# --- who was reached -----------------------------------------------------------------------------

def deliveries_for_report(*, viewer: User, report_id: int) -> list[dict[str, Any]]:
    """Each notification about the report: to whom, when, seen when, and how each channel fared."""
    if viewer.role not in DELIVERY_VIEWERS:
        raise Forbidden("只有社区和指挥中心可以查看通知送达情况。", code="role_not_allowed")
    get_report(viewer=viewer, report_id=report_id)  # 404 / 403 by the report's own scope
    rows = db.session.execute(select(Notification, User).join(User, User.id == Notification.user_id)
                              .where(Notification.report_id == report_id).order_by(Notification.id)).all()
    ids = [note.id for note, _ in rows]
    channels = _channel_rows(ids)
    pushes = _push_rows(ids)
    return [{"notification_id": note.id, "kind": note.kind, "title": note.title, "created_at": note.created_at,
             "seen_at": note.seen_at, "recipient": {"id": user.id, "name": user.name, "role": user.role},
             "channels": [{"channel": "app", "status": "seen" if note.seen_at else "unseen",
                           "at": note.seen_at}, *pushes.get(note.id, []), *channels.get(note.id, [])]}
            for note, user in rows]


def _channel_rows(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    deliveries = db.session.scalars(select(ChannelDelivery).where(ChannelDelivery.notification_id.in_(ids))
                                    .order_by(ChannelDelivery.id)).all()
    attempts: dict[int, list[ChannelAttempt]] = {}
    for attempt in db.session.scalars(select(ChannelAttempt).where(
            ChannelAttempt.delivery_id.in_([d.id for d in deliveries])).order_by(ChannelAttempt.id)):
        attempts.setdefault(attempt.delivery_id, []).append(attempt)
    for d in deliveries:
        found.setdefault(d.notification_id, []).append({
            "channel": d.channel, "status": d.status, "reason": d.reason, "provider": d.provider,
            "at": d.sent_at or d.updated_at, "due_at": d.next_attempt_at if d.status == "pending" else None,
            "attempts": [{"at": a.at, "outcome": a.outcome, "code": a.code} for a in attempts.get(d.id, [])]})
    return found


def _push_rows(ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for d in db.session.scalars(select(PushDelivery).where(PushDelivery.notification_id.in_(ids))
                                .order_by(PushDelivery.id)):
        found.setdefault(d.notification_id, []).append({
            "channel": "web_push", "status": d.status, "reason": d.last_error, "provider": None,
            "at": d.sent_at or d.created_at, "due_at": None, "attempts": []})
    return found
