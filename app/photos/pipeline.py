"""The photo pipeline: check a file by content, read its EXIF, and re-encode it small and metadata-free."""
from __future__ import annotations

import hashlib
import io
import math
import struct
import tempfile
import warnings
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import BinaryIO

import imagehash
import pillow_heif
import scipy.fftpack  # noqa: F401  (imagehash.phash imports it on first use: 0.2 s on a worker's first photo)
from PIL import Image

from app.photos.errors import CorruptPhoto, PhotoTooLarge, PhotoTooManyPixels, UnsupportedPhotoType
from app.photos.exif import CHINA_STANDARD_TIME, PhotoMetadata, read_metadata

# Once per process: Pillow then opens HEIC/HEIF; embedded thumbnails are never used, so skip them.
pillow_heif.register_heif_opener(thumbnails=False)
# Pillow warns (between 1x and 2x its own pixel limit) where open_checked refuses by our limit anyway.
# Silenced once here: a catch_warnings() per call is not thread-safe, and photos decode on threads.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

# The Pillow plugin allowed to open each kind recognised by its magic bytes.
_PILLOW_FORMATS: dict[str, tuple[str, ...]] = {
    "jpeg": ("JPEG",),  # its factory also yields MPO, which many phones write
    "png": ("PNG",),
    "webp": ("WEBP",),
    "heif": ("HEIF",),
}
_HEVC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
_HEIF_BRANDS = _HEVC_BRANDS | {b"mif1", b"msf1"}
_AV1_BRANDS = {b"avif", b"avis"}  # same container, but no AV1 decoder is installed
# What Pillow and its decoders raise on damaged or truncated files.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, RuntimeError)
# JPEG draft decoding may stop at this fraction of the long edge (12 MP: 2016 px instead of 2048).
DRAFT_MIN_FRACTION = 0.9
# ImageOps.exif_transpose's table, applied to the orientation read once, after shrinking (cheapest).
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_WHITE = (255, 255, 255)


@dataclass(frozen=True)
class PhotoLimits:
    """What the pipeline accepts and the sizes it produces."""

    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 40_000_000
    long_edge: int = 2048
    thumb_edge: int = 400
    quality: int = 85
    thumb_quality: int = 80


@dataclass(frozen=True)
class ProcessedPhoto:
    """A cleaned photo: JPEG bytes without metadata, its thumbnail, and what was learnt from the original."""

    image: bytes = field(repr=False)
    thumbnail: bytes = field(repr=False)
    width: int
    height: int
    source_format: str  # "jpeg" | "png" | "webp" | "heif"
    phash: str  # imagehash.phash as 16 hex digits
    exif_lat: float | None
    exif_lon: float | None
    captured_at: datetime | None  # aware UTC
    content_type: str = "image/jpeg"

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of `image` (on demand: the photo store hashes the bytes for its key anyway)."""
        return hashlib.sha256(self.image).hexdigest()


@dataclass(frozen=True)
class DecodedPhoto:
    """A checked photo decoded upright at its final size, and what its EXIF says."""

    image: Image.Image = field(repr=False)
    source_format: str
    metadata: PhotoMetadata


@dataclass(frozen=True)
class PhotoFacts:
    """What was learnt from a photo, without its pixels: all a report's photo row records."""

    width: int
    height: int
    source_format: str
    phash: str
    exif_lat: float | None
    exif_lon: float | None
    captured_at: datetime | None

    def encoded(self, *, image: bytes, thumbnail: bytes) -> ProcessedPhoto:
        """The ProcessedPhoto these facts describe, given its two encoded JPEGs."""
        return ProcessedPhoto(image=image, thumbnail=thumbnail, width=self.width, height=self.height,
                              source_format=self.source_format, phash=self.phash, exif_lat=self.exif_lat,
                              exif_lon=self.exif_lon, captured_at=self.captured_at)


@dataclass(frozen=True)
class AnalysedPhoto:
    """A photo decoded upright at its final size, with its thumbnail and what was learnt from it:
    everything needed to screen a report, before the (slower) JPEG encoding."""

    image: Image.Image = field(repr=False)
    thumbnail: Image.Image = field(repr=False)
    facts: PhotoFacts


def process_photo(
    data: bytes | BinaryIO,
    *,
    limits: PhotoLimits = PhotoLimits(),
    default_tz: tzinfo = CHINA_STANDARD_TIME,
) -> ProcessedPhoto:
    """Check, read, orient, shrink and re-encode one uploaded photo; raises the photo AppErrors.
    The same three steps the photo threads take for a submission, one after the other."""
    decoded = decode_photo(data, limits=limits, default_tz=default_tz)
    return encode_photo(analyse_decoded(decoded, limits=limits), limits=limits)


def decode_photo(
    data: bytes | BinaryIO,
    *,
    limits: PhotoLimits = PhotoLimits(),
    default_tz: tzinfo = CHINA_STANDARD_TIME,
) -> DecodedPhoto:
    """Check the content, read EXIF, decode upright and small. Raises the photo AppErrors."""
    raw = _read_limited(data, limits.max_bytes)
    kind = sniff_photo_type(raw[:64])
    if kind is None:
        raise UnsupportedPhotoType()
    source = open_checked(raw, kind=kind, limits=limits)
    image = None
    try:
        metadata, image = _decode_upright(source, kind=kind, limits=limits, default_tz=default_tz)
    finally:
        if image is not source:  # else the decoded pixels are the source's own: keep them open
            source.close()
    return DecodedPhoto(image=image, source_format=kind, metadata=metadata)


def analyse_decoded(decoded: DecodedPhoto, *, limits: PhotoLimits = PhotoLimits()) -> AnalysedPhoto:
    """The thumbnail and the perceptual hash of a decoded photo."""
    image = decoded.image
    thumbnail = image.resize(fit_within(image.size, limits.thumb_edge), Image.Resampling.LANCZOS, reducing_gap=1.5)
    return AnalysedPhoto(image=image, thumbnail=thumbnail, facts=PhotoFacts(
        width=image.width,
        height=image.height,
        source_format=decoded.source_format,
        phash=str(imagehash.phash(thumbnail)),  # the thumbnail is plenty for a 32x32 DCT, and cheap
        exif_lat=decoded.metadata.lat,
        exif_lon=decoded.metadata.lon,
        captured_at=decoded.metadata.captured_at,
    ))


def encode_photo(analysed: AnalysedPhoto, *, limits: PhotoLimits = PhotoLimits()) -> ProcessedPhoto:
    """The second half of process_photo: the metadata-free JPEG bytes of the photo and its thumbnail."""
    return analysed.facts.encoded(image=encode_jpeg(analysed.image, quality=limits.quality),
                                  thumbnail=encode_jpeg(analysed.thumbnail, quality=limits.thumb_quality))


def sniff_photo_type(head: bytes) -> str | None:
    """The photo kind named by the file's first bytes ("jpeg", "png", "webp", "heif"), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and _is_heif_brand(head):
        return "heif"
    return None


def open_checked(raw: bytes, *, kind: str, limits: PhotoLimits) -> Image.Image:
    """Open (headers only) with the plugin for `kind`, refusing pixel bombs before any decoding."""
    try:
        image = Image.open(io.BytesIO(raw), formats=_PILLOW_FORMATS[kind])
    except Image.DecompressionBombError as error:
        raise PhotoTooManyPixels(details={"max_pixels": limits.max_pixels}) from error
    except _DECODE_ERRORS as error:  # UnidentifiedImageError is an OSError
        raise CorruptPhoto() from error
    # Feed the decoder the whole file in one call (not 64 KiB per call): it then takes the GIL back
    # once, not once per block, so a busy request thread cannot stall a decode on a photo thread.
    image.decodermaxblock = max(len(raw), image.decodermaxblock)
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        raise CorruptPhoto()
    if width * height > limits.max_pixels:
        image.close()
        raise PhotoTooManyPixels(details={"width": width, "height": height, "max_pixels": limits.max_pixels})
    return image


def decode_reduced(image: Image.Image, *, long_edge: int) -> Image.Image:
    """Decode the pixels, letting libjpeg scale by 1/2, 1/4 or 1/8 while the long edge stays near `long_edge`."""
    if image.format in ("JPEG", "MPO"):
        request = draft_request_size(image.size, long_edge)
        if request is not None:
            image.draft(None, request)
    image.load()
    return image


def draft_request_size(size: tuple[int, int], long_edge: int) -> tuple[int, int] | None:
    """The size to ask Image.draft for, in the photo's own aspect ratio (draft only scales while BOTH
    sides stay at least as large as asked), or None when the photo is too small to gain from it."""
    width, height = size
    longest = max(width, height)
    smallest_long_edge = math.ceil(long_edge * DRAFT_MIN_FRACTION)
    if longest < 2 * smallest_long_edge:
        return None
    return max(1, width * smallest_long_edge // longest), max(1, height * smallest_long_edge // longest)


def fit_within(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """`size` scaled so that its long edge is `edge` (never enlarged)."""
    width, height = size
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def encode_jpeg(image: Image.Image, *, quality: int) -> bytes:
    """JPEG bytes carrying no EXIF, GPS, ICC, XMP or comment: only pixels."""
    image.info = {}  # Pillow's JPEG writer falls back to info for the comment; give it nothing
    # Into a real (unnamed, never flushed) file rather than a BytesIO: Pillow then encodes without
    # holding the GIL, so the request threads run on while a photo thread encodes.
    with tempfile.TemporaryFile() as scratch:
        image.save(scratch, format="JPEG", quality=quality)
        scratch.seek(0)
        return scratch.read()


def _decode_upright(
    source: Image.Image, *, kind: str, limits: PhotoLimits, default_tz: tzinfo
) -> tuple[PhotoMetadata, Image.Image]:
    """The EXIF facts, and the pixels reduced to the long edge, turned upright, in RGB."""
    try:
        metadata = read_metadata(source, default_tz=default_tz)
        image = decode_reduced(source, long_edge=limits.long_edge)
    except _DECODE_ERRORS as error:
        raise CorruptPhoto() from error
    image = _shrink(image, limits.long_edge)
    # pillow-heif has already applied the orientation while decoding; rotating again would be wrong.
    if kind != "heif":
        image = _apply_orientation(image, metadata.orientation)
    return metadata, _to_rgb(image)


def _read_limited(data: bytes | BinaryIO, max_bytes: int) -> bytes:
    raw = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else data.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PhotoTooLarge(details={"max_bytes": max_bytes})
    return raw


def _is_heif_brand(head: bytes) -> bool:
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    brands = {head[8:12]} | {head[i:i + 4] for i in range(16, box_end - 3, 4)}
    if brands & _AV1_BRANDS and not brands & _HEVC_BRANDS:
        return False
    return bool(brands & _HEIF_BRANDS)


def _shrink(image: Image.Image, long_edge: int) -> Image.Image:
    if max(image.size) <= long_edge:
        return image
    return image.resize(fit_within(image.size, long_edge), Image.Resampling.LANCZOS, reducing_gap=2.0)


def _apply_orientation(image: Image.Image, orientation: int) -> Image.Image:
    method = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    return image.transpose(method) if method is not None else image


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent areas become white (a black background hides dark details)."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", image.size, _WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I"):  # 16-bit greyscale PNG: keep the top 8 bits
        image = image.point(lambda value: value / 256).convert("L")
    return image.convert("RGB")

