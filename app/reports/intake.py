"""Turning uploaded files into stored photos, undone if the report that holds them fails."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from app.errors import AppError, ValidationFailed
from app.photos.pipeline import PhotoLimits, ProcessedPhoto, process_photo
from app.photos.service import StoredPhoto, discard_stored, store_processed
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


def process_all(photos: Sequence[bytes], *, limits: PhotoLimits) -> list[ProcessedPhoto]:
    """Check and clean every photo before anything is stored; the first bad one fails the lot."""
    processed = []
    for index, data in enumerate(photos):
        try:
            processed.append(process_photo(data, limits=limits))
        except AppError as error:  # tell the phone which of its files was refused
            error.details.setdefault("photo_index", index)
            raise
    return processed


@contextmanager
def stored(store: PhotoStore, processed: Sequence[ProcessedPhoto]) -> Iterator[list[IntakePhoto]]:
    """Write the photos' files; if the block fails, remove the files this call created."""
    written: list[IntakePhoto] = []
    try:
        for photo in processed:
            written.append(IntakePhoto(processed=photo, files=store_processed(store, photo)))
        yield written
    except BaseException:
        discard_stored(store, [photo.files for photo in written])
        raise
