"""The photo service other domains call: limits and store from config, signed URLs."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app.photos import service
from app.photos.signing import verify_photo_token


def test_limits_and_store_come_from_the_config(app_ctx: Flask) -> None:
    limits = service.photo_limits()

    assert limits.max_bytes == app_ctx.config["MAX_PHOTO_BYTES"]
    assert limits.max_pixels == app_ctx.config["MAX_PHOTO_PIXELS"]
    assert service.photo_store().root == Path(app_ctx.config["UPLOAD_DIR"])


@pytest.mark.parametrize("variant", ["image", "thumbnail"])
def test_photo_url_is_a_signed_link_to_the_serving_route(app: Flask, variant: str) -> None:
    key = "ab" * 32 + ".jpg"
    with app.test_request_context():
        url = service.photo_url(key, variant=variant)
        external = service.photo_url(key, variant=variant, external=True)

    assert url.startswith("/api/v1/photos/")
    assert external.startswith("http://localhost/api/v1/photos/")
    link = verify_photo_token(url.rsplit("/", 1)[1], secret=app.config["SECRET_KEY"])
    assert (link.key, link.variant) == (key, variant)


def test_photo_url_outside_a_request_is_root_relative(app_ctx: Flask) -> None:
    url = service.photo_url("cd" * 32 + ".jpg")

    assert url.startswith("/api/v1/photos/")
    assert verify_photo_token(url.rsplit("/", 1)[1], secret=app_ctx.config["SECRET_KEY"]).key == "cd" * 32 + ".jpg"
