"""Pure rules of push: notification kinds, subscription keys, retry backoff (endpoints: endpoints.py)."""
from __future__ import annotations

import base64
import binascii
import re

from cryptography.hazmat.primitives.asymmetric import ec

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TITLE_MAX, BODY_MAX = 120, 500
ENDPOINT_MAX = 1024
P256DH_BYTES, AUTH_BYTES = 65, 16
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
