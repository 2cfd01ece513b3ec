"""Cleaning and storing one uploaded photo on a photo thread (app.photos.threads) while the request goes on."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from app.photos.pipeline import AnalysedPhoto, PhotoLimits, ProcessedPhoto, analyse_photo, encode_photo
from app.photos.service import StoredPhoto, store_processed
from app.photos.storage import PhotoStore


class PhotoJob:
    """One upload being cleaned and stored on a worker thread. Its analysis (enough to screen a
    report) is ready first; its stored files come after the JPEG encoding and the writes."""

    def __init__(self, data: bytes, *, limits: PhotoLimits, store: PhotoStore, pool: ThreadPoolExecutor) -> None:
        self.analysed: Future[AnalysedPhoto] = Future()
        self.stored: Future[tuple[ProcessedPhoto, StoredPhoto]] = pool.submit(self._run, data, limits, store)

    def _run(self, data: bytes, limits: PhotoLimits, store: PhotoStore) -> tuple[ProcessedPhoto, StoredPhoto]:
        try:
            analysed = analyse_photo(data, limits=limits)
        except BaseException as error:
            self.analysed.set_exception(error)
            raise
        self.analysed.set_result(analysed)
        processed = encode_photo(analysed, limits=limits)
        return processed, store_processed(store, processed)

    def cancel(self) -> bool:
        """Drop the job if no thread has started it yet; True if it will never run."""
        if not self.stored.cancel():
            return False
        self.analysed.cancel()
        return True
