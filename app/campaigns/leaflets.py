"""A campaign's leaflet file: an image cleaned by the photo pipeline, or a PDF checked by its content;
stored content-addressed in the upload store, and removed again unless its campaign is saved."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app

from app.campaigns.models import Leaflet, LeafletKind
from app.errors import PayloadTooLarge, UnsupportedMedia, ValidationFailed
from app.photos.pipeline import PhotoLimits, process_photo, sniff_photo_type
from app.photos.service import photo_limits
from app.photos.storage import PhotoStore, StoredFile

PDF_MAGIC = b"%PDF-"
PDF_END = b"%%EOF"
PDF_TAIL = 1024  # readers look for the end marker within the file's last kilobyte
DEFAULT_MAX_PDF_BYTES = 10 * 1024 * 1024


class UnsupportedLeafletType(UnsupportedMedia):
    code = "unsupported_leaflet_type"
    message = "传单须为图片（JPEG、PNG、WebP、HEIC）或 PDF 文件。"


class LeafletTooLarge(PayloadTooLarge):
    code = "leaflet_too_large"
    message = "PDF 传单文件太大。"


class CorruptLeaflet(ValidationFailed):
    code = "corrupt_leaflet"
    message = "PDF 传单不完整或已损坏，请重新导出后上传。"


@dataclass(frozen=True)
class LeafletLimits:
    """What a leaflet may be: an image within the photo limits, or a PDF up to max_pdf_bytes."""

    photo: PhotoLimits = PhotoLimits()
    max_pdf_bytes: int = DEFAULT_MAX_PDF_BYTES


@dataclass(frozen=True)
class StoredLeaflet:
    """The leaflet's files as this request stored them (to be undone if its campaign is not saved)."""

    leaflet: Leaflet
    files: tuple[StoredFile, ...]


def leaflet_limits() -> LeafletLimits:
    """The limits from the app's config (the photo limits, MAX_LEAFLET_PDF_BYTES)."""
    return LeafletLimits(photo=photo_limits(),
                         max_pdf_bytes=current_app.config.get("MAX_LEAFLET_PDF_BYTES", DEFAULT_MAX_PDF_BYTES))


def check_pdf(data: bytes, *, max_bytes: int) -> None:
    """A PDF by content: the %PDF- header, within the size limit, and whole (its %%EOF marker)."""
    if len(data) > max_bytes:
        raise LeafletTooLarge(f"PDF 传单不能超过 {max_bytes // (1024 * 1024)} MB。",
                              details={"max_bytes": max_bytes})
    if not data.startswith(PDF_MAGIC):
        raise UnsupportedLeafletType()
    if PDF_END not in data[-PDF_TAIL:]:
        raise CorruptLeaflet()


def store_leaflet(data: bytes, *, store: PhotoStore, limits: LeafletLimits) -> StoredLeaflet:
    """Check the file by its content and store it: a PDF as sent, an image cleaned (no EXIF, GPS)."""
    if data.startswith(PDF_MAGIC):
        check_pdf(data, max_bytes=limits.max_pdf_bytes)
        pdf = store.put(data, ".pdf")
        return StoredLeaflet(Leaflet(kind=LeafletKind.PDF, key=pdf.key, thumbnail_key=None), (pdf,))
    if sniff_photo_type(data[:64]) is None:
        raise UnsupportedLeafletType()
    photo = process_photo(data, limits=limits.photo)
    image = store.put(photo.image)
    try:
        thumbnail = store.put(photo.thumbnail)
    except BaseException:
        store.discard(image)
        raise
    return StoredLeaflet(Leaflet(kind=LeafletKind.IMAGE, key=image.key, thumbnail_key=thumbnail.key),
                         (image, thumbnail))


@contextmanager
def leaflet_until_saved(data: bytes | None, *, store: PhotoStore | None,
                        limits: LeafletLimits) -> Iterator[Leaflet | None]:
    """Store the leaflet (if any) for the block that saves its campaign; if the block fails, the
    files this request created are removed again (unless another request has claimed them since)."""
    if data is None:
        yield None
        return
    if store is None:
        raise ValueError("a leaflet needs the upload store")
    stored = store_leaflet(data, store=store, limits=limits)
    try:
        yield stored.leaflet
    except BaseException:
        for file in stored.files:
            store.discard(file)
        raise
