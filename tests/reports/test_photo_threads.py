"""Photos cleaned on photo threads while the request goes on: side by side, and never left behind."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from app.photos import background
from app.photos.pipeline import PhotoLimits
from app.photos.storage import PhotoStore
from app.photos.threads import workers_with
from tests.images import truncated_jpeg_bytes
from tests.reports.conftest import count_reports, phone_photo
from tests.support.uploads import stored_files

pytestmark = pytest.mark.usefixtures("write_timing")


def test_a_reports_photos_are_cleaned_side_by_side(app, submit, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_THREADS", 3)
    both_at_once = threading.Barrier(3, timeout=10)  # breaks unless three photos decode together
    real_decode = background.decode_photo

    def analyse_together(data, **kwargs):
        both_at_once.wait()
        return real_decode(data, **kwargs)

    monkeypatch.setattr(background, "decode_photo", analyse_together)
    response = submit(photos=[(phone_photo(seed=i), f"IMG_{i}.jpg") for i in range(3)])
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["photos"]) == 3
    assert len(stored_files(app)) == 6  # each photo and its thumbnail


def test_a_photos_full_size_jpeg_is_encoded_while_its_thumbnail_is_made(app, submit, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_THREADS", 2)
    both_at_once = threading.Barrier(2, timeout=10)  # breaks unless the two halves run together
    real_analyse, real_encode = background.analyse_decoded, background.encode_jpeg
    full_size_quality = PhotoLimits().quality

    def analyse_together(decoded, **kwargs):
        both_at_once.wait()
        return real_analyse(decoded, **kwargs)

    def encode_together(image, *, quality):
        if quality == full_size_quality:
            both_at_once.wait()
        return real_encode(image, quality=quality)

    monkeypatch.setattr(background, "analyse_decoded", analyse_together)
    monkeypatch.setattr(background, "encode_jpeg", encode_together)
    response = submit()
    assert response.status_code == 201, response.get_json()
    assert len(stored_files(app)) == 2


def test_the_report_is_routed_before_its_thumbnail_exists(app, submit, monkeypatch):
    routing = _note_routing(monkeypatch)
    real_analyse = background.analyse_decoded

    def analyse_once_routing_began(decoded, **kwargs):
        if not routing.wait(timeout=10):
            raise AssertionError("the report waited for the thumbnail before it was routed")
        return real_analyse(decoded, **kwargs)

    monkeypatch.setattr(background, "analyse_decoded", analyse_once_routing_began)
    response = submit()
    assert response.status_code == 201, response.get_json()
    assert routing.is_set()


def test_one_photo_thread_serves_a_report_of_several_photos(app, submit, monkeypatch):
    # Each photo's two halves are separate tasks that never wait for each other: no deadlock.
    monkeypatch.setitem(app.config, "PHOTO_THREADS", 1)
    response = _within(30, lambda: submit(photos=[(phone_photo(seed=i), f"IMG_{i}.jpg") for i in range(3)]))
    assert response.status_code == 201, response.get_json()
    assert len(stored_files(app)) == 6


def test_a_thumbnail_failing_after_the_image_was_written_leaves_no_file(app, submit, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_THREADS", 2)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    image_written = threading.Event()
    real_put = PhotoStore.put

    def put_noting_it(self, data):
        stored = real_put(self, data)
        image_written.set()
        return stored

    def fail_once_the_image_is_written(_decoded, **_kwargs):
        assert image_written.wait(timeout=10)
        raise RuntimeError("the perceptual hash failed")

    monkeypatch.setattr(PhotoStore, "put", put_noting_it)
    monkeypatch.setattr(background, "analyse_decoded", fail_once_the_image_is_written)
    response = submit()
    assert response.status_code == 500
    assert image_written.is_set()
    assert count_reports(app) == 0 and stored_files(app) == []
    _wait_until_idle(threads=2)
    assert stored_files(app) == []


def test_a_bad_first_photo_leaves_none_of_the_good_ones_stored(app, submit, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_THREADS", 2)
    bad = truncated_jpeg_bytes()
    real_decode = background.decode_photo

    def good_ones_slowly(data, **kwargs):
        if data != bad:
            time.sleep(0.1)  # still at work when the bad photo has failed
        return real_decode(data, **kwargs)

    monkeypatch.setattr(background, "decode_photo", good_ones_slowly)
    photos = [(bad, "cut.jpg")] + [(phone_photo(seed=i), f"IMG_{i}.jpg") for i in range(5)]
    response = submit(photos=photos)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["photo_index"] == 0
    # The good photos were still being cleaned when the first failed: none of their files stays,
    # not even once every photo thread is idle again.
    assert count_reports(app) == 0 and stored_files(app) == []
    _wait_until_idle(threads=2)
    assert stored_files(app) == []


def test_a_store_failing_midway_leaves_no_report_and_no_file(app, submit, monkeypatch):
    real_put = PhotoStore.put
    calls = []
    calls_lock = threading.Lock()

    def put_until_the_disk_fills(self, data):
        with calls_lock:
            calls.append(len(data))
            full = len(calls) == 3  # two files are written by now, whichever they are
        if full:
            raise OSError(28, "No space left on device")
        return real_put(self, data)

    monkeypatch.setattr(PhotoStore, "put", put_until_the_disk_fills)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = submit(photos=[(phone_photo(seed=1), "a.jpg"), (phone_photo(seed=2), "b.jpg")])
    assert response.status_code == 500
    assert len(calls) >= 3
    assert count_reports(app) == 0 and stored_files(app) == []


def test_a_crash_after_the_files_are_written_removes_them(app, submit, monkeypatch):
    from app.reports import service

    def crash(*_args, **_kwargs):
        raise RuntimeError("the connection dropped before the claim")

    monkeypatch.setattr(service, "_claim_key", crash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = submit(headers={"Idempotency-Key": "crash-after-files-1"})
    assert response.status_code == 500
    assert count_reports(app) == 0 and stored_files(app) == []


def test_a_retry_is_answered_without_decoding_its_photos_again(app, submit, monkeypatch):
    photo = [(phone_photo(seed=7), "IMG_0007.jpg")]
    first = submit(photos=photo, headers={"Idempotency-Key": "retry-no-decode-1"})
    assert first.status_code == 201
    files = sorted(stored_files(app))

    def must_not_decode(*_args, **_kwargs):
        raise AssertionError("a retry decoded its photo again")

    monkeypatch.setattr(background, "decode_photo", must_not_decode)
    retry = submit(photos=photo, headers={"Idempotency-Key": "retry-no-decode-1"})
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert count_reports(app) == 1 and sorted(stored_files(app)) == files


def test_writing_while_decoding_routes_the_report_before_its_photo_is_decoded(app, submit, staff,
                                                                               write_timing, monkeypatch):
    decoded, decoded_when_routed = threading.Event(), []
    routed = _note_routing(monkeypatch, also=lambda: decoded_when_routed.append(decoded.is_set()))
    real_decode = background.decode_photo

    def decode_noting_it(data, **kwargs):
        routed.wait(timeout=10 if write_timing else 0.2)  # in vain when the transaction waits for it
        try:
            return real_decode(data, **kwargs)
        finally:
            decoded.set()

    monkeypatch.setattr(background, "decode_photo", decode_noting_it)
    response = submit()
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["assigned_to"]["id"] == staff["near"].id
    assert decoded_when_routed == [not write_timing]


def test_a_bad_photo_found_after_routing_leaves_no_trace(app, submit, staff, write_timing, monkeypatch):
    from app.extensions import db
    from app.notifications.models import Notification, PushDelivery
    from app.reports.models import ReportEvent

    monkeypatch.setitem(app.config, "PHOTO_THREADS", 2)
    routed = _note_routing(monkeypatch)
    bad = truncated_jpeg_bytes()
    real_decode = background.decode_photo

    def fail_late(data, **kwargs):
        if data == bad:
            routed.wait(timeout=10 if write_timing else 0.2)  # written while decoding: routed first
        return real_decode(data, **kwargs)

    monkeypatch.setattr(background, "decode_photo", fail_late)
    response = submit(photos=[(phone_photo(seed=40), "a.jpg"), (bad, "cut.jpg")])
    assert response.status_code == 400 and response.get_json()["error"]["details"]["photo_index"] == 1
    assert routed.is_set() is write_timing  # written while decoding, the report was routed, then rolled back
    with app.app_context():
        written = [db.session.query(model).count() for model in (ReportEvent, Notification, PushDelivery)]
    assert count_reports(app) == 0 and written == [0, 0, 0]
    _wait_until_idle(threads=2)
    assert stored_files(app) == []


@pytest.mark.parametrize("threads", [0, -1])
def test_the_pool_needs_at_least_one_thread(threads):
    with pytest.raises(ValueError):
        workers_with(threads)


def _note_routing(monkeypatch, *, also: Callable[[], None] = lambda: None) -> threading.Event:
    """An event set when the submission routes its report (after calling `also`)."""
    from app.reports import workflow

    routed, real_route = threading.Event(), workflow.route

    def route_noting_it(**kwargs):  # type: ignore[no-untyped-def]
        also()
        routed.set()
        return real_route(**kwargs)

    monkeypatch.setattr(workflow, "route", route_noting_it)
    return routed


def _wait_until_idle(*, threads: int) -> None:
    """Block until every job queued on the pool so far has finished: one task per thread that
    waits for all the others can only run once each thread is free."""
    everyone = threading.Barrier(threads, timeout=10)
    for task in [workers_with(threads).pool.submit(everyone.wait) for _ in range(threads)]:
        task.result()


def _within(seconds: float, action):  # type: ignore[no-untyped-def]
    """action()'s result; fails the test instead of hanging it if the action does not return in time."""
    outcome: list = []
    runner = threading.Thread(target=lambda: outcome.append(action()), daemon=True)
    runner.start()
    runner.join(seconds)
    if runner.is_alive() or not outcome:
        pytest.fail(f"did not finish within {seconds} s (deadlocked?)")
    return outcome[0]
