"""Turning a request's uploads into stored photos (on photo threads), undone unless the row that
holds them commits: one machinery for reports, suggestions and deliveries."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from app.errors import AppError, ValidationFailed
from app.photos.background import PhotoJob
from app.photos.exif import PhotoMetadata
from app.photos.pipeline import PhotoLimits, ProcessedPhoto
from app.photos.service import StoredPhoto, photo_limits, photo_store, photo_workers
from app.photos.storage import PhotoStore
from app.photos.threads import PhotoWorkers


@dataclass(frozen=True)
class IntakePhoto:
    """A cleaned photo and its stored files."""

    processed: ProcessedPhoto
    files: StoredPhoto


@dataclass(frozen=True)
class PhotoSetup:
    """Where a request's photos are cleaned and stored, and within which limits."""

    store: PhotoStore
    workers: PhotoWorkers
    limits: PhotoLimits = field(default_factory=PhotoLimits)

    @classmethod
    def from_app(cls) -> PhotoSetup:
        """The app's configured store, threads and limits."""
        return cls(store=photo_store(), workers=photo_workers(), limits=photo_limits())

    def intake(self, photos: Sequence[bytes]) -> AbstractContextManager[PhotoIntake]:
        """photo_intake() with this setup."""
        return photo_intake(photos, limits=self.limits, store=self.store, workers=self.workers)


def check_photo_count(photos: Sequence[bytes], *, maximum: int, minimum: int = 1,
                      field: str = "photos") -> None:
    """Between `minimum` and `maximum` photos (`field`: the form field the phone sent them in)."""
    if len(photos) < minimum:
        raise ValidationFailed("请至少附一张照片。", code="photo_required",
                               details={"fields": {field: ["请至少附一张照片。"]}})
    if len(photos) > maximum:
        raise ValidationFailed(f"最多附{maximum}张照片。", code="too_many_photos",
                               details={"fields": {field: [f"最多附{maximum}张照片。"]}})


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
        """The row holding these photos has committed: their files stay."""
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
    the row holding them committed, whatever the jobs stored is removed when the block ends, however it ends."""
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
