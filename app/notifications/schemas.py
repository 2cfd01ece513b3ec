"""In and out shapes of notifications and Web Push subscriptions."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from app.common.fields import Id
from app.common.pagination import CURSOR_MAX_LENGTH, MAX_PAGE, MAX_PER_PAGE, PER_PAGE_DEFAULT, page_schema
from app.notifications.rules import ENDPOINT_MAX, auth_problem, p256dh_problem

POLL_DEFAULT_LIMIT, POLL_MAX_LIMIT = 50, 200


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"example": "assigned"})
    report_id = fields.Integer(allow_none=True)
    title = fields.String()
    body = fields.String()
    created_at = fields.DateTime()
    data = fields.Dict()
    seen_at = fields.DateTime(allow_none=True, metadata={"description": "When the app first showed it."})


# Polling answers only `items`; pages (`?cursor=`, `?per_page=` or `?page=`) answer the whole envelope.
NotificationListSchema = page_schema(NotificationSchema, "NotificationList")
PAGE_ARGS = ("cursor", "page", "per_page")


class PollArgsSchema(Schema):
    """Either polling (`after`, `limit`: oldest first, what the app has not seen) or pages (`cursor`,
    `page`, `per_page`: newest first, as every list); without either, polling from the oldest."""

    after = Id(minimum=0, load_default=None,
               metadata={"description": "Polling: the last notification id you have; 0 for the oldest."})
    limit = fields.Integer(load_default=None, validate=validate.Range(1, POLL_MAX_LIMIT),
                           metadata={"description": f"Polling: at most this many (default {POLL_DEFAULT_LIMIT})."})
    # As every list's (CursorArgsSchema), but without defaults: whether they are sent picks the way.
    cursor = fields.String(load_default=None, validate=validate.Length(1, CURSOR_MAX_LENGTH),
                           metadata={"description": "Pages: the `next` of the previous page."})
    page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"Pages: how many (default {PER_PAGE_DEFAULT})."})

    @validates_schema
    def _one_way(self, data: dict[str, Any], **_kwargs: Any) -> None:
        paged = [name for name in PAGE_ARGS if data.get(name) is not None]
        polled = [name for name in ("after", "limit") if data.get(name) is not None]
        if paged and polled:
            raise ValidationError({name: ["不能与 after/limit 同时使用：翻页用 cursor，轮询用 after。"]
                                   for name in paged})

    @post_load
    def _mode(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        if any(data.get(name) is not None for name in PAGE_ARGS):
            return {"paged": True, "cursor": data.get("cursor"), "page": data.get("page") or 1,
                    "per_page": data.get("per_page") or PER_PAGE_DEFAULT}
        after, limit = data.get("after"), data.get("limit")
        return {"paged": False, "after": after or 0, "limit": limit or POLL_DEFAULT_LIMIT}


class StreamArgsSchema(Schema):
    after = Id(minimum=0, load_default=None,
                           metadata={"description": "Resume after this id (the Last-Event-ID header wins)."})
    access_token = fields.String(load_default=None, validate=validate.Length(max=4096), metadata={
        "description": "For browser EventSource, which cannot send an Authorization header."})


class StreamHeadersSchema(Schema):
    last_event_id = Id(minimum=0, data_key="Last-Event-ID",
                                   load_default=None)


class _KeyField(fields.String):
    """A base64url key checked by a rule that says what is wrong with it."""

    def __init__(self, rule: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = self.rule(text)
        if problem:
            raise ValidationError(problem)
        return text


class SubscriptionKeysSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    p256dh = _KeyField(p256dh_problem, required=True)
    auth = _KeyField(auth_problem, required=True)


class SubscriptionSchema(Schema):
    """What PushSubscription.toJSON() gives in a browser, plus an optional user agent."""

    class Meta:
        unknown = EXCLUDE  # browsers may add fields; the ones we need are checked

    endpoint = fields.String(required=True, validate=validate.Length(1, ENDPOINT_MAX))
    keys = fields.Nested(SubscriptionKeysSchema, required=True)
    expirationTime = fields.Integer(  # noqa: N815 (the browser's own field name)
        load_default=None, allow_none=True, validate=validate.Range(0, 253402300799000),
        metadata={"description": "Milliseconds since the epoch, as browsers give it."})
    user_agent = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))

    @post_load
    def to_service_arguments(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        expires_ms = data.pop("expirationTime")
        return {
            "endpoint": data["endpoint"], "p256dh": data["keys"]["p256dh"], "auth": data["keys"]["auth"],
            "user_agent": data["user_agent"],
            "expires_at": datetime.fromtimestamp(expires_ms / 1000, timezone.utc) if expires_ms else None,
        }


class SubscriptionOutSchema(Schema):
    id = fields.Integer()
    endpoint = fields.String()
    expires_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class UnsubscribeSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    endpoint = fields.String(required=True, validate=validate.Length(1, ENDPOINT_MAX))


class VapidKeySchema(Schema):
    public_key = fields.String(metadata={"description": "applicationServerKey for pushManager.subscribe()"})


class SeenSchema(Schema):
    up_to_id = Id(minimum=1, required=True,
                  metadata={"description": "The highest notification id the app has shown; yours up to it are seen."})


class SeenResultSchema(Schema):
    marked = fields.Integer(metadata={"description": "How many were newly marked (0 on a retry)."})


# --- SMS and WeChat channels ---------------------------------------------------------------------

_CLOCK = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="用 24 小时制 HH:MM，例如 22:00。")


class PreferencesSchema(Schema):
    sms_enabled = fields.Boolean(metadata={"description": "SMS when an assignment stays unseen."})
    wechat_enabled = fields.Boolean(metadata={"description": "Official Account messages, once bound."})
    quiet_start = fields.String(allow_none=True, metadata={
        "description": "China time HH:MM; null with quiet_end: the deployment's default quiet hours."})
    quiet_end = fields.String(allow_none=True)
    wechat_bound = fields.Function(lambda p: bool(p.wechat_openid))
    wechat_bound_at = fields.DateTime(allow_none=True)


class PreferencesUpdateSchema(Schema):
    """Any of the settings; quiet_start and quiet_end come together (equal: no quiet hours)."""

    sms_enabled = fields.Boolean(truthy={True}, falsy={False})
    wechat_enabled = fields.Boolean(truthy={True}, falsy={False})
    quiet_start = fields.String(allow_none=True, validate=_CLOCK)
    quiet_end = fields.String(allow_none=True, validate=_CLOCK)


class WechatBindSchema(Schema):
    authorize_url = fields.String(metadata={"description": "Open this inside WeChat; it returns to the callback."})


class WechatCallbackArgsSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # WeChat may add parameters of its own

    code = fields.String(required=True, validate=validate.Length(1, 128))
    state = fields.String(required=True, validate=validate.Length(1, 512))


class ChannelAttemptSchema(Schema):
    at = fields.DateTime()
    outcome = fields.String()
    code = fields.String(allow_none=True)


class ChannelReachSchema(Schema):
    channel = fields.String(metadata={"description": "app | web_push | sms | wechat"})
    status = fields.String(metadata={"description": "app: seen|unseen; others: pending|sent|failed|skipped"})
    reason = fields.String(allow_none=True, metadata={"description": "Why skipped, deferred or failing."})
    provider = fields.String(allow_none=True)
    at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    attempts = fields.List(fields.Nested(ChannelAttemptSchema))


class RecipientSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class ReportDeliverySchema(Schema):
    notification_id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    created_at = fields.DateTime()
    seen_at = fields.DateTime(allow_none=True)
    recipient = fields.Nested(RecipientSchema)
    channels = fields.List(fields.Nested(ChannelReachSchema))


class ReportDeliveriesSchema(Schema):
    items = fields.List(fields.Nested(ReportDeliverySchema))
