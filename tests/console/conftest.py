"""Console fixtures: the demo world loaded, and a test client logged in at the desk as someone."""
from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.demo import DEMO_PASSWORD, seed_demo

SECRETARY, DISPATCHER, DEPARTMENT, ADMIN = "13900000001", "13900000021", "13900000031", "13900000000"
GRID_WORKER, RIDER = "13900000011", "13900000101"
OTHER_SECRETARY = "13900000201"  # 丁书记 of 富兴社区, another community
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def demo(app: Flask) -> None:
    """The demo world `make run` loads (map, people, reports, points)."""
    with app.app_context():
        list(seed_demo())


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
