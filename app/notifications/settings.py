"""Push settings with their defaults, read from the app's config by the API and the CLI."""
from __future__ import annotations

from typing import Any

from flask import current_app

DEFAULTS: dict[str, Any] = {
    "SSE_MAX_SECONDS": 300,  # a stream ends by itself; the client reconnects with Last-Event-ID
    "SSE_POLL_SECONDS": 1.0,
    "SSE_HEARTBEAT_SECONDS": 15,
    "PUSH_ALLOW_INSECURE_ENDPOINTS": False,  # http endpoints on loopback, for tests only
    "PUSH_MAX_ATTEMPTS": 8,
    "PUSH_RETRY_BASE_SECONDS": 30,
    "PUSH_RETRY_MAX_SECONDS": 3600,
    "PUSH_TTL_SECONDS": 86400,  # how long a push service keeps a message for an offline device
    "PUSH_TIMEOUT_SECONDS": 10,
    "VAPID_PRIVATE_KEY": "",
    "VAPID_PUBLIC_KEY": "",
    "VAPID_SUBJECT": "mailto:ops@gridsnap.example",
}


def setting(name: str) -> Any:
    """The configured value of a push setting, or its default."""
    return current_app.config.get(name, DEFAULTS[name])
