"""The AppError hierarchy and the one JSON shape every error takes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Response


class AppError(Exception):
    """A failure the client can act on; rendered as {"error": {code, message, details}}."""

    status: int = 400
    code: str = "bad_request"
    message: str = "请求无法处理。"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.code = code or self.code
        self.details = details or {}
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationFailed(AppError):
    status, code, message = 400, "validation_failed", "有内容没填或填得不对，请检查。"


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "请重新登录。"


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "你没有权限这样做。"


class NotFound(AppError):
    status, code, message = 404, "not_found", "找不到。"


class Conflict(AppError):
    status, code, message = 409, "conflict", "与当前状态冲突，请刷新后再试。"


class InvalidTransition(Conflict):
    code, message = "invalid_transition", "这条上报的当前状态不能这样操作。"


class PayloadTooLarge(AppError):
    status, code, message = 413, "payload_too_large", "上传的内容太大。"


class UnsupportedMedia(AppError):
    status, code, message = 415, "unsupported_media_type", "不支持这种文件类型。"


class Unprocessable(AppError):
    status, code, message = 422, "unprocessable", "请求格式正确，但无法执行。"


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "操作太频繁，请稍后再试。"


# --- rendering -------------------------------------------------------------------------------

# The framework's own errors: (code, what the person reads) by HTTP status.
_HTTP_ERRORS = {
    400: ("bad_request", "请求格式不正确。"),
    401: ("unauthorized", "请先登录。"),
    403: ("forbidden", "你没有权限这样做。"),
    404: ("not_found", "找不到这个地址。"),
    405: ("method_not_allowed", "这个地址不支持这种请求方式。"),
    409: ("conflict", "与当前状态冲突，请刷新后再试。"),
    413: ("payload_too_large", "上传的内容太大。"),
    415: ("unsupported_media_type", "不支持这种内容类型。"),
    422: ("unprocessable", "请求格式正确，但无法执行。"),
    429: ("rate_limited", "操作太频繁，请稍后再试。"),
}


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None) -> "Response":
    """The one JSON error shape, as a Flask response."""
    from flask import jsonify

    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: "Flask") -> None:
    """Every error, ours or the framework's, leaves as JSON in the one shape."""
    from flask_limiter.errors import RateLimitExceeded
    from werkzeug.exceptions import HTTPException

    from app.extensions import db

    @app.errorhandler(AppError)
    def _app_error(exc: AppError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):  # type: ignore[no-untyped-def]
        return error_response(429, "rate_limited", "操作太频繁，请稍后再试。",
                              {"limit": str(exc.description)})

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        status = exc.code or 500
        data = getattr(exc, "data", None) or {}
        if "messages" in data:  # webargs/marshmallow validation failure
            messages = data["messages"]
            # Fields of a single location (json, form, query...) are reported flat.
            if len(messages) == 1:
                messages = next(iter(messages.values()))
            return error_response(400, "validation_failed", "有内容没填或填得不对，请检查。",
                                  {"fields": messages}, data.get("headers"))
        code, message = _HTTP_ERRORS.get(status, ("http_error", exc.description or "请求无法处理。"))
        response = error_response(status, code, message)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "系统出了点问题，请稍后再试。")

