"""The Idempotency-Key request header: read and checked once for every endpoint that honours it."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from flask import request
from sqlalchemy import select

from app.errors import Unprocessable, ValidationFailed
from app.extensions import db

Keyed = TypeVar("Keyed")

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


def row_with_key(model: type[Keyed], *, rider_id: int, key: str | None, request_hash: str | None) -> Keyed | None:
    """The row (of a model with rider_id, idempotency_key and request_hash) that an earlier request
    with this key made, or None; 422 if that was another request."""
    if key is None:
        return None
    earlier = db.session.scalar(select(model).where(model.rider_id == rider_id,  # type: ignore[attr-defined]
                                                    model.idempotency_key == key))  # type: ignore[attr-defined]
    if earlier is not None:
        require_same_request(earlier.request_hash, request_hash)  # type: ignore[attr-defined]
    return earlier
