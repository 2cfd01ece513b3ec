"""The Web Push adapter: VAPID keys and one send to one subscription, with its outcome classified."""
from __future__ import annotations

import base64
import socket
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from app.notifications.endpoints import AllowList, RefusedAddress, endpoint_problem, public_addresses

# Status codes after which the same message may succeed later (RFC 8030 and push services' docs).
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
GONE_STATUSES = frozenset({404, 410})


class Outcome(StrEnum):
    DELIVERED = "delivered"  # the push service accepted it
    GONE = "gone"  # the subscription no longer exists: forget it
    RETRY = "retry"  # network error, 5xx, 429: try again later
    REJECTED = "rejected"  # the push service will never take this message


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    status: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class PushTarget:
    """What a sender needs of a subscription: where and how to encrypt."""

    endpoint: str
    p256dh: str
    auth: str


class PushSender(Protocol):
    def send(self, *, target: PushTarget, payload: bytes, urgency: str) -> PushResult: ...


class WebPushSender:
    """Sends with pywebpush (aes128gcm, VAPID-signed); one instance per deliverer thread. Only to
    endpoints the allow-list admits, and only over connections to the addresses it permits."""

    def __init__(self, *, private_key: str, subject: str, ttl_seconds: int, timeout_seconds: float,
                 allowed: AllowList) -> None:
        self._vapid = load_vapid(private_key)
        self._subject = subject
        self._ttl = ttl_seconds
        self._timeout = timeout_seconds
        self._allowed = allowed
        self._session = guarded_session(allowed)

    def send(self, *, target: PushTarget, payload: bytes, urgency: str) -> PushResult:
        """POST one encrypted message; never raises for what the push service or network does."""
        refused = self._refusal(target.endpoint)
        if refused:  # e.g. a subscription stored before the allow-list, or a name that now rebinds
            return PushResult(Outcome.REJECTED, None, f"refused endpoint: {refused}")
        subscription = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
        try:
            response = webpush(
                subscription, data=payload, vapid_private_key=self._vapid,
                vapid_claims={"sub": self._subject},  # a fresh dict: webpush writes aud/exp into it
                ttl=self._ttl, timeout=self._timeout, headers={"Urgency": urgency},
                requests_session=self._session,
            )
        except WebPushException as exc:
            return classify(getattr(exc.response, "status_code", None), str(exc))
        except requests.RequestException as exc:
            return PushResult(Outcome.RETRY, None, f"network: {type(exc).__name__}")
        except (ValueError, TypeError) as exc:  # keys that cannot encrypt: retrying will not help
            return PushResult(Outcome.REJECTED, None, f"encryption: {exc}")
        return PushResult(Outcome.DELIVERED, response.status_code)


    def _refusal(self, endpoint: str) -> str | None:
        return endpoint_problem(endpoint, allowed=self._allowed, resolve=True)


def guarded_session(allowed: AllowList) -> requests.Session:
    """A requests session whose every new connection resolves its host itself and connects only to
    a public address (or to an origin the allow-list trusts): what is checked is what is used."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the address checked is the one reached
    adapter = _GuardedAdapter(allowed)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, allowed: AllowList) -> None:
        self._allowed = allowed
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http = type("GuardedHTTPConnection", (_GuardedConnection, HTTPConnection), {"allowed": self._allowed})
        https = type("GuardedHTTPSConnection", (_GuardedConnection, HTTPSConnection), {"allowed": self._allowed})
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https}),
        }


class _GuardedConnection(HTTPConnection):
    allowed: AllowList = AllowList()

    def _new_conn(self) -> socket.socket:
        scheme = "https" if isinstance(self, HTTPSConnection) else "http"
        if not self.allowed.trusts(scheme, self.host, self.port):
            try:
                addresses = public_addresses(self.host, self.port)
            except RefusedAddress as exc:
                raise NewConnectionError(self, f"refused address: {exc}") from None
            if not addresses:
                raise NewConnectionError(self, f"{self.host} does not resolve")
            self._dns_host = addresses[0]  # connect to the address just checked, not a new lookup
        return super()._new_conn()


def classify(status: int | None, detail: str = "") -> PushResult:
    """The outcome a push service's answer means for this delivery."""
    if status in GONE_STATUSES:
        return PushResult(Outcome.GONE, status, detail)
    if status in RETRYABLE_STATUSES:
        return PushResult(Outcome.RETRY, status, detail)
    return PushResult(Outcome.REJECTED, status, detail)


def load_vapid(private_key: str) -> Vapid:
    """The VAPID signer from a base64url raw key (what `vapid-keys` prints), DER or PEM."""
    key = private_key.strip()
    if key.startswith("-----BEGIN"):
        return Vapid.from_pem(key.encode())
    return Vapid.from_string(key)


def application_server_key(private_key: str) -> str:
    """The public key browsers need to subscribe (base64url of the uncompressed point)."""
    return _b64url(load_vapid(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def generate_vapid_keys() -> tuple[str, str]:
    """A fresh (private, public) VAPID pair as base64url strings, for the environment."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return _b64url(private), _b64url(public)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_key_for(*, private_key: str, public_key: str) -> str | None:
    """The configured public key, else the one derived from the private key, else None (push is off)."""
    if public_key:
        return public_key.strip()
    return application_server_key(private_key) if private_key else None
