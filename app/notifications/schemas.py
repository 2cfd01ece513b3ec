"""In and out shapes of notifications and Web Push subscriptions."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

from app.common.fields import Id
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


class NotificationListSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))


class PollArgsSchema(Schema):
    after = Id(minimum=0, load_default=0,
                           metadata={"description": "The last notification id you have; 0 for the oldest."})
    limit = fields.Integer(load_default=POLL_DEFAULT_LIMIT, validate=validate.Range(1, POLL_MAX_LIMIT))


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
