"""Turning a request's uploads into stored photos (on photo threads), undone unless its report commits."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.errors import AppError, ValidationFailed
from app.photos.background import PhotoJob
from app.photos.pipeline import AnalysedPhoto, PhotoLimits, ProcessedPhoto
from app.photos.service import StoredPhoto, discard_stored
from app.photos.storage import PhotoStore
from app.reports.models import ReportPhoto


@dataclass(frozen=True)
class IntakePhoto:
    """A cleaned photo and its stored files."""

    processed: ProcessedPhoto
    files: StoredPhoto


def photo_row(report_id: int, photo: IntakePhoto, *, kind: str) -> ReportPhoto:
    """The report_photos row of a stored photo."""
    p = photo.processed
    return ReportPhoto(report_id=report_id, kind=kind, image_key=photo.files.image_key,
                       thumbnail_key=photo.files.thumbnail_key, phash=p.phash, width=p.width,
                       height=p.height, exif_lat=p.exif_lat, exif_lon=p.exif_lon,
                       captured_at=p.captured_at)


def check_photo_count(photos: Sequence[bytes], *, maximum: int) -> None:
    """Between one and `maximum` photos."""
    if not photos:
        raise ValidationFailed("Attach at least one photo.", code="photo_required",
                               details={"fields": {"photos": ["Attach at least one photo."]}})
    if len(photos) > maximum:
        raise ValidationFailed(f"Attach at most {maximum} photos.", code="too_many_photos",
                               details={"fields": {"photos": [f"Attach at most {maximum} photos."]}})


class PhotoIntake:
    """A request's uploads, cleaned and stored on photo threads while the request goes on."""

    def __init__(self, photos: Sequence[bytes], *, limits: PhotoLimits, store: PhotoStore,
                 pool: ThreadPoolExecutor) -> None:
        self.store = store
        self.kept = False
        self._jobs = [PhotoJob(data, limits=limits, store=store, pool=pool) for data in photos]

    def analysed(self) -> list[AnalysedPhoto]:
        """Every photo's analysis, in upload order, once decoded; the first bad photo's error."""
        return [_outcome(index, job.analysed) for index, job in enumerate(self._jobs)]

    def stored(self) -> list[IntakePhoto]:
        """Every photo cleaned and written, in upload order; the first bad photo's error."""
        return [IntakePhoto(*_outcome(index, job.stored)) for index, job in enumerate(self._jobs)]

    def keep(self) -> None:
        """The report holding these photos has committed: their files stay."""
        self.kept = True

    def discard(self) -> None:
        """Wait until no job can still write, then remove the files the jobs created (unless a
        concurrent request has claimed the same content since)."""
        running = [job for job in self._jobs if not job.cancel()]
        wait([job.stored for job in running])
        discard_stored(self.store, [job.stored.result()[1] for job in running if job.stored.exception() is None])


@contextmanager
def photo_intake(photos: Sequence[bytes], *, limits: PhotoLimits, store: PhotoStore,
                 pool: ThreadPoolExecutor) -> Iterator[PhotoIntake]:
    """Start cleaning and storing `photos` on the pool. Unless the block calls keep() after its
    report committed, whatever the jobs stored is removed when the block ends, however it ends."""
    intake = PhotoIntake(photos, limits=limits, store=store, pool=pool)
    try:
        yield intake
    finally:
        if not intake.kept:
            intake.discard()


def _outcome(index: int, future: Future[Any]) -> Any:
    try:
        return future.result()
    except AppError as error:  # tell the phone which of its files was refused
        error.details.setdefault("photo_index", index)
        raise
