"""Push endpoints: poll, stream, seen, Web Push subscriptions, SMS/WeChat settings and binding, reach."""
from __future__ import annotations

from flask import Response, current_app, redirect, request
from flask_jwt_extended import current_user, get_jwt, verify_jwt_in_request
from flask_smorest import Blueprint

from app.common.auth import roles_required
from app.errors import NotFound
from app.notifications import channel_service, push, service
from app.notifications.schemas import (
    NotificationListSchema,
    PollArgsSchema,
    PreferencesSchema,
    PreferencesUpdateSchema,
    ReportDeliveriesSchema,
    SeenResultSchema,
    SeenSchema,
    StreamArgsSchema,
    StreamHeadersSchema,
    SubscriptionOutSchema,
    SubscriptionSchema,
    UnsubscribeSchema,
    VapidKeySchema,
    WechatBindSchema,
    WechatCallbackArgsSchema,
)
from app.notifications.settings import allowed_push_hosts, setting
from app.notifications.stream import StreamGrant, open_stream
from app.notifications.wechat import wechat_client_from

blp = Blueprint("notifications", __name__, url_prefix="/api/v1",
                description="Notifications: poll, live stream, Web Push.")


@blp.route("/notifications", methods=["GET"])
@roles_required()
@blp.arguments(PollArgsSchema, location="query")
@blp.response(200, NotificationListSchema)
def poll(args):
    """Your notifications: after id `after`, oldest first (pass the last id you have to resume); or
    newest first a page at a time (`?per_page=`, then `?cursor=` the previous page's `next`)."""
    if args.pop("paged"):
        return service.notifications_page(user_id=current_user.id, **args)
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


# --- SMS and WeChat ------------------------------------------------------------------------------

WECHAT_BIND_COOKIE = "gridsnap_wechat_bind"
WECHAT_BIND_SECONDS = 600
WECHAT_CALLBACK_PATH = "/api/v1/wechat/oauth-callback"


@blp.route("/notifications/seen", methods=["POST"])
@roles_required()
@blp.arguments(SeenSchema)
@blp.response(200, SeenResultSchema)
def seen(body):
    """The app has shown your notifications up to `up_to_id`: they stop their SMS fallback. Idempotent."""
    return {"marked": service.mark_seen(user_id=current_user.id, up_to_id=body["up_to_id"])}


@blp.route("/me/notification-settings", methods=["GET"])
@roles_required()
@blp.response(200, PreferencesSchema)
def get_notification_settings():
    """Your SMS and WeChat settings, quiet hours, and whether WeChat is bound."""
    return channel_service.get_preferences(user_id=current_user.id)


@blp.route("/me/notification-settings", methods=["PUT"])
@roles_required()
@blp.arguments(PreferencesUpdateSchema)
@blp.response(200, PreferencesSchema)
def put_notification_settings(changes):
    """Turn SMS or WeChat messages on or off; set quiet hours (China time) or null both for the default."""
    return channel_service.update_preferences(user_id=current_user.id, changes=changes)


@blp.route("/me/wechat/bind", methods=["POST"])
@roles_required()
@blp.response(200, WechatBindSchema)
def start_wechat_bind():
    """Start binding your WeChat: open the returned URL inside WeChat (a cookie ties it to this browser)."""
    config = current_app.config
    started = channel_service.start_wechat_bind(
        user_id=current_user.id, app_id=config["WECHAT_APP_ID"], oauth_base=config["WECHAT_OAUTH_BASE"],
        redirect_uri=config["PUBLIC_BASE_URL"].rstrip("/") + WECHAT_CALLBACK_PATH, secret=config["SECRET_KEY"])
    response = current_app.json.response({"authorize_url": started.authorize_url})
    response.set_cookie(WECHAT_BIND_COOKIE, started.nonce, max_age=WECHAT_BIND_SECONDS, httponly=True,
                        samesite="Lax", path="/api/v1/wechat",
                        secure=config["PUBLIC_BASE_URL"].startswith("https://"))
    return response


@blp.route("/wechat/oauth-callback", methods=["GET"])
@blp.arguments(WechatCallbackArgsSchema, location="query")
@blp.response(302)
def wechat_oauth_callback(args):
    """Where WeChat returns with ?code=&state=: binds the openid, then back into the app."""
    config = current_app.config
    channel_service.finish_wechat_bind(
        code=args["code"], state=args["state"], cookie_nonce=request.cookies.get(WECHAT_BIND_COOKIE),
        client=wechat_client_from(config), secret=config["SECRET_KEY"], max_age=WECHAT_BIND_SECONDS)
    response = redirect("/app/?wechat=bound", code=302)
    response.delete_cookie(WECHAT_BIND_COOKIE, path="/api/v1/wechat")
    return response


@blp.route("/me/wechat", methods=["DELETE"])
@roles_required()
@blp.response(204)
def unbind_wechat():
    """Stop WeChat messages and forget your openid."""
    channel_service.unbind_wechat(user_id=current_user.id)


@blp.route("/reports/<int:report_id>/deliveries", methods=["GET"])
@roles_required(*channel_service.DELIVERY_VIEWERS)
@blp.response(200, ReportDeliveriesSchema)
def report_deliveries(report_id):
    """Who was told about this report, when, by which channel (app, Web Push, SMS, WeChat), and seen when."""
    return {"items": channel_service.deliveries_for_report(viewer=current_user, report_id=report_id)}
