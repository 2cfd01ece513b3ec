"""社情民意 with photos: cleaned and checked like a report's, signed links back, never a half record or
an orphan file, and a retried upload (same Idempotency-Key) stored once."""
from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.extensions import db
from app.suggestions.models import Suggestion, SuggestionPhoto
from tests.factories import auth_headers, make_community, make_user
from tests.images import jpeg_bytes, png_bomb_bytes, truncated_jpeg_bytes
from tests.support.uploads import stored_files

HOME = "640104001001"
IDEA = "福州街自行车道上的停车位占了车道，建议取消。"


@pytest.fixture
def rider(app):
    make_community(app, HOME)
    return auth_headers(app, make_user(app, Role.RIDER, area_code=HOME))


def suggest(client, headers, photos, key=None, **fields):
    form = {"content": IDEA, **fields, "photos": [(io.BytesIO(data), f"IMG_{n}.jpg") for n, data in enumerate(photos)]}
    return client.post("/api/v1/suggestions", data=form, content_type="multipart/form-data",
                       headers={**headers, **({"Idempotency-Key": key} if key else {})})



def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Suggestion)),
                db.session.scalar(select(func.count()).select_from(SuggestionPhoto)))


def test_a_suggestion_with_photos_answers_their_signed_links(app, client, rider):
    response = suggest(client, rider, [jpeg_bytes(800, 600, seed=1, gps=(38.48, 106.23)), jpeg_bytes(seed=2)],
                       lat="38.48", lon="106.23")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["content"] == IDEA and (body["lat"], body["lon"]) == (38.48, 106.23)
    assert [(p["width"], p["height"]) for p in body["photos"]] == [(800, 600), (64, 48)]  # in the rider's order
    photo = client.get(body["photos"][0]["url"])
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert b"Exif" not in photo.data[:200]  # the pipeline stripped the GPS
    assert client.get(body["photos"][0]["thumbnail_url"]).status_code == 200
    listed = client.get("/api/v1/suggestions", headers=rider).json["items"][0]
    assert len(listed["photos"]) == 2 and listed["photos"][0]["url"].startswith("/api/v1/photos/")
    assert counts(app) == (1, 2) and len(stored_files(app)) == 4


def test_json_without_photos_still_works_and_has_none(client, rider):
    response = client.post("/api/v1/suggestions", json={"content": IDEA}, headers=rider)
    assert response.status_code == 201 and response.json["photos"] == []


@pytest.mark.parametrize("bad, status, code", [
    ([truncated_jpeg_bytes()], 400, "corrupt_photo"),
    ([b"%PDF-1.4 not a photo at all"], 415, "unsupported_photo_type"),
    ([png_bomb_bytes(30000, 30000)], 413, "photo_too_many_pixels"),
    ([jpeg_bytes(seed=1), truncated_jpeg_bytes()], 400, "corrupt_photo"),
    ([jpeg_bytes(seed=n) for n in range(7)], 400, "too_many_photos"),
], ids=["cut", "not-an-image", "bomb", "good-then-bad", "seven"])
def test_a_bad_photo_is_refused_in_chinese_and_nothing_is_written(app, client, rider, bad, status, code):
    response = suggest(client, rider, bad)
    assert response.status_code == status
    error = response.json["error"]
    assert error["code"] == code and any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert counts(app) == (0, 0) and stored_files(app) == []


def test_a_photo_over_the_size_limit_is_413(app, client, rider, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 20_000)
    response = suggest(client, rider, [jpeg_bytes(400, 300, noise=0.3)])
    assert response.status_code == 413 and response.json["error"]["code"] == "photo_too_large"
    assert response.json["error"]["message"] == "照片文件太大。"
    assert counts(app) == (0, 0) and stored_files(app) == []


def test_a_retry_with_the_same_key_stores_one_suggestion_and_no_second_file(app, client, rider):
    first = suggest(client, rider, [jpeg_bytes(seed=1)], key="tap-suggest-0001")
    files = sorted(stored_files(app))
    # The phone sends the same entry again (its answer was lost): the first answer, nothing stored.
    again = suggest(client, rider, [jpeg_bytes(seed=1)], key="tap-suggest-0001")
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"]
    assert counts(app) == (1, 1) and sorted(stored_files(app)) == files
    # The same key with another photo is another request: 422, and still nothing stored.
    other = suggest(client, rider, [jpeg_bytes(seed=9)], key="tap-suggest-0001")
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert counts(app) == (1, 1) and sorted(stored_files(app)) == files


def test_concurrent_retries_store_one_suggestion(app, rider):
    barrier, answers = threading.Barrier(4), []

    def retry():
        barrier.wait(timeout=10)
        response = suggest(app.test_client(), rider, [jpeg_bytes(seed=3)], key="tap-suggest-race")
        answers.append((response.status_code, response.json.get("id")))

    threads = [threading.Thread(target=retry) for _ in range(4)]
    [thread.start() for thread in threads]
    [thread.join(timeout=60) for thread in threads]
    assert {status for status, _ in answers} == {201} and len({i for _, i in answers}) == 1
    assert counts(app) == (1, 1) and len(stored_files(app)) == 2


def test_a_crash_after_the_files_are_written_leaves_no_row_and_no_file(app, client, rider, monkeypatch):
    from app.suggestions import service

    real, crashed = service.commit_keeping_loaded, []

    def crash_on_the_write(session):
        if not session.new:  # the read before the photos: let it end
            return real(session)
        session.flush()  # the rows are written, the files are there
        crashed.append(len(stored_files(app)))
        raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr(service, "commit_keeping_loaded", crash_on_the_write)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = suggest(client, rider, [jpeg_bytes(seed=5)])
    assert response.status_code == 500 and crashed == [2]
    monkeypatch.undo()
    assert counts(app) == (0, 0) and stored_files(app) == []
