"""A Server-Sent Events client on a real loopback socket: a thread reads events as they arrive."""
from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

STREAM = "/api/v1/notifications/stream"


class SseClient:
    """One open stream; `events` (id, event, data) and `comments` fill in as the server writes."""

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None,
                 query: dict[str, str] | None = None, timeout: float = 30) -> None:
        parts = urlsplit(base_url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        path = STREAM + (f"?{urlencode(query)}" if query else "")
        self.conn.request("GET", path, headers=headers or {})
        self.sock = self.conn.sock  # http.client may forget it; close() must reach a blocked reader
        self.response = self.conn.getresponse()
        self.status = self.response.status
        self.events: list[dict] = []
        self.comments: list[str] = []
        self.raw = ""
        self.ended = threading.Event()  # the server ended the response (or the socket failed)
        self.changed = threading.Condition()
        if self.status == 200:
            self._thread = threading.Thread(target=self._read, daemon=True, name="sse-client")
            self._thread.start()
        else:
            self.body = self.response.read()
            self.ended.set()

    @property
    def ids(self) -> list[int]:
        return [event["id"] for event in self.events]

    def json(self) -> dict:
        return json.loads(self.body)

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            while line := self.response.readline().decode():
                self.raw += line
                self._take(line.rstrip("\n"), fields)
        except (OSError, http.client.HTTPException, ValueError):
            pass  # closed by close(), or the server dropped us
        finally:
            self.ended.set()
            with self.changed:
                self.changed.notify_all()

    def _take(self, line: str, fields: dict[str, str]) -> None:
        if line.startswith(":"):
            with self.changed:
                self.comments.append(line[1:].strip())
                self.changed.notify_all()
        elif line:
            name, _, value = line.partition(": ")
            fields[name] = value
        elif "data" in fields:
            event = {"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])}
            fields.clear()
            with self.changed:
                self.events.append(event)
                self.changed.notify_all()
        else:
            fields.clear()

    def wait_for(self, predicate: Callable[[SseClient], bool], timeout: float = 10) -> bool:
        """Wait until predicate(self) holds (True) or timeout passes (False)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0 or (self.ended.is_set() and not predicate(self)):
                    return predicate(self)
                self.changed.wait(min(left, 0.1))
        return True

    def close(self) -> None:
        """Hang up, as a phone that leaves does."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.ended.wait(5)  # the reader sees the end first: closing under it races http.client
        self.conn.close()
        self.response.close()
