"""Serving photos through signed links: the bytes, the headers, and every refusal."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.common import clock
from app.photos import service
from app.photos.pipeline import process_photo
from tests import images


@pytest.fixture
def stored(app: Flask):
    data = images.jpeg_bytes(800, 600, gps=(38.4872, 106.2309), orientation=6, seed=21)
    with app.app_context():
        processed, store = process_photo(data), service.photo_store()
        files = service.StoredPhoto(image=store.put(processed.image), thumbnail=store.put(processed.thumbnail))
        return processed, files


def _url(app: Flask, key: str, variant: str = "image") -> str:
    with app.test_request_context():
        return service.photo_url(key, variant=variant)


def test_a_signed_link_serves_the_clean_jpeg(app: Flask, client: FlaskClient, stored) -> None:
    processed, photo = stored

    response = client.get(_url(app, photo.image_key))

    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == processed.image
    assert images.exif_of(response.data) == {}
    assert b"Apple" not in response.data and b"iPhone" not in response.data
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_thumbnail_link_serves_the_thumbnail(app: Flask, client: FlaskClient, stored) -> None:
    processed, photo = stored

    response = client.get(_url(app, photo.thumbnail_key, "thumbnail"))

    assert response.status_code == 200 and response.data == processed.thumbnail
    assert images.exif_of(response.data) == {}


def test_cache_headers_are_private_and_end_with_the_link(app: Flask, client: FlaskClient, stored) -> None:
    _, photo = stored

    response = client.get(_url(app, photo.image_key))

    cache = response.cache_control
    assert cache.private and not cache.public
    ttl = app.config["PHOTO_URL_TTL_SECONDS"]
    assert ttl - 5 <= cache.max_age <= ttl + 300
    assert response.headers["ETag"].strip('"') == photo.image_key


def test_a_cached_copy_is_revalidated_without_resending(app: Flask, client: FlaskClient, stored) -> None:
    _, photo = stored
    url = _url(app, photo.image_key)
    etag = client.get(url).headers["ETag"]

    response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304 and response.data == b""


def test_a_tampered_link_is_403(app: Flask, client: FlaskClient, stored) -> None:
    _, photo = stored
    url = _url(app, photo.image_key)

    response = client.get(url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB"))

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "invalid_photo_link"


def test_a_link_to_another_file_cannot_be_made_by_editing_the_url(app: Flask, client: FlaskClient,
                                                                   stored) -> None:
    _, photo = stored
    image_token = _url(app, photo.image_key).rsplit("/", 1)[1]

    for path in (f"/api/v1/photos/{photo.thumbnail_key}", "/api/v1/photos/..%2F..%2Fconfig.py",
                 f"/api/v1/photos/{image_token}/../../config.py"):
        assert client.get(path).status_code in (403, 404)
        assert client.get(path).mimetype == "application/json"


def test_an_expired_link_is_403(app: Flask, client: FlaskClient, stored, monkeypatch) -> None:
    _, photo = stored
    url = _url(app, photo.image_key)
    later = clock.utcnow() + timedelta(seconds=app.config["PHOTO_URL_TTL_SECONDS"] + 301)
    monkeypatch.setattr(clock, "utcnow", lambda: later)

    response = client.get(url)

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "photo_link_expired"


def test_a_link_to_a_removed_file_is_404(app: Flask, client: FlaskClient, stored) -> None:
    _, photo = stored
    url = _url(app, photo.image_key)
    with app.app_context():
        service.photo_store().delete(photo.image_key)

    response = client.get(url)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "photo_not_found"


def test_the_route_is_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()

    operation = spec["paths"]["/api/v1/photos/{token}"]["get"]
    assert "image/jpeg" in operation["responses"]["200"]["content"]
    assert {"403", "404"} <= set(operation["responses"])
