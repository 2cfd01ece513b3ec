"""The Idempotency-Key request header: read and checked once for every endpoint that honours it."""
from __future__ import annotations

import re

from flask import request

from app.errors import ValidationFailed

_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,100}$")
IDEMPOTENCY_KEY_DOC = {"in": "header", "name": "Idempotency-Key", "required": False,
                       "schema": {"type": "string", "minLength": 8, "maxLength": 100},
                       "description": "Any unique value per request (e.g. a UUID); a retry with the same "
                                      "key gets the first answer instead of acting twice."}


def idempotency_key() -> str | None:
    """The request's Idempotency-Key, if it sent one; 400 if it is malformed."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _KEY.match(key):
        raise ValidationFailed("Idempotency-Key 须为8–100个字母、数字或 ._:- 字符。",
                               code="invalid_idempotency_key")
    return key
