"""Fixtures for the phone app: a mapped community with a rider and a grid worker, and a logged-in phone."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from app.auth.models import Role
from tests.factories import PASSWORD, make_user
from tests.images import jpeg_bytes
from tests.mapdata import COMMUNITY, load_small_map

# Where the phone_context fixture puts the phone (Yinchuan).
PHONE_AT = (38.4872, 106.2309)
SHOTS = os.environ.get("GRIDSNAP_SCREENSHOTS")  # a folder: save the screens the tests pass through


def snap(page, name: str, *, scroll_to: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """With GRIDSNAP_SCREENSHOTS=DIR, the screen as a person sees it (after scrolling to `scroll_to`)
    as DIR/phone-NAME.png (the README's screenshots)."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        if scroll_to:
            page.locator(scroll_to).scroll_into_view_if_needed()
        page.screenshot(path=str(Path(SHOTS) / f"phone-{name}.png"))


@pytest.fixture
def world(app):
    """The small map, a rider and a grid worker of its community (both active)."""
    load_small_map(app)
    return {
        "rider": make_user(app, Role.RIDER, area_code=COMMUNITY, name="张骑手", platform="meituan"),
        "worker": make_user(app, Role.GRID_WORKER, area_code=COMMUNITY, name="王网格"),
    }


@pytest.fixture
def phone(phone_context):
    """A page on the phone; the test fails if a script on it throws."""
    page = phone_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert errors == [], f"script errors on the page: {errors}"


def phone_jpeg(seed: int = 0, size: tuple[int, int] = (800, 600)) -> dict:
    """A camera JPEG with GPS and capture time, as Playwright's set_input_files takes it."""
    data = jpeg_bytes(*size, gps=PHONE_AT, seed=seed, taken_at=datetime.now(timezone.utc).replace(microsecond=0))
    return {"name": f"IMG_{seed:04d}.JPG", "mimeType": "image/jpeg", "buffer": data}


def log_in(page, user, *, path: str = "/app/", password: str = PASSWORD) -> None:
    """Open the app and log in as a person does: type phone and password, tap 登录."""
    page.goto(path)
    page.fill("input[name=phone]", user.phone)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="登录").tap()
    page.locator("#tabs a").first.wait_for()
