"""The photo service other domains call: limits and store from config, storing, undoing, URLs."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from app.photos import service
from app.photos.pipeline import process_photo
from app.photos.signing import verify_photo_token
from app.photos.storage import PhotoStore
from tests import images


def test_limits_and_store_come_from_the_config(app_ctx: Flask) -> None:
    limits = service.photo_limits()

    assert limits.max_bytes == app_ctx.config["MAX_PHOTO_BYTES"]
    assert limits.max_pixels == app_ctx.config["MAX_PHOTO_PIXELS"]
    assert service.photo_store().root == Path(app_ctx.config["UPLOAD_DIR"])


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "uploads")


def test_store_processed_writes_image_and_thumbnail_once(store: PhotoStore) -> None:
    processed = process_photo(images.jpeg_bytes(640, 480, seed=11))

    first = service.store_processed(store, processed)
    again = service.store_processed(store, processed)

    assert first.image_key == f"{processed.sha256}.jpg"
    assert store.read(first.image_key) == processed.image
    assert store.read(first.thumbnail_key) == processed.thumbnail
    assert first.created_keys == [first.image_key, first.thumbnail_key]
    assert again.created_keys == []
    assert sorted(store.iter_keys()) == sorted([first.image_key, first.thumbnail_key])


def test_discard_stored_removes_what_a_failed_request_created(store: PhotoStore) -> None:
    kept = service.store_processed(store, process_photo(images.jpeg_bytes(64, 48, seed=1)))
    failed = [
        service.store_processed(store, process_photo(images.jpeg_bytes(64, 48, seed=2))),
        service.store_processed(store, process_photo(images.jpeg_bytes(64, 48, seed=1))),  # = kept
    ]

    service.discard_stored(store, failed)

    assert sorted(store.iter_keys()) == sorted([kept.image_key, kept.thumbnail_key])


def test_store_processed_undoes_the_image_if_the_thumbnail_cannot_be_written(store: PhotoStore,
                                                                             monkeypatch) -> None:
    processed = process_photo(images.jpeg_bytes(64, 48, seed=3))
    real_put = store.put

    def put_failing_for_the_thumbnail(data: bytes):
        if data == processed.thumbnail:
            raise OSError("disk full")
        return real_put(data)

    monkeypatch.setattr(store, "put", put_failing_for_the_thumbnail)

    with pytest.raises(OSError):
        service.store_processed(store, processed)

    assert list(store.iter_keys()) == []


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
