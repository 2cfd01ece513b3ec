"""Password hashing with argon2id; cost set once at start-up from config."""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# A real hash to verify against when the phone is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def configure_hashing(*, time_cost: int, memory_kib: int) -> None:
    """Set the argon2 cost (tests use a cheap one)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if password matches; burns the same time when there is no hash to check."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
