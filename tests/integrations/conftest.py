"""Fixtures of integrations: a mapped community with workers on duty, an admin, a hotline's key,
and the app served on a loopback socket for real HTTP clients."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from app.auth.models import Role
from tests.factories import auth_headers, make_user
from tests.mapdata import COMMUNITY, IN_WEST
from tests.reports.conftest import mapped, put_on_duty, rider, rider_headers, staff, submit  # noqa: F401


@pytest.fixture
def admin_headers(app):
    return auth_headers(app, make_user(app, Role.ADMIN, name="平台管理员"))


@pytest.fixture
def issue(client, admin_headers):
    """Issue an integration through the admin API; returns the 201 body (key shown once)."""

    def _issue(*, name: str = "银川12345热线", area_code: str = COMMUNITY,
               callback_url: str | None = None) -> dict[str, Any]:
        body = {"name": name, "area_code": area_code}
        if callback_url:
            body["callback_url"] = callback_url
        response = client.post("/api/v1/integrations", json=body, headers=admin_headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return _issue


@pytest.fixture
def hotline(issue, mapped, staff) -> dict[str, Any]:  # noqa: F811
    return issue()


def hotline_form(api_key: str, *, at: tuple[float, float] = IN_WEST, **extra: Any) -> dict[str, Any]:
    """What a hotline system posts: form fields, as Open311 defines them."""
    form = {"api_key": api_key, "service_code": "flying_lead_charging", "lat": repr(at[0]),
            "long": repr(at[1]), "description": "市民来电：楼道内飞线充电",
            "first_name": "李", "last_name": "女士", "phone": "13812345678", "email": "li@example.cn"}
    form.update(extra)
    return form


@pytest.fixture
def live_url(app) -> Iterator[str]:
    """The app on 127.0.0.1, in a thread, for clients that speak real HTTP."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="open311-live", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

