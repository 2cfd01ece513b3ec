"""The app a benchmark measures, on a database of its own: never the developer's DATABASE_URL itself."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask_migrate
from flask import Flask

from app import create_app
from app.extensions import db
from config import Config
from tests.support.databases import scratch_database


@dataclass(frozen=True)
class BenchApp:
    """A migrated app, its database URL and its upload folder (for a server started beside it)."""

    app: Flask
    database_url: str
    upload_dir: Path


@contextmanager
def bench_app(*, prefix: str, **settings: Any) -> Iterator[BenchApp]:
    """An app on a new database (PostgreSQL beside DATABASE_URL's when it names one, dropped afterwards;
    else a temporary SQLite file) migrated to head, with `settings` on top of the base config."""
    server_url = os.environ.get("DATABASE_URL", "")
    folder = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    try:
        with scratch_database(server_url if server_url.startswith("postgres") else None,
                              prefix=prefix.replace("-", "_")) as url:
            if url.startswith("sqlite"):
                url = f"sqlite:///{folder / 'bench.db'}"
            config = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url,
                                                      "UPLOAD_DIR": str(folder / "uploads"), **settings})
            app = create_app(config)
            try:
                with app.app_context():
                    flask_migrate.upgrade(revision="heads")
                yield BenchApp(app=app, database_url=url, upload_dir=folder / "uploads")
            finally:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
