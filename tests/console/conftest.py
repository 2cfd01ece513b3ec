"""Console fixtures: the demo world loaded, and a test client logged in at the desk as someone."""
from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, select

from app.demo import DEMO_PASSWORD, seed_demo
from app.extensions import db
from tests.conftest import KEEP_TABLES

SECRETARY, DISPATCHER, DEPARTMENT, ADMIN = "13900000001", "13900000021", "13900000031", "13900000000"
GRID_WORKER, RIDER = "13900000011", "13900000101"
OTHER_SECRETARY = "13900000201"  # 丁书记 of 富兴社区, another community
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def demo(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> None:
    """The demo world `make run` loads (map, people, reports, points): seeded through the real use
    cases once per session, then restored from a copy of its rows and photo files for each test."""
    with app.app_context():
        if not _SNAPSHOT:
            list(seed_demo())
            _take_snapshot(app, tmp_path_factory.mktemp("demo-uploads"))
        else:
            _restore_snapshot(app)


_SNAPSHOT: dict[str, Any] = {}
_LEVELS = ("district", "street", "community", "grid", "micro_grid")


def _tables() -> list[Table]:
    return [t for t in db.metadata.sorted_tables if t.name not in KEEP_TABLES]


def _take_snapshot(app: Flask, uploads: Path) -> None:
    with db.engine.connect() as conn:
        _SNAPSHOT["rows"] = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in _tables()}
    # Parents before children where a table points at itself.
    _SNAPSHOT["rows"]["areas"].sort(key=lambda row: _LEVELS.index(row["level"]))
    _SNAPSHOT["rows"]["reports"].sort(key=lambda row: row["id"])
    shutil.copytree(app.config["UPLOAD_DIR"], uploads, dirs_exist_ok=True)
    _SNAPSHOT["uploads"] = uploads


def _restore_snapshot(app: Flask) -> None:
    with db.engine.begin() as conn:
        for table in _tables():
            if _SNAPSHOT["rows"][table.name]:
                conn.execute(table.insert(), _SNAPSHOT["rows"][table.name])
        if conn.dialect.name == "postgresql":  # ids were given: move each sequence past them
            for table in _tables():
                if "id" in table.c and table.c.id.autoincrement is not False and _SNAPSHOT["rows"][table.name]:
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                         f"(SELECT max(id) FROM {table.name}))")
    shutil.copytree(_SNAPSHOT["uploads"], app.config["UPLOAD_DIR"], dirs_exist_ok=True)


def csrf_token(client: FlaskClient, path: str = "/console/") -> str:
    """The CSRF token of the client's session, read from a console page as a browser would."""
    page = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, phone: str, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/console/login", data={"phone": phone, "password": password,
                                               "csrf_token": csrf_token(client)})


@pytest.fixture
def desk(app: Flask, demo: None) -> Callable[[str], FlaskClient]:
    """desk(phone): a test client logged in to the console as that demo account."""

    def logged_in(phone: str) -> FlaskClient:
        client = app.test_client()
        response = log_in(client, phone)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return logged_in


def post_form(client: FlaskClient, path: str, data: dict[str, str], *, token_from: str | None = None):  # type: ignore[no-untyped-def]
    """POST a console form with the session's CSRF token, as the page's form would."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from or path)})
