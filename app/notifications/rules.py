"""Pure rules of push: notification kinds, subscription endpoints and keys, retry backoff."""
from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TITLE_MAX, BODY_MAX = 120, 500
ENDPOINT_MAX = 1024
P256DH_BYTES, AUTH_BYTES = 65, 16
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
# Kinds that ask someone to act now: the push service may wake a sleeping phone for them.
HIGH_URGENCY_KINDS = frozenset({"assigned", "escalated", "dispatched", "deadline_missed", "reopened"})


def check_kind(kind: str) -> str:
    """The kind, if it is a short snake_case word; a bad kind is a programming error."""
    if not isinstance(kind, str) or not KIND_PATTERN.match(kind):
        raise ValueError(f"notification kind must match {KIND_PATTERN.pattern}: {kind!r}")
    return kind


def clip(text: str, limit: int) -> str:
    """Text cut to limit characters with an ellipsis: a long description must not fail an event."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def endpoint_problem(endpoint: str, *, allow_insecure_loopback: bool) -> str | None:
    """Why a push endpoint is unacceptable, or None: https to a public host (http to loopback in tests)."""
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname
        parts.port  # noqa: B018  (raises on a malformed port)
    except ValueError:
        return "不是有效的网址。"
    if not host or parts.username or parts.password:
        return "请使用浏览器提供的推送服务地址。"
    loopback = _is_loopback(host)
    if parts.scheme == "http" and allow_insecure_loopback and loopback:
        return None
    if parts.scheme != "https":
        return "推送地址必须是 https 网址。"
    # The deliverer POSTs to this URL: never let a subscription aim it at our own network.
    if loopback or _is_private_address(host):
        return "推送地址必须是公共推送服务。"
    return None


def decode_key(value: str, *, length: int) -> bytes | None:
    """The bytes of an unpadded base64url key of exactly length bytes, or None."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]+={0,2}", value):
        return None
    try:
        raw = base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def p256dh_problem(value: str) -> str | None:
    """Why a p256dh key is unacceptable, or None: a base64url uncompressed P-256 point."""
    raw = decode_key(value, length=P256DH_BYTES)
    if raw is None or raw[0] != 0x04:
        return "必须是65字节未压缩 P-256 公钥的 base64url 编码。"
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return "不是 P-256 曲线上的点。"
    return None


def auth_problem(value: str) -> str | None:
    """Why an auth secret is unacceptable, or None: base64url of 16 bytes."""
    return None if decode_key(value, length=AUTH_BYTES) else "必须是16字节的 base64url 编码。"


def retry_delay_seconds(*, attempts: int, base_seconds: float, max_seconds: float) -> float:
    """Exponential backoff after the attempts-th failure: base, 2×base, 4×base … capped."""
    return float(min(max_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_private_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.lower().endswith((".localhost", ".local", ".internal"))
    return not address.is_global
