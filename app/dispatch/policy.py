"""The assignment settings, read once from the configuration into one typed value."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

EXTENSION_KEY = "gridsnap.assignment_policy"


@dataclass(frozen=True)
class AssignmentPolicy:
    """How assignment behaves (docs/ARCHITECTURE.md, section 5)."""

    fresh_minutes: int = 15  # a worker's last position counts this long
    caseload_cap: int = 10  # open reports (assigned + accepted) a worker may hold from routing
    max_attempts: int = 3  # automatic assignments before the district takes the report

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AssignmentPolicy:
        """The policy the configuration asks for (defaults where it is silent)."""
        return cls(fresh_minutes=int(config.get("PRESENCE_FRESH_MINUTES", cls.fresh_minutes)),
                   caseload_cap=int(config.get("WORKER_CASELOAD_CAP", cls.caseload_cap)),
                   max_attempts=int(config.get("MAX_ASSIGN_ATTEMPTS", cls.max_attempts)))


def install_policy(app: Flask) -> None:
    """Read the settings once, when the app is built."""
    app.extensions[EXTENSION_KEY] = AssignmentPolicy.from_config(app.config)


def current_policy() -> AssignmentPolicy:
    """The policy of the running app (the defaults for an app built without install_policy)."""
    return current_app.extensions.get(EXTENSION_KEY) or AssignmentPolicy()
