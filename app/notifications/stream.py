"""Server-Sent Events: a user's notifications as they are committed, read from the database."""
from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask

from app.auth import service as auth_service
from app.common.db import read_only_request
from app.notifications import service
from app.notifications.schemas import NotificationSchema

BATCH = 200
RECONNECT_MS = 3000
# On PostgreSQL ids are taken before commit, so a lower id can become visible after a higher one:
# each poll looks back over ids first seen this long ago and sends what it has not sent yet.
LATE_COMMIT_SECONDS = 30.0
_dump = NotificationSchema().dump


@dataclass(frozen=True)
class StreamSettings:
    max_seconds: float
    poll_seconds: float
    heartbeat_seconds: float


class _Cursor:
    """Which ids this connection has sent, and from which id a late commit could still appear."""

    def __init__(self, after: int) -> None:
        self.sent: set[int] = set()
        self.highest = after
        self._history: deque[tuple[float, int]] = deque([(time.monotonic(), after)])

    @property
    def late_floor(self) -> int:
        return self._history[0][1]

    def advance(self, ids: list[int]) -> None:
        now = time.monotonic()
        self.sent.update(ids)
        self.highest = max([self.highest, *ids])
        self._history.append((now, self.highest))
        while len(self._history) > 1 and self._history[1][0] <= now - LATE_COMMIT_SECONDS:
            self._history.popleft()
        self.sent = {i for i in self.sent if i > self.late_floor}


def event_stream(*, app: Flask, user_id: int, session_id: str | None, after: int,
                 settings: StreamSettings) -> Iterator[str]:
    """SSE lines for the user's notifications after `after`, until max_seconds or the login ends."""
    deadline = time.monotonic() + settings.max_seconds
    cursor = _Cursor(after)
    last_write = last_login_check = time.monotonic()
    yield f"retry: {RECONNECT_MS}\n: connected\n\n"  # headers and first bytes go out at once
    while time.monotonic() < deadline:
        check_login = time.monotonic() - last_login_check >= settings.heartbeat_seconds
        events = _poll(app, user_id, session_id, cursor, check_login=check_login)
        if events is None:
            return  # logged out or disabled since the stream began
        if check_login:
            last_login_check = time.monotonic()
        if events:
            yield "".join(events)
            last_write = time.monotonic()
        elif time.monotonic() - last_write >= settings.heartbeat_seconds:
            yield ": heartbeat\n\n"  # keeps proxies and phone radios from dropping an idle stream
            last_write = time.monotonic()
        time.sleep(max(0.0, min(settings.poll_seconds, deadline - time.monotonic())))


def _poll(app: Flask, user_id: int, session_id: str | None, cursor: _Cursor,
          *, check_login: bool) -> list[str] | None:
    """One short read-only transaction; None if the login ended. The session is released after it."""
    token = read_only_request.set(True)  # a plain BEGIN on SQLite: readers never take the write lock
    try:
        with app.app_context():
            if check_login and not _login_still_valid(user_id, session_id):
                return None
            rows = service.notifications_after(user_id=user_id, after=cursor.late_floor,
                                               limit=BATCH + len(cursor.sent))
            fresh = [row for row in rows if row.id not in cursor.sent]
            events = [format_event(_dump(row)) for row in fresh]
            cursor.advance([row.id for row in fresh])
    finally:
        read_only_request.reset(token)
    return events


def _login_still_valid(user_id: int, session_id: str | None) -> bool:
    return auth_service.active_user(user_id) is not None and auth_service.is_session_live(session_id)


def format_event(item: dict) -> str:
    """One SSE event: id lets the client resume, event is the kind, data the notification as JSON."""
    data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
    return f"id: {item['id']}\nevent: {item['kind']}\ndata: {data}\n\n"
