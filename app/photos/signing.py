"""Expiring signed tokens naming one stored file (a photo, a leaflet): the only way one is ever served."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache

from itsdangerous import BadSignature, URLSafeSerializer

from app.common import clock
from app.photos.errors import InvalidPhotoLink, PhotoLinkExpired
from app.photos.storage import KEY_PATTERN

VARIANTS = ("image", "thumbnail", "document")  # document: a PDF leaflet
# Expiry is rounded up to this step, so the same photo gets the same URL for a while and
# phones can cache it instead of downloading it again with every refresh of a report.
EXPIRY_STEP_SECONDS = 300
_SALT = "gridsnap.photo-link.v1"


@dataclass(frozen=True)
class PhotoLink:
    """What a valid token grants: one file (key), which variant it is, until when."""

    key: str
    variant: str
    expires_at: datetime

    def seconds_left(self) -> int:
        return max(0, math.floor((self.expires_at - clock.utcnow()).total_seconds()))


def sign_photo_key(key: str, *, secret: str, expires_in: int, variant: str = "image") -> str:
    """A URL-safe token for `key` valid for at least `expires_in` seconds (at most one step more)."""
    if not KEY_PATTERN.match(key) or variant not in VARIANTS:
        raise ValueError(f"cannot sign {key!r} as {variant!r}")
    return _token(secret, key, variant, link_expiry(expires_in))


@lru_cache(maxsize=8192)
def _token(secret: str, key: str, variant: str, expires: int) -> str:
    # The same file, variant and expiry give the same token: lists re-sign each link once a step.
    return _serializer(secret).dumps([key, variant, expires])


def link_expiry(expires_in: int) -> int:
    """The expiry (epoch seconds) links signed now carry: the same for every link for a while."""
    deadline = clock.utcnow().timestamp() + expires_in
    return math.ceil(deadline / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS


def verify_photo_token(token: str, *, secret: str, max_age: int | None = None) -> PhotoLink:
    """The link a token grants; InvalidPhotoLink if forged, altered or longer-lived than `max_age`
    allows (links minted before the TTL was shortened), PhotoLinkExpired once past its expiry."""
    try:
        key, variant, expires = _serializer(secret).loads(token)
    except (BadSignature, ValueError, TypeError) as error:
        raise InvalidPhotoLink() from error
    if not (isinstance(key, str) and KEY_PATTERN.match(key) and variant in VARIANTS
            and isinstance(expires, int)):
        raise InvalidPhotoLink()
    now = clock.utcnow().timestamp()
    if now >= expires:
        raise PhotoLinkExpired()
    if max_age is not None and expires - now > max_age + EXPIRY_STEP_SECONDS:
        raise InvalidPhotoLink()
    return PhotoLink(key=key, variant=variant, expires_at=datetime.fromtimestamp(expires, timezone.utc))


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)
