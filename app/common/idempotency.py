"""The Idempotency-Key request header: read and checked once for every endpoint that honours it."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from flask import request

from app.errors import Unprocessable, ValidationFailed

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


def fingerprint(fields: dict[str, Any], blobs: Sequence[bytes] = ()) -> str:
    """What makes two requests 'the same request' for an Idempotency-Key: their fields and files."""
    canonical = json.dumps({k: v.isoformat() if isinstance(v, datetime | date) else v
                            for k, v in sorted(fields.items())}, ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(canonical.encode())
    for data in blobs:
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def require_same_request(earlier_hash: str | None, request_hash: str | None) -> None:
    """422 when a key that answered one request comes back with another (a client bug, or a key
    reused by mistake): replaying the first answer would hide that the second was never done."""
    if earlier_hash is not None and request_hash is not None and earlier_hash != request_hash:
        raise Unprocessable("此 Idempotency-Key 已用于另一个请求。", code="idempotency_key_reused")
