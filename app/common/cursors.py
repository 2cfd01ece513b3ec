"""Opaque list cursors: signed, bound to one viewer's list and filters, and short-lived."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.common.fields import ID_MAX
from app.errors import ValidationFailed

_SALT = "gridsnap.list-cursor.v1"
# A phone keeps a list open for a while; past a day it starts again from the newest.
CURSOR_MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Position:
    """Where a page ends: the sort key of its last row (newest first) and the page's number."""

    at: datetime | None  # the time column of the order (None for lists ordered by id alone)
    id: int
    page: int


class BadCursor(ValidationFailed):
    code = "invalid_cursor"
    message = "翻页标记无效，请从第一页重新加载。"


def sign_position(position: Position, *, binding: str) -> str:
    """The cursor a client sends back for the page after `position`, valid only for `binding`."""
    at = position.at.isoformat() if position.at is not None else None
    return _serializer().dumps([at, position.id, position.page, _digest(binding)])


def read_position(token: str, *, binding: str) -> Position:
    """The position a cursor names; BadCursor (400) if it is forged, expired or another list's."""
    try:
        at, row_id, page, digest = _serializer().loads(token, max_age=CURSOR_MAX_AGE_SECONDS)
    except SignatureExpired:
        raise BadCursor("翻页标记已过期，请从第一页重新加载。", code="stale_cursor") from None
    except (BadSignature, ValueError, TypeError):
        raise BadCursor() from None
    if digest != _digest(binding):
        # Another viewer's, another filter's, or from before this viewer's scope changed.
        raise BadCursor("翻页标记不属于这个列表，请从第一页重新加载。", code="foreign_cursor")
    return Position(at=_instant(at), id=_whole(row_id, ID_MAX), page=_whole(page, 10**9))


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadCursor() from None
    if at.tzinfo is None:
        raise BadCursor()
    return at


def _whole(value: Any, maximum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= maximum:
        raise BadCursor()
    return value


def _digest(binding: str) -> str:
    return hashlib.sha256(binding.encode()).hexdigest()[:16]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)
