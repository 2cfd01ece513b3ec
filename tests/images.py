"""Image factories for every test: real files with real EXIF, small, fast and deterministic."""
from __future__ import annotations

import io
import random
import struct
import zlib
from datetime import datetime
from functools import lru_cache

import pillow_heif
from PIL import ExifTags, Image

pillow_heif.register_heif_opener(thumbnails=False)

Color = tuple[int, int, int]
# A spot that marks the stored image's top-left corner, so tests can see which way it was turned.
MARKER_COLOR: Color = (255, 0, 0)
BACKGROUND_COLOR: Color = (0, 0, 255)


def make_exif(
    *,
    gps: tuple[float, float] | None = None,
    taken_at: datetime | None = None,
    orientation: int = 1,
    make: str = "Apple",
    model: str = "iPhone 15",
) -> Image.Exif:
    """An EXIF block as a phone writes it: Make/Model, Orientation, DateTimeOriginal(+offset), GPS IFD.

    A naive `taken_at` is written without OffsetTimeOriginal (the reader then assumes local time);
    an aware one is written as its local wall time plus its offset.
    """
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = model
    exif[ExifTags.Base.Orientation] = orientation
    if taken_at is not None:
        details = exif.get_ifd(ExifTags.IFD.Exif)
        details[ExifTags.Base.DateTimeOriginal] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
        if taken_at.tzinfo is not None:
            offset = taken_at.strftime("%z")
            details[0x9011] = f"{offset[:3]}:{offset[3:]}"  # OffsetTimeOriginal
    if gps is not None:
        lat, lon = gps
        exif.get_ifd(ExifTags.IFD.GPSInfo).update({
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: dms(abs(lat)),
            ExifTags.GPS.GPSLongitudeRef: "E" if lon >= 0 else "W",
            ExifTags.GPS.GPSLongitude: dms(abs(lon)),
        })
    return exif


def dms(degrees: float) -> tuple[float, float, float]:
    """Decimal degrees as the (degrees, minutes, seconds) triple EXIF stores (as rationals)."""
    whole = int(degrees)
    minutes_float = (degrees - whole) * 60
    minutes = int(minutes_float)
    return float(whole), float(minutes), round((minutes_float - minutes) * 60, 4)


def picture(
    width: int,
    height: int,
    *,
    seed: int = 0,
    color: Color | None = None,
    mode: str = "RGB",
    noise: float = 0.0,
) -> Image.Image:
    """A picture whose large shapes depend on `seed` (distinct perceptual hashes), with a red marker in
    its top-left corner; `color` gives a flat background instead; `noise` (0..1) blends in grain, which
    makes JPEGs as large as a camera's (0.08 at quality 90: 12 MP ≈ 3.4 MB)."""
    if color is not None:
        image = Image.new("RGB", (width, height), color)
    else:
        cells = Image.frombytes("RGB", (6, 6), random.Random(seed).randbytes(6 * 6 * 3))
        image = cells.resize((width, height), Image.Resampling.BILINEAR)
    if noise:
        grain = Image.frombytes("L", (width, height), random.Random(seed).randbytes(width * height))
        image = Image.blend(image, Image.merge("RGB", (grain, grain, grain)), noise)
    marker = max(1, min(width, height) // 4)
    image.paste(MARKER_COLOR, (0, 0, marker, marker))
    return image.convert(mode) if mode != "RGB" else image


def jpeg_bytes(
    width: int = 64,
    height: int = 48,
    *,
    gps: tuple[float, float] | None = None,
    taken_at: datetime | None = None,
    orientation: int = 1,
    color: Color | None = None,
    seed: int = 0,
    exif: Image.Exif | None = None,
    quality: int = 90,
    noise: float = 0.0,
    **extra: object,
) -> bytes:
    """A JPEG with phone-like EXIF; `width`×`height` are the stored pixels, before orientation.
    `extra` goes to Pillow's save (e.g. icc_profile=..., comment=...)."""
    image = picture(width, height, seed=seed, color=color, noise=noise)
    exif = exif if exif is not None else make_exif(gps=gps, taken_at=taken_at, orientation=orientation)
    return _save(image, "JPEG", exif=exif.tobytes(), quality=quality, **extra)


def png_bytes(
    width: int = 64,
    height: int = 48,
    *,
    gps: tuple[float, float] | None = None,
    taken_at: datetime | None = None,
    orientation: int = 1,
    color: Color | None = None,
    seed: int = 0,
    mode: str = "RGB",
    exif: Image.Exif | None = None,
) -> bytes:
    """A PNG (any Pillow mode, e.g. "RGBA", "P", "L") with an eXIf chunk."""
    image = picture(width, height, seed=seed, color=color, mode=mode)
    exif = exif if exif is not None else make_exif(gps=gps, taken_at=taken_at, orientation=orientation)
    return _save(image, "PNG", exif=exif.tobytes())


def webp_bytes(
    width: int = 64,
    height: int = 48,
    *,
    gps: tuple[float, float] | None = None,
    taken_at: datetime | None = None,
    orientation: int = 1,
    color: Color | None = None,
    seed: int = 0,
) -> bytes:
    """A lossy WebP with EXIF."""
    image = picture(width, height, seed=seed, color=color)
    exif = make_exif(gps=gps, taken_at=taken_at, orientation=orientation)
    return _save(image, "WEBP", exif=exif.tobytes(), quality=80)


def heic_bytes(
    width: int = 64,
    height: int = 48,
    *,
    gps: tuple[float, float] | None = None,
    taken_at: datetime | None = None,
    orientation: int = 1,
    color: Color | None = None,
    seed: int = 0,
) -> bytes:
    """A HEIC as an iPhone sends it (keep it small: HEVC encoding is slow). pillow-heif stores the
    pixels turned upright and keeps the original orientation in the file, as iPhones' readers see it."""
    image = picture(width, height, seed=seed, color=color)
    exif = make_exif(gps=gps, taken_at=taken_at, orientation=orientation)
    return _save(image, "HEIF", exif=exif.tobytes(), quality=60)


def gif_bytes(width: int = 16, height: int = 16) -> bytes:
    """A GIF: a real image, but not a kind we accept."""
    return _save(picture(width, height), "GIF")


@lru_cache(maxsize=8)
def png_bomb_bytes(width: int = 30000, height: int = 30000) -> bytes:
    """A small PNG whose header claims width×height pixels: a complete 1-bit greyscale image of zeros,
    which zlib squeezes about a thousandfold, so decoding it would allocate gigabytes."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def truncated_jpeg_bytes(width: int = 256, height: int = 192, *, seed: int = 0) -> bytes:
    """A JPEG cut off halfway, as a dropped upload leaves it: the header is fine, the pixels are not."""
    data = jpeg_bytes(width, height, seed=seed, noise=0.25)
    return data[: len(data) // 2]


def pdf_bytes() -> bytes:
    """A small but valid one-page PDF."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    xref += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, len(body))
    return body + xref + trailer


def svg_bytes() -> bytes:
    """An SVG picture (text, and a classic vehicle for scripts)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        b'<rect width="100" height="100" fill="red"/><script>alert(1)</script></svg>\n'
    )


def exif_of(data: bytes) -> dict[str, object]:
    """Everything metadata-like a decoder finds in an image file: for asserting that none is left."""
    with Image.open(io.BytesIO(data)) as image:
        found: dict[str, object] = {key: image.info[key] for key in ("exif", "icc_profile", "xmp", "comment")
                                    if image.info.get(key)}
        if image.getexif():
            found["getexif"] = dict(image.getexif())
        return found


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
