"""Push settings, read from the app's config (defaults and environment: config.py)."""
from __future__ import annotations

from typing import Any

from flask import current_app


def setting(name: str) -> Any:
    """The configured value of a push setting (defaults and environment: config.py)."""
    return current_app.config[name]
