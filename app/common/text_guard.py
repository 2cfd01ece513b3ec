"""Refuse NUL characters in any text a request carries: no field can use one, and PostgreSQL
text columns cannot store one (SQLite would, so this keeps both engines alike)."""
from __future__ import annotations

from typing import Any

from flask import Flask, request

from app.errors import ValidationFailed

_NUL = "\x00"


def register_nul_guard(app: Flask) -> None:
    app.before_request(refuse_nul_characters)


def refuse_nul_characters() -> None:
    """400 if the path, the query, a form field or a JSON string holds a NUL (files may)."""
    where = _first_nul(request)
    if where:
        raise ValidationFailed("文字中不能含有 NUL（\\u0000）字符。", code="nul_character",
                               details={"where": where})


def _first_nul(req: Any) -> str | None:
    if _NUL in req.path:
        return "path"
    if any(_NUL in key or _NUL in value for key, value in req.args.items(multi=True)):
        return "query"
    if req.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded") and any(
            _NUL in key or _NUL in value for key, value in req.form.items(multi=True)):
        return "form"
    if req.is_json and _holds_nul(req.get_json(silent=True)):
        return "json"
    return None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return _NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False
