"""Fixtures: a migrated database (SQLite file, or a fresh PostgreSQL database), app, client."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db, limiter
from config import TestingConfig
from tests.support.databases import scratch_database

pytest_plugins = ["tests.support.browser"]

# Reference data that migrations insert and every test may rely on.
KEEP_TABLES = {"alembic_version", "categories"}


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
    return url if url.startswith("postgres") else None


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A database of this test session's own: a new PostgreSQL database, or a SQLite file."""
    with scratch_database(_postgres_url(), prefix="gridsnap_test") as url:
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_DIR = str(tmp_path_factory.mktemp("uploads"))

    application = create_app(Config)
    with application.app_context():
        flask_migrate.upgrade()  # the schema production gets, not create_all()
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used the app: empty every table but reference data, and uploads."""
    yield
    if "app" not in request.fixturenames:
        return
    reset_state(request.getfixturevalue("app"))


def reset_state(application: Flask) -> None:
    """Empty every table but reference data, and the photo store."""
    with application.app_context():
        db.session.remove()
        tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                for table in tables:
                    conn.execute(table.delete())
        limiter.reset()
    upload_dir = Path(application.config["UPLOAD_DIR"])
    for child in upload_dir.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def app_ctx(app: Flask) -> Iterator[Flask]:
    """An app context for calling services directly."""
    with app.app_context():
        yield app
        db.session.remove()
