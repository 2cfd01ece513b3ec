"""Server-Sent Events: what a stream sends and reads; the stream server (stream_server.py) holds them."""
from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask

from app.auth import service as auth_service
from app.common.db import read_only_request
from app.notifications import service
from app.notifications.schemas import NotificationSchema

BATCH = 200
RECONNECT_MS = 3000
# On PostgreSQL ids are taken before commit, so a lower id can become visible after a higher one:
# each read looks back over ids first seen this long ago and sends what it has not sent yet.
LATE_COMMIT_SECONDS = 30.0
# The stream server marks the requests it will hold itself; the view leaves its grant here.
HANDOFF_KEY = "gridsnap.stream_server"
GRANT_KEY = "gridsnap.stream_grant"
_dump = NotificationSchema().dump


@dataclass(frozen=True)
class StreamSettings:
    max_seconds: float
    poll_seconds: float
    heartbeat_seconds: float
    streams_per_user: int = 3
    max_streams: int = 5000
    db_threads: int = 4

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StreamSettings:
        """The SSE_* settings of an app's config."""
        return cls(max_seconds=float(config["SSE_MAX_SECONDS"]),
                   poll_seconds=max(0.01, float(config["SSE_POLL_SECONDS"])),
                   heartbeat_seconds=max(0.01, float(config["SSE_HEARTBEAT_SECONDS"])),
                   streams_per_user=max(1, int(config["SSE_STREAMS_PER_USER"])),
                   max_streams=max(1, int(config["SSE_MAX_STREAMS"])),
                   db_threads=max(1, int(config["SSE_DB_THREADS"])))


@dataclass(frozen=True)
class StreamGrant:
    """Who may hold a stream, and from which id: what the view checked for the stream server."""

    user_id: int
    session_id: str | None
    after: int


class Cursor:
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


def open_stream(*, grant: StreamGrant, environ: dict[str, Any]) -> str | None:
    """Hand the grant to the stream server that asked (None), or, with no stream server in front,
    the events there are now and an end: the client reconnects after RECONNECT_MS, holding no thread."""
    if environ.get(HANDOFF_KEY):
        environ[GRANT_KEY] = grant
        return None
    rows = service.notifications_after(user_id=grant.user_id, after=grant.after, limit=BATCH)
    return opening() + "".join(format_event(_dump(row)) for row in rows)


def opening() -> str:
    """The first bytes of every stream: the reconnect delay, and a comment so headers go out now."""
    return f"retry: {RECONNECT_MS}\n: connected\n\n"


def read_events(app: Flask, grant: StreamGrant, cursor: Cursor, *, check_login: bool) -> list[str] | None:
    """The events not yet sent, in one short read-only transaction on a stream-server thread;
    None if the login ended. The session is released after it."""
    token = read_only_request.set(True)  # a plain BEGIN on SQLite: readers never take the write lock
    try:
        with app.app_context():
            if check_login and not _login_still_valid(grant.user_id, grant.session_id):
                return None
            rows = service.notifications_after(user_id=grant.user_id, after=cursor.late_floor,
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
