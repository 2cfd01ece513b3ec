"""The AppError hierarchy and the one JSON shape every error takes."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Response


class AppError(Exception):
    """A failure the client can act on; rendered as {"error": {code, message, details}}."""

    status: int = 400
    code: str = "bad_request"
    message: str = "The request could not be processed."

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
    status, code, message = 400, "validation_failed", "Some fields are missing or invalid."


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "Please log in again."


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFound(AppError):
    status, code, message = 404, "not_found", "Not found."


class Conflict(AppError):
    status, code, message = 409, "conflict", "This conflicts with the current state."


class InvalidTransition(Conflict):
    code, message = "invalid_transition", "This action is not possible in the report's current state."


class PayloadTooLarge(AppError):
    status, code, message = 413, "payload_too_large", "The upload is too large."


class UnsupportedMedia(AppError):
    status, code, message = 415, "unsupported_media_type", "This file type is not supported."


class Unprocessable(AppError):
    status, code, message = 422, "unprocessable", "The request is well-formed but cannot be applied."


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "Too many requests; please wait and try again."


# --- rendering -------------------------------------------------------------------------------

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
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
        return error_response(429, "rate_limited", "Too many requests; please wait and try again.",
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
            return error_response(400, "validation_failed", "Some fields are missing or invalid.",
                                  {"fields": messages}, data.get("headers"))
        code = _HTTP_CODES.get(status, "http_error")
        response = error_response(status, code, exc.description or code)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side; please try again.")

