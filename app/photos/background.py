"""Cleaning and storing one uploaded photo on the photo threads (app.photos.threads) while the request goes on."""
from __future__ import annotations

import threading
from concurrent.futures import Future, wait
from typing import Any

from PIL import Image

from app.photos.exif import PhotoMetadata
from app.photos.pipeline import PhotoFacts, PhotoLimits, ProcessedPhoto, analyse_decoded, decode_photo, encode_jpeg
from app.photos.service import StoredPhoto
from app.photos.storage import PhotoStore, StoredFile
from app.photos.threads import PhotoWorkers

_Encoded = tuple[bytes, StoredFile]


class PhotoJob:
    """One upload being cleaned and stored on the photo threads.

    Once decoded (`decoded`: its EXIF facts), the photo splits in two tasks: the full-size JPEG is
    encoded and written on one thread while another makes the thumbnail and the perceptual hash
    (`phash`), then encodes and writes the thumbnail. Neither task waits for the other, so a pool of
    any size, shared by any number of requests, cannot deadlock on its own tasks. The job holds one
    of the workers' slots from before decoding until both tasks have ended.
    """

    def __init__(self, data: bytes, *, limits: PhotoLimits, store: PhotoStore, workers: PhotoWorkers) -> None:
        self._limits, self._store, self._workers = limits, store, workers
        self.decoded: Future[PhotoMetadata] = Future()
        self.phash: Future[str] = Future()
        self._image: Future[_Encoded] | None = None  # set by the first task once the photo is decoded
        self._tasks_open, self._tasks_lock = 1, threading.Lock()
        workers.take_slot()
        try:
            self._thumbnail: Future[tuple[bytes, StoredFile, PhotoFacts]] = workers.pool.submit(
                self._decode_then_thumbnail, data)
        except BaseException:
            workers.free_slot()
            raise
        self._thumbnail.add_done_callback(self._task_ended)

    def result(self) -> tuple[ProcessedPhoto, StoredPhoto]:
        """Wait for both files; the photo's error if it was refused or a write failed."""
        thumbnail, thumbnail_file, facts = self._thumbnail.result()
        assert self._image is not None  # the thumbnail task only succeeds after submitting it
        image, image_file = self._image.result()
        return facts.encoded(image=image, thumbnail=thumbnail), StoredPhoto(image=image_file, thumbnail=thumbnail_file)

    def cancel(self) -> None:
        """Drop the job if no thread has started it yet."""
        if self._thumbnail.cancel():
            self.decoded.cancel()
            self.phash.cancel()

    def settle(self) -> list[StoredFile]:
        """Drop what has not started, wait for what has, and return the files the job wrote: once
        this returns, nothing of this job can still write."""
        self.cancel()
        if self._thumbnail.cancelled():  # (never wait() on a cancelled task: it only counts as done
            return []                    #  once a worker thread has dequeued it)
        wait([self._thumbnail])  # after it, _image is final (None if the photo was never decoded)
        parts: list[Future[Any]] = [self._thumbnail]
        if self._image is not None and not self._image.cancel():
            wait([self._image])
            parts.append(self._image)
        return [part.result()[1] for part in parts if part.exception() is None]

    def _decode_then_thumbnail(self, data: bytes) -> tuple[bytes, StoredFile, PhotoFacts]:
        try:
            decoded = decode_photo(data, limits=self._limits)
        except BaseException as error:
            self.decoded.set_exception(error)
            self.phash.set_exception(error)
            raise
        self.decoded.set_result(decoded.metadata)
        try:
            self._start_image_task(decoded.image)
            analysed = analyse_decoded(decoded, limits=self._limits)
        except BaseException as error:
            self.phash.set_exception(error)
            raise
        self.phash.set_result(analysed.facts.phash)
        thumbnail, thumbnail_file = self._encode_and_store(analysed.thumbnail, self._limits.thumb_quality)
        return thumbnail, thumbnail_file, analysed.facts  # the facts only: no pixels outlive the task

    def _start_image_task(self, image: Image.Image) -> None:
        with self._tasks_lock:
            self._tasks_open += 1
        try:
            self._image = self._workers.pool.submit(self._encode_and_store, image, self._limits.quality)
        except BaseException:
            self._task_ended(None)
            raise
        self._image.add_done_callback(self._task_ended)

    def _encode_and_store(self, image: Image.Image, quality: int) -> _Encoded:
        encoded = encode_jpeg(image, quality=quality)
        return encoded, self._store.put(encoded)

    def _task_ended(self, _task: Future[Any] | None) -> None:
        with self._tasks_lock:
            self._tasks_open -= 1
            last = self._tasks_open == 0
        if last:
            self._workers.free_slot()
