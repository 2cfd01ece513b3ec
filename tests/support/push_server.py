"""A Web Push service on loopback: records what it receives, answers as told, decrypts like a browser."""
from __future__ import annotations

import base64
import json
import os
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from tests.support.loopback import LoopbackServer


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Subscriber:
    """A browser's side of a subscription: its ECDH key pair and auth secret, made fresh."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def subscription_json(self) -> dict[str, Any]:
        """What PushSubscription.toJSON() gives in a browser."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def decrypt(self, received: Received) -> dict[str, Any]:
        """The JSON payload, decrypted as the browser would (RFC 8291, aes128gcm)."""
        assert received.headers.get("content-encoding") == "aes128gcm"
        plain = http_ece.decrypt(received.body, private_key=self.private_key,
                                 auth_secret=self.auth_secret, version="aes128gcm")
        return json.loads(plain)


class PushServer(LoopbackServer):
    """http.server on 127.0.0.1:0 in a thread; per-path scripted statuses, 201 when none is left."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.connections = 0  # TCP connections accepted, whether or not a request followed
        self._scripts: dict[str, deque[int]] = {}
        self._lock = threading.Lock()
        super().__init__()

    def subscriber(self, name: str) -> Subscriber:
        """A new browser subscribed at /push/<name> on this server."""
        return Subscriber(endpoint=f"{self.origin}/push/{name}")

    def answer(self, subscriber: Subscriber, *statuses: int) -> None:
        """The next requests to this subscriber's endpoint get these statuses, in order."""
        path = "/" + subscriber.endpoint.split("/", 3)[3]
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(statuses)

    def requests_to(self, subscriber: Subscriber) -> list[Received]:
        path = "/" + subscriber.endpoint.split("/", 3)[3]
        with self._lock:
            return [r for r in self.received if r.path == path]

    def _next_status(self, path: str) -> int:
        with self._lock:
            script = self._scripts.get(path)
            return script.popleft() if script else 201

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                with server._lock:
                    server.connections += 1
                super().setup()

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = server._next_status(self.path)
                headers = {k.lower(): v for k, v in self.headers.items()}
                server._record(Received(self.path, headers, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


def verified_vapid(authorization: str) -> tuple[str, dict[str, Any]]:
    """(signer's public key, JWT claims) of a `vapid t=…,k=…` header whose signature verifies."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    assert Vapid02.verify(authorization), "VAPID signature does not verify"
    parts = dict(part.split("=", 1) for part in params.split(","))
    claims_b64 = parts["t"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims_b64 + "=" * (-len(claims_b64) % 4)))
    return parts["k"], claims
