"""Conditional GETs: an ETag from what a response is built of, and a 304 without building it."""
from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request

# Each viewer's copy is their own, and must be revalidated before it is shown again.
CACHE_CONTROL = "private, no-cache"


def etag_for(*parts: Any) -> str:
    """An opaque tag of these parts, keyed with the app's secret so a client cannot forge one."""
    payload = json.dumps(parts, default=str, separators=(",", ":"), ensure_ascii=False)
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:32]


def unless_fresh(etag: str, build: Callable[[], Any]) -> Any:
    """304 with no body if the client holds this ETag already; otherwise build() with the ETag."""
    # Weak: equal tags promise the same content, not the same bytes (a list's cursor is re-signed).
    headers = {"ETag": f'W/"{etag}"', "Cache-Control": CACHE_CONTROL, "Vary": "Authorization"}
    if request.if_none_match.contains_weak(etag):
        return Response(status=304, headers=headers)
    return build(), 200, headers
