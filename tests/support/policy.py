"""Tests change the assignment policy the app read at start-up, and get it back afterwards."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from flask import Flask

from app.dispatch.policy import EXTENSION_KEY, AssignmentPolicy


def use_policy(monkeypatch: pytest.MonkeyPatch, app: Flask, **settings: Any) -> AssignmentPolicy:
    """The app's assignment policy with these settings changed, for this test only."""
    policy = dataclasses.replace(app.extensions[EXTENSION_KEY], **settings)
    monkeypatch.setitem(app.extensions, EXTENSION_KEY, policy)
    return policy
