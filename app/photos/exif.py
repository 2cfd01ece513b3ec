"""Where and when a photo was taken, read from its EXIF without decoding pixels or trusting the values."""
from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from PIL import ExifTags, Image

from app.common.clock import CHINA_TZ as CHINA_STANDARD_TIME

# China has kept one offset, without daylight saving, since 1991; phones there rarely write OffsetTime.

# Anything a malformed EXIF block can make Pillow or our arithmetic raise.
_EXIF_ERRORS = (
    ValueError, TypeError, KeyError, IndexError, AttributeError,
    OSError, SyntaxError, struct.error, ZeroDivisionError, OverflowError,
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_TIME_FORMATS = ("%Y:%m:%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y:%m:%d %H:%M", "%Y-%m-%dT%H:%M:%S")
_OFFSET_TIME_ORIGINAL = 0x9011  # not in every Pillow's ExifTags.Base


@dataclass(frozen=True)
class PhotoMetadata:
    """What the EXIF block says: GPS position, capture time (aware UTC) and orientation (1..8)."""

    lat: float | None = None
    lon: float | None = None
    captured_at: datetime | None = None
    orientation: int = 1


def read_metadata(image: Image.Image, *, default_tz: tzinfo = CHINA_STANDARD_TIME) -> PhotoMetadata:
    """The photo's EXIF facts; absent or garbage values come back as None, never as an error."""
    try:
        exif = image.getexif()
    except _EXIF_ERRORS:
        return PhotoMetadata()
    position = gps_position(_ifd(exif, ExifTags.IFD.GPSInfo))
    return PhotoMetadata(
        lat=position[0] if position else None,
        lon=position[1] if position else None,
        captured_at=capture_time(_ifd(exif, ExifTags.IFD.Exif), default_tz=default_tz),
        orientation=_orientation(exif),
    )


def gps_position(gps: Mapping[int, Any]) -> tuple[float, float] | None:
    """(lat, lon) in signed decimal degrees from a GPS IFD, or None if any part is missing or absurd."""
    try:
        lat = _signed_degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
        lon = _signed_degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    except _EXIF_ERRORS:
        return None
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0 and lon == 0:  # what receivers without a fix write
        return None
    return lat, lon


def capture_time(exif_ifd: Mapping[int, Any], *, default_tz: tzinfo = CHINA_STANDARD_TIME) -> datetime | None:
    """DateTimeOriginal as aware UTC, using OffsetTimeOriginal when present and default_tz otherwise."""
    try:
        local = _parse_exif_time(_text(exif_ifd.get(ExifTags.Base.DateTimeOriginal)))
        if local is None:
            return None
        offset = _parse_offset(_text(exif_ifd.get(_OFFSET_TIME_ORIGINAL)))
        return local.replace(tzinfo=offset or default_tz).astimezone(timezone.utc)
    except _EXIF_ERRORS:
        return None


def _ifd(exif: Image.Exif, which: int) -> Mapping[int, Any]:
    try:
        return exif.get_ifd(which)
    except _EXIF_ERRORS:
        return {}


def _orientation(exif: Image.Exif) -> int:
    value = exif.get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _signed_degrees(value: Any, ref: Any, positive: str, negative: str) -> float | None:
    degrees = _degrees(value)
    hemisphere = _text(ref)[:1].upper()
    if degrees is None or hemisphere not in (positive, negative):
        return None
    return -degrees if hemisphere == negative else degrees


def _degrees(value: Any) -> float | None:
    """Degrees from the EXIF (deg, min, sec) rationals; writers also send 1 or 2 parts."""
    parts = value if isinstance(value, (tuple, list)) else (value,)
    if value is None or not 1 <= len(parts) <= 3:
        return None
    numbers = [_number(part) for part in parts]
    if any(n is None or not math.isfinite(n) or n < 0 for n in numbers):
        return None
    degrees, minutes, seconds = (numbers + [0.0, 0.0])[:3]
    if minutes >= 60 or seconds >= 60:
        return None
    return degrees + minutes / 60 + seconds / 3600


def _number(value: Any) -> float | None:
    if isinstance(value, tuple) and len(value) == 2:  # a raw (numerator, denominator) pair
        return value[0] / value[1] if value[1] else None
    if isinstance(value, (int, float)) or hasattr(value, "__float__"):
        return float(value)  # IFDRational with a zero denominator gives nan, refused by the caller
    return None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 \t\r\n") if isinstance(value, str) else ""


def _parse_exif_time(text: str) -> datetime | None:
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text[:19], fmt)
        except ValueError:
            continue
    return None


def _parse_offset(text: str) -> timezone | None:
    match = _OFFSET.match(text)
    if not match:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    if hours > 14 or minutes >= 60:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)
