"""Pages in a real browser: the app served on loopback, Debian's Chromium driven by Playwright.

Every page opened through these fixtures fails its test if it asks for anything off the origin
(no CDN: the console and the app must work on an intranet with no internet)."""
from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless as root on a machine with no network but loopback: without the background-networking
# flags Chromium keeps dialling Google's hosts.
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
CHINA = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


def require_chromium() -> None:
    """Skip where Chromium is absent on a developer's machine; never in CI, where it must be."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: .ci/run installs it (apt-get install chromium)")
    pytest.skip(f"browser tests need Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk")


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a real loopback socket, served the production way for as long as the block runs:
    the stream server (asyncio) holds notification streams, the Flask app on threads serves the rest."""
    from app.notifications.stream_server import make_server

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="live-server",
                              daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert server.started, "the live server did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture(scope="session")
def live_url(app: Flask) -> Iterator[str]:
    """The base URL of the session's app on loopback."""
    with serving(app) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


class OffOrigin:
    """Requests a page made to anywhere but the app's origin (each is also refused)."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.urls: list[str] = []

    def watch(self, context) -> None:  # type: ignore[no-untyped-def]
        def route(route) -> None:  # type: ignore[no-untyped-def]
            url = route.request.url
            if _origin(url) == self.origin or url.startswith(("data:", "blob:")):
                route.continue_()
            else:
                self.urls.append(url)
                route.abort()

        context.route("**/*", route)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@contextmanager
def browser_context(browser, live_url: str, **options) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh browser profile on the live app; fails if any page in it reached off the origin."""
    off_origin = OffOrigin(_origin(live_url))
    context = browser.new_context(base_url=live_url, **{**CHINA, **options})
    context.set_default_timeout(20_000)  # a loaded 2-core CI machine runs two browsers at once
    off_origin.watch(context)
    try:
        yield context
    finally:
        context.close()
    assert off_origin.urls == [], f"requests left the origin: {off_origin.urls}"


@pytest.fixture
def desk_page(browser, live_url: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A desktop page (1366×768, zh-CN, China time) on the live app."""
    with browser_context(browser, live_url, viewport={"width": 1366, "height": 768}) as context:
        yield context.new_page()


@pytest.fixture
def phone_context(browser, live_url: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A phone (390×844, touch) in Yinchuan with location granted, on the live app."""
    with browser_context(browser, live_url, **PHONE, permissions=["geolocation"],
                         geolocation={"latitude": 38.4872, "longitude": 106.2309}) as context:
        yield context
