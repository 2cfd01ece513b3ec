"""Apps of a test's own, beside the session's shared one."""
from __future__ import annotations

from pathlib import Path

from flask import Flask

from app import create_app
from config import TestingConfig


def scratch_sqlite_app(folder: Path) -> Flask:
    """An app on an empty SQLite file in `folder`, for tests that walk migrations up and down."""

    class Scratch(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'scratch.db'}"
        UPLOAD_DIR = str(folder / "uploads")

    return create_app(Scratch)
