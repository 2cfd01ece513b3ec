"""Signed photo links: what they grant, and how forged, altered and expired ones are refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.common import clock
from app.errors import Forbidden
from app.photos.errors import InvalidPhotoLink, PhotoLinkExpired
from app.photos.signing import EXPIRY_STEP_SECONDS, sign_photo_key, verify_photo_token

SECRET = "a-secret-long-enough-for-the-tests-000"
KEY = "0123456789abcdef" * 4 + ".jpg"
NOW = datetime(2026, 5, 1, 12, 0, 7, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    moments = [NOW]
    monkeypatch.setattr(clock, "utcnow", lambda: moments[-1])
    return moments


def test_a_fresh_token_grants_its_key_and_variant() -> None:
    token = sign_photo_key(KEY, secret=SECRET, expires_in=3600, variant="thumbnail")

    link = verify_photo_token(token, secret=SECRET, max_age=3600)

    assert (link.key, link.variant) == (KEY, "thumbnail")
    assert NOW + timedelta(seconds=3600) <= link.expires_at <= NOW + timedelta(seconds=3600 + EXPIRY_STEP_SECONDS)


def test_tokens_minted_within_one_step_are_identical_so_clients_can_cache() -> None:
    first = sign_photo_key(KEY, secret=SECRET, expires_in=3600)

    assert sign_photo_key(KEY, secret=SECRET, expires_in=3600) == first


def test_a_token_expires(frozen_clock) -> None:
    token = sign_photo_key(KEY, secret=SECRET, expires_in=60)
    frozen_clock.append(NOW + timedelta(seconds=60 + EXPIRY_STEP_SECONDS))

    with pytest.raises(PhotoLinkExpired) as refused:
        verify_photo_token(token, secret=SECRET)

    assert isinstance(refused.value, Forbidden)
    assert refused.value.status == 403 and refused.value.code == "photo_link_expired"


def test_a_token_still_works_just_before_its_expiry(frozen_clock) -> None:
    token = sign_photo_key(KEY, secret=SECRET, expires_in=60)
    frozen_clock.append(NOW + timedelta(seconds=59))

    assert verify_photo_token(token, secret=SECRET).key == KEY


def _flip_one_character(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1:]


@pytest.mark.parametrize("tamper", [
    lambda token: _flip_one_character(token, 5),  # in the payload
    lambda token: _flip_one_character(token, len(token) - 3),  # in the signature
    lambda token: token + "x",
    lambda token: token.split(".")[0],
    lambda token: "",
    lambda token: "not-a-token-at-all",
])
def test_an_altered_token_is_refused(tamper) -> None:
    token = sign_photo_key(KEY, secret=SECRET, expires_in=3600)

    with pytest.raises(InvalidPhotoLink) as refused:
        verify_photo_token(tamper(token), secret=SECRET)

    assert refused.value.status == 403 and refused.value.code == "invalid_photo_link"


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = sign_photo_key(KEY, secret="someone-elses-secret-000000000000", expires_in=3600)

    with pytest.raises(InvalidPhotoLink):
        verify_photo_token(token, secret=SECRET)


def test_links_minted_for_longer_than_the_allowed_age_are_refused() -> None:
    token = sign_photo_key(KEY, secret=SECRET, expires_in=30 * 24 * 3600)

    with pytest.raises(InvalidPhotoLink):
        verify_photo_token(token, secret=SECRET, max_age=3600)


def test_a_validly_signed_payload_naming_a_path_is_still_refused() -> None:
    from app.photos.signing import _serializer

    forged = _serializer(SECRET).dumps(["../../etc/passwd", "image", int(NOW.timestamp()) + 600])

    with pytest.raises(InvalidPhotoLink):
        verify_photo_token(forged, secret=SECRET)


@pytest.mark.parametrize("key, variant", [("../x.jpg", "image"), (KEY, "original")])
def test_only_well_formed_keys_and_variants_are_signed(key: str, variant: str) -> None:
    with pytest.raises(ValueError):
        sign_photo_key(key, secret=SECRET, expires_in=60, variant=variant)
