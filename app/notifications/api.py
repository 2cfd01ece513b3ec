"""Push endpoints: poll, Server-Sent Events stream, Web Push subscriptions and the VAPID key."""
from __future__ import annotations

from flask import Response, request
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint

from app.common.auth import roles_required
from app.errors import NotFound
from app.notifications import push, service
from app.notifications.schemas import (
    NotificationListSchema,
    PollArgsSchema,
    StreamArgsSchema,
    StreamHeadersSchema,
    SubscriptionOutSchema,
    SubscriptionSchema,
    UnsubscribeSchema,
    VapidKeySchema,
)
from app.notifications.settings import allowed_push_hosts, setting
from app.notifications.stream import StreamGrant, open_stream

blp = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="Notifications: poll, live stream, Web Push.")


@blp.route("/notifications", methods=["GET"])
@roles_required()
@blp.arguments(PollArgsSchema, location="query")
@blp.response(200, NotificationListSchema)
def poll(args):
    """Your notifications after id `after`, oldest first: pass the last id you have to resume."""
    return {"items": service.notifications_after(user_id=current_user.id, **args)}


@blp.route("/notifications/stream", methods=["GET"])
@blp.arguments(StreamArgsSchema, location="query")
@blp.arguments(StreamHeadersSchema, location="headers")
@blp.doc(security=[{"bearerAuth": []}], responses={"200": {
    "description": "text/event-stream: one event per notification (id, event = kind, data = JSON), "
                   "comment heartbeats; ends after SSE_MAX_SECONDS, reconnect with Last-Event-ID.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
    "503": {"description": "streams_busy (this stream server is full) or server_closing: retry later."}})
def stream(args, headers):
    """Live notifications as Server-Sent Events; resumes after Last-Event-ID (or ?after=)."""
    _authenticate_stream(args["access_token"])
    after = headers["last_event_id"] if headers["last_event_id"] is not None else args["after"] or 0
    grant = StreamGrant(user_id=current_user.id, session_id=get_jwt().get("sid"), after=after)
    body = open_stream(grant=grant, environ=request.environ)
    # No proxy buffering or caching: each event must reach the phone when it is written.
    return Response(body or "", mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _authenticate_stream(query_token: str | None) -> None:
    """The normal bearer check; a browser EventSource, which cannot set headers, may use ?access_token=."""
    if query_token and "Authorization" not in request.headers:
        request.environ["HTTP_AUTHORIZATION"] = f"Bearer {query_token}"
    verify_jwt_in_request()


@blp.route("/push-subscriptions", methods=["POST"])
@roles_required()
@blp.arguments(SubscriptionSchema)
@blp.response(201, SubscriptionOutSchema)
@blp.alt_response(200, schema=SubscriptionOutSchema, description="The endpoint was known: updated.")
def subscribe(form):
    """Register this device for Web Push (the browser's PushSubscription JSON); the same endpoint updates."""
    subscription, created = service.save_subscription(user_id=current_user.id,
                                                      allowed=allowed_push_hosts(), **form)
    return subscription, 201 if created else 200


@blp.route("/push-subscriptions", methods=["DELETE"])
@roles_required()
@blp.arguments(UnsubscribeSchema)
@blp.response(204)
def unsubscribe(form):
    """Stop Web Push to this device (call it before logging out)."""
    service.delete_subscription(user_id=current_user.id, endpoint=form["endpoint"])


@blp.route("/push-subscriptions/vapid-public-key", methods=["GET"])
@blp.response(200, VapidKeySchema)
def vapid_public_key():
    """The applicationServerKey to pass to pushManager.subscribe()."""
    key = push.public_key_for(private_key=setting("VAPID_PRIVATE_KEY"),
                              public_key=setting("VAPID_PUBLIC_KEY"))
    if key is None:
        raise NotFound("本服务器未配置网页推送。", code="web_push_not_configured")
    return {"public_key": key}
