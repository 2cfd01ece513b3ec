"""Turning a request's uploads into stored photos (on photo threads), undone unless its report commits."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from app.errors import AppError, ValidationFailed
from app.photos.background import PhotoJob
from app.photos.exif import PhotoMetadata
from app.photos.pipeline import PhotoLimits, ProcessedPhoto
from app.photos.service import StoredPhoto
from app.photos.storage import PhotoStore
from app.photos.threads import PhotoWorkers
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
        raise ValidationFailed("请至少附一张照片。", code="photo_required",
                               details={"fields": {"photos": ["请至少附一张照片。"]}})
    if len(photos) > maximum:
        raise ValidationFailed(f"最多附{maximum}张照片。", code="too_many_photos",
                               details={"fields": {"photos": [f"最多附{maximum}张照片。"]}})


class PhotoIntake:
    """A request's uploads, cleaned and stored on the photo threads while the request goes on."""

    def __init__(self, *, limits: PhotoLimits, store: PhotoStore, workers: PhotoWorkers) -> None:
        self.limits, self.store, self.workers = limits, store, workers
        self.kept = False
        self._jobs: list[PhotoJob] = []

    def start(self, photos: Sequence[bytes]) -> None:
        """Queue every photo (each waits for a free slot of the workers first)."""
        for data in photos:
            self._jobs.append(PhotoJob(data, limits=self.limits, store=self.store, workers=self.workers))

    def decoded(self) -> list[PhotoMetadata]:
        """What every photo's EXIF says, in upload order, once decoded; the first bad photo's error."""
        return [_outcome(index, job.decoded.result) for index, job in enumerate(self._jobs)]

    def phashes(self) -> list[str]:
        """Every photo's perceptual hash, in upload order; the first bad photo's error."""
        return [_outcome(index, job.phash.result) for index, job in enumerate(self._jobs)]

    def stored(self) -> list[IntakePhoto]:
        """Every photo cleaned and written, in upload order; the first bad photo's error."""
        return [IntakePhoto(*_outcome(index, job.result)) for index, job in enumerate(self._jobs)]

    def keep(self) -> None:
        """The report holding these photos has committed: their files stay."""
        self.kept = True

    def discard(self) -> None:
        """Wait until no job can still write, then remove the files the jobs created (unless a
        concurrent request has claimed the same content since)."""
        for job in self._jobs:  # first, so that no queued job starts while earlier ones are awaited
            job.cancel()
        written = [file for job in self._jobs for file in job.settle()]
        for file in written:
            self.store.discard(file)


@contextmanager
def photo_intake(photos: Sequence[bytes], *, limits: PhotoLimits, store: PhotoStore,
                 workers: PhotoWorkers) -> Iterator[PhotoIntake]:
    """Start cleaning and storing `photos` on the photo threads. Unless the block calls keep() after
    its report committed, whatever the jobs stored is removed when the block ends, however it ends."""
    intake = PhotoIntake(limits=limits, store=store, workers=workers)
    try:
        intake.start(photos)
        yield intake
    finally:
        if not intake.kept:
            intake.discard()


def _outcome(index: int, result: Callable[[], Any]) -> Any:
    try:
        return result()
    except AppError as error:  # tell the phone which of its files was refused
        error.details.setdefault("photo_index", index)
        raise
