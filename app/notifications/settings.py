"""Push settings, read from the app's config (defaults and environment: config.py)."""
from __future__ import annotations

from typing import Any

from flask import current_app

from app.notifications.endpoints import AllowList, parse_allow_list


def setting(name: str) -> Any:
    """The configured value of a push setting (defaults and environment: config.py)."""
    return current_app.config[name]


def allowed_push_hosts() -> AllowList:
    """The push services subscriptions may point at (PUSH_ALLOWED_HOSTS)."""
    return parse_allow_list(setting("PUSH_ALLOWED_HOSTS"))
