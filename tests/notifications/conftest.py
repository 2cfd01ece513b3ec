"""Fixtures for push: users, a stored report to point at, notifications, a loopback push service."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask

from app.auth.models import Role
from app.common import clock
from app.extensions import db
from app.notifications import service
from app.notifications.push import generate_vapid_keys
from app.reports.models import Report
from tests.factories import make_user
from tests.support.browser import serving
from tests.support.push_server import PushServer, Subscriber


@pytest.fixture
def worker(app):
    return make_user(app, Role.GRID_WORKER, name="王网格")


@pytest.fixture
def rider(app):
    return make_user(app, Role.RIDER, name="张骑手")


@pytest.fixture
def report_id(app, rider) -> int:
    """A stored report, so notifications can point at it (reports.id is a foreign key)."""
    with app.app_context():
        report = Report(reporter_id=rider.id, category_code="garbage", lat=38.48, lon=106.23)
        db.session.add(report)
        db.session.commit()
        return report.id


@pytest.fixture
def notify(app) -> Callable[..., list[int]]:
    """Commit notifications for a user through the service, as a caller's transaction would; their ids."""

    def _notify(user_id: int, count: int = 1, **fields: Any) -> list[int]:
        with app.app_context():
            ids = []
            for n in range(count):
                values = {"kind": "status_changed", "title": f"第{n + 1}条", "body": "你的上报有进展",
                          **fields}
                ids.append(service.notify(user_id=user_id, **values).id)
            db.session.commit()
            return ids

    return _notify


# Public push services' names resolve to public addresses without asking a DNS server (no traffic
# leaves loopback in tests); every other name goes to the system resolver (/etc/hosts: localhost).
PUBLIC_PUSH_ADDRESSES = {"fcm.googleapis.com": ["142.250.72.10"],
                         "updates.push.services.mozilla.com": ["34.117.0.1"],
                         "web.push.apple.com": ["17.188.0.1"], "push.example.net": ["93.184.216.34"]}


@pytest.fixture(autouse=True)
def public_push_names(monkeypatch) -> None:
    from app.notifications import endpoints

    system = endpoints.resolve_host
    monkeypatch.setattr(endpoints, "resolve_host", lambda host, port: PUBLIC_PUSH_ADDRESSES.get(host)
                        or system(host, port))


@pytest.fixture
def push_config(app, monkeypatch, push_server) -> dict[str, str]:
    """A VAPID key pair, and the loopback push service named in the allow-list, for this test only."""
    private_key, public_key = generate_vapid_keys()
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", private_key)
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", public_key)
    monkeypatch.setitem(app.config, "VAPID_SUBJECT", "mailto:ops@gridsnap.example")
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS",
                        f"{app.config['PUSH_ALLOWED_HOSTS']},{push_server.origin}")
    return {"private_key": private_key, "public_key": public_key}


@pytest.fixture
def push_server() -> Iterator[PushServer]:
    with PushServer() as server:
        yield server


@pytest.fixture
def subscribe(client, push_config) -> Callable[..., Any]:
    """Register a subscriber's subscription through the API as the app would."""

    def _subscribe(headers: dict[str, str], subscriber: Subscriber) -> Any:
        response = client.post("/api/v1/push-subscriptions", json=subscriber.subscription_json(),
                               headers=headers)
        assert response.status_code in (200, 201), response.get_json()
        return response

    return _subscribe


def in_app(app: Flask, fn: Callable[[], Any]) -> Any:
    """Run fn in a fresh app context (its own session), as a separate request or worker would."""
    with app.app_context():
        try:
            return fn()
        finally:
            db.session.remove()


@pytest.fixture
def live_streams(app, monkeypatch) -> Callable[..., Any]:
    """Serve the app the production way on loopback (stream server + Flask), with these SSE settings:
    `with live_streams(SSE_HEARTBEAT_SECONDS=1) as url: ...`. Wake-ups, not heartbeats, deliver news
    unless a test says otherwise (a long heartbeat, a quick poller)."""

    @contextmanager
    def _start(**settings: Any) -> Iterator[str]:
        defaults = {"SSE_HEARTBEAT_SECONDS": 60, "SSE_POLL_SECONDS": 0.05, "SSE_MAX_SECONDS": 60}
        for name, value in {**defaults, **settings}.items():
            monkeypatch.setitem(app.config, name, value)
        with serving(app) as url:
            yield url

    return _start
# --- SMS and WeChat ----------------------------------------------------------------------------

# 10:00 in China: outside the default quiet hours (22:00-07:00).
MORNING = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def now(monkeypatch):
    """A movable clock starting at MORNING; now.move(seconds) moves it on."""

    class Clock:
        at = MORNING

        def move(self, seconds: float) -> None:
            self.at = self.at + timedelta(seconds=seconds)

    fake = Clock()
    monkeypatch.setattr(clock, "utcnow", lambda: fake.at)
    return fake


@pytest.fixture
def sms_worker(app):
    return make_user(app, Role.GRID_WORKER, name="王网格", phone="13912345678")


@pytest.fixture
def assign(app, rider, now):
    """A report assigned to the worker and its `assigned` notification, as the router writes them."""

    def _assign(worker, *, category: str = "garbage", address: str = "金凤区正源街12号") -> int:
        from app.notifications import service

        with app.app_context():
            report = Report(reporter_id=rider.id, category_code=category, lat=38.48, lon=106.23,
                            status="assigned", assigned_to_id=worker.id, assigned_at=now.at,
                            distance_m=123.4, address=address)
            db.session.add(report)
            db.session.flush()
            note = service.notify(user_id=worker.id, kind="assigned", report_id=report.id,
                                  title="新的垃圾乱堆待处理", body=address)
            db.session.commit()
            return note.id

    return _assign


