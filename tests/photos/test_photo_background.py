"""Photo jobs on the photo threads: how many photos a process holds decoded at once."""
from __future__ import annotations

import threading
from pathlib import Path

from app.photos import background
from app.photos.background import PhotoJob
from app.photos.pipeline import PhotoLimits
from app.photos.storage import PhotoStore
from app.photos.threads import PhotoWorkers
from tests import images


def test_no_more_photos_are_decoded_at_once_than_there_are_threads(tmp_path: Path, monkeypatch) -> None:
    workers, store = PhotoWorkers(2), PhotoStore(tmp_path)
    decodes, decodes_lock, two_decoded = [], threading.Lock(), threading.Event()
    may_decode, may_encode = threading.Event(), threading.Event()
    real_decode, real_encode = background.decode_photo, background.encode_jpeg

    def counting_decode(data, **kwargs):
        # Held until both first jobs are queued: otherwise a fast first decode could queue its
        # image task ahead of the second job, and with encoding held the second would never start.
        assert may_decode.wait(timeout=10)
        with decodes_lock:
            decodes.append(data)
            if len(decodes) == 2:
                two_decoded.set()
        return real_decode(data, **kwargs)

    def encode_when_allowed(image, *, quality):
        assert may_encode.wait(timeout=10)
        return real_encode(image, quality=quality)

    monkeypatch.setattr(background, "decode_photo", counting_decode)
    monkeypatch.setattr(background, "encode_jpeg", encode_when_allowed)
    photos = [images.jpeg_bytes(64, 48, seed=seed) for seed in range(3)]
    jobs = [PhotoJob(data, limits=PhotoLimits(), store=store, workers=workers) for data in photos[:2]]
    may_decode.set()
    assert two_decoded.wait(timeout=10)

    starter = threading.Thread(target=lambda: jobs.append(
        PhotoJob(photos[2], limits=PhotoLimits(), store=store, workers=workers)), daemon=True)
    starter.start()
    starter.join(timeout=0.3)
    # Two photos are held decoded until their files are written: the third waits for a slot.
    assert starter.is_alive() and len(decodes) == 2 and len(jobs) == 2

    may_encode.set()
    starter.join(timeout=10)
    assert not starter.is_alive()
    results = [job.result() for job in jobs]
    assert len(decodes) == 3 and len({processed.phash for processed, _ in results}) == 3
    assert all(store.exists(files.image_key) and store.exists(files.thumbnail_key) for _, files in results)
    workers.pool.shutdown()


def test_a_job_cancelled_before_it_started_frees_its_slot(tmp_path: Path) -> None:
    workers, store = PhotoWorkers(1), PhotoStore(tmp_path)
    hold = threading.Event()
    blocker = workers.pool.submit(hold.wait, 10)  # the only thread is busy
    job = PhotoJob(images.jpeg_bytes(64, 48, seed=1), limits=PhotoLimits(), store=store, workers=workers)
    assert job.settle() == []  # cancelled unstarted: nothing written
    assert not blocker.done()  # and settling did not wait for the busy thread to reach the job
    # Its slot is free again: another job can take it without waiting.
    second = threading.Thread(target=lambda: PhotoJob(images.jpeg_bytes(64, 48, seed=2), limits=PhotoLimits(),
                                                      store=store, workers=workers), daemon=True)
    second.start()
    second.join(timeout=10)
    assert not second.is_alive()
    hold.set()
    blocker.result()
    workers.pool.shutdown()
