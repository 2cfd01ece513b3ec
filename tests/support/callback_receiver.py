"""An integration's callback endpoint on loopback: checks each POST's HMAC-SHA256 signature, keeps
the events it accepted once per event id, and answers with scripted statuses."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import LoopbackServer


@dataclass
class Delivery:
    event_id: str
    body: bytes
    signature_ok: bool
    status: int


class CallbackReceiver(LoopbackServer):
    """http.server on 127.0.0.1:0 in a thread. Bad signatures get 401; scripted statuses come next;
    then 200. `events` holds each accepted event once (a receiver de-duplicates by event id)."""

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.deliveries: list[Delivery] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.script: deque[int] = deque()
        self._lock = threading.Lock()
        super().__init__()

    @property
    def url(self) -> str:
        return f"{self.origin}/gridsnap/callback"

    def _receive(self, headers: Any, body: bytes) -> int:
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(expected, headers.get("X-GridSnap-Signature", ""))
        event_id = headers.get("X-GridSnap-Event-Id", "")
        with self._lock:
            status = 401 if not signature_ok else (self.script.popleft() if self.script else 200)
            self.deliveries.append(Delivery(event_id, body, signature_ok, status))
            if status == 200:
                self.events.setdefault(event_id, json.loads(body))
        return status

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = receiver._receive(self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        return Handler
