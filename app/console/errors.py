"""The console's errors are Chinese pages, never the API's JSON (the API keeps its own handlers)."""
from __future__ import annotations

from flask import render_template
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.console.blueprint import blp
from app.console.messages import ERROR, error_text
from app.console.session import desk_user
from app.errors import AppError
from app.extensions import db

_HTTP_TEXT = {404: ERROR["not_found"], 405: "不支持这种请求方式。", 413: ERROR["payload_too_large"]}


def error_page(text: str, status: int):  # type: ignore[no-untyped-def]
    return render_template("console/error.html", me=desk_user(), text=text, status=status), status


@blp.errorhandler(AppError)
def _app_error(exc: AppError):  # type: ignore[no-untyped-def]
    db.session.rollback()
    return error_page(error_text(exc), exc.status)


@blp.errorhandler(CSRFError)
def _csrf_refused(_exc: CSRFError):  # type: ignore[no-untyped-def]
    return error_page(ERROR["csrf"], 400)


@blp.errorhandler(RateLimitExceeded)
def _rate_limited(_exc: RateLimitExceeded):  # type: ignore[no-untyped-def]
    return error_page(ERROR["rate_limited"], 429)


@blp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
    status = exc.code or 500
    return error_page(_HTTP_TEXT.get(status, "请求有误，请返回重试。"), status)
