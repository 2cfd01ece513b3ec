"""Reading GPS and capture time from EXIF: hemispheres, offsets, missing and garbage values."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from fractions import Fraction

import pytest
from PIL import ExifTags, Image, TiffImagePlugin

from app.photos.exif import CHINA_STANDARD_TIME, capture_time, gps_position, read_metadata
from app.photos.pipeline import process_photo
from tests import images

GPS = ExifTags.GPS
Rational = TiffImagePlugin.IFDRational


def _gps(lat=None, lat_ref="N", lon=None, lon_ref="E") -> dict:
    tags = {GPS.GPSLatitudeRef: lat_ref, GPS.GPSLongitudeRef: lon_ref}
    if lat is not None:
        tags[GPS.GPSLatitude] = lat
    if lon is not None:
        tags[GPS.GPSLongitude] = lon
    return tags


@pytest.mark.parametrize("point", [(38.4872, 106.2309), (-33.8568, 151.2153), (40.6892, -74.0445),
                                   (-22.9519, -43.2105)])
def test_gps_in_every_hemisphere_round_trips_through_a_real_jpeg(point) -> None:
    photo = process_photo(images.jpeg_bytes(32, 32, gps=point))

    assert (photo.exif_lat, photo.exif_lon) == (pytest.approx(point[0], abs=1e-5),
                                                pytest.approx(point[1], abs=1e-5))


def test_rationals_as_phones_write_them() -> None:
    lat = (Rational(38, 1), Rational(29, 1), Rational(1417, 100))
    lon = (Rational(106, 1), Rational(13, 1), Rational(5124, 100))

    assert gps_position(_gps(lat, "S", lon, "W")) == (pytest.approx(-38.487269, abs=1e-6),
                                                      pytest.approx(-106.230900, abs=1e-6))


@pytest.mark.parametrize("lat, lon", [
    ((38.5,), (106.25,)),  # decimal degrees in one part
    (((77, 2), (0, 1), (0, 1)), ((212, 2), (30, 2), (0, 1))),  # raw numerator/denominator pairs
])
def test_other_shapes_of_degrees_are_understood(lat, lon) -> None:
    assert gps_position(_gps(lat, "N", lon, "E")) == (pytest.approx(38.5), pytest.approx(106.25))


def test_refs_written_as_bytes_with_padding_are_understood() -> None:
    assert gps_position(_gps((10.0, 0.0, 0.0), b"S\x00", (20.0, 0.0, 0.0), b"W ")) == (-10.0, -20.0)


@pytest.mark.parametrize("tags", [
    {},
    _gps(None, "N", (106.0, 0.0, 0.0), "E"),  # no latitude
    _gps((38.0, 0.0, 0.0), "", (106.0, 0.0, 0.0), "E"),  # no hemisphere: the sign is unknown
    _gps((38.0, 0.0, 0.0), "X", (106.0, 0.0, 0.0), "E"),
    _gps((Rational(38, 0), 0.0, 0.0), "N", (106.0, 0.0, 0.0), "E"),  # zero denominator
    _gps(((38, 0), (0, 1), (0, 1)), "N", (106.0, 0.0, 0.0), "E"),
    _gps((95.0, 0.0, 0.0), "N", (106.0, 0.0, 0.0), "E"),  # beyond a pole
    _gps((38.0, 75.0, 0.0), "N", (106.0, 0.0, 0.0), "E"),  # 75 minutes
    _gps((-38.0, 0.0, 0.0), "N", (106.0, 0.0, 0.0), "E"),  # sign belongs in the ref
    _gps("38 deg 29'", "N", (106.0, 0.0, 0.0), "E"),
    _gps((1.0, 2.0, 3.0, 4.0), "N", (106.0, 0.0, 0.0), "E"),
    _gps((0.0, 0.0, 0.0), "N", (0.0, 0.0, 0.0), "E"),  # "null island": a receiver without a fix
    {GPS.GPSLatitude: object(), GPS.GPSLatitudeRef: 7, GPS.GPSLongitude: None, GPS.GPSLongitudeRef: []},
])
def test_missing_or_garbage_gps_is_none_not_an_error(tags) -> None:
    assert gps_position(tags) is None


def test_garbage_gps_in_a_real_file_is_ignored() -> None:
    exif = images.make_exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({GPS.GPSLatitudeRef: "N", GPS.GPSLatitude: (Fraction(1, 3),),
                                              GPS.GPSLongitudeRef: "Q", GPS.GPSLongitude: (1.0, 2.0, 3.0)})
    photo = process_photo(images.jpeg_bytes(32, 32, exif=exif))

    assert (photo.exif_lat, photo.exif_lon) == (None, None)


def test_capture_time_without_offset_is_read_as_china_time() -> None:
    tags = {ExifTags.Base.DateTimeOriginal: "2026:05:01 08:00:00"}

    assert capture_time(tags) == datetime(2026, 5, 1, 0, 0, tzinfo=timezone.utc)


def test_the_default_time_zone_is_configurable() -> None:
    tags = {ExifTags.Base.DateTimeOriginal: "2026:05:01 08:00:00"}

    assert capture_time(tags, default_tz=timezone.utc) == datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("offset, expected_hour", [("+09:00", 23), ("-05:30", 13), ("+00:00", 8)])
def test_offset_time_original_wins_over_the_default(offset: str, expected_hour: int) -> None:
    tags = {ExifTags.Base.DateTimeOriginal: "2026:05:01 08:00:00", 0x9011: offset}

    captured = capture_time(tags)

    assert captured.tzinfo == timezone.utc
    day = 30 if expected_hour == 23 else 1
    assert (captured.day, captured.hour, captured.minute) == (day, expected_hour, 30 if offset == "-05:30" else 0)


def test_capture_time_round_trips_through_real_files_with_and_without_offset() -> None:
    aware = datetime(2026, 5, 1, 9, 15, tzinfo=timezone(timedelta(hours=-3)))
    naive = datetime(2026, 5, 1, 9, 15)

    assert process_photo(images.webp_bytes(32, 32, taken_at=aware)).captured_at == aware
    assert process_photo(images.png_bytes(32, 32, taken_at=naive)).captured_at == \
        naive.replace(tzinfo=CHINA_STANDARD_TIME)


@pytest.mark.parametrize("value", [None, "", "0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday",
                                   "2026:13:45 25:61:00", b"\xff\xfe\x00", 20260501, ("2026:05:01 08:00:00",)])
def test_missing_or_garbage_capture_time_is_none(value) -> None:
    tags = {} if value is None else {ExifTags.Base.DateTimeOriginal: value}

    assert capture_time(tags) is None


def test_a_garbage_offset_falls_back_to_the_default_zone() -> None:
    tags = {ExifTags.Base.DateTimeOriginal: "2026:05:01 08:00:00", 0x9011: "+99:99"}

    assert capture_time(tags) == datetime(2026, 5, 1, 0, 0, tzinfo=timezone.utc)


def test_exif_is_read_from_the_header_without_decoding_pixels() -> None:
    data = images.jpeg_bytes(640, 480, gps=(38.5, 106.25), taken_at=datetime(2026, 5, 1, 8, 0), orientation=6)
    with Image.open(io.BytesIO(data)) as image:
        metadata = read_metadata(image)

        assert image.tile  # Pillow empties the tile list once it has decoded the pixels
    assert (metadata.lat, metadata.lon, metadata.orientation) == (38.5, 106.25, 6)
    assert metadata.captured_at == datetime(2026, 5, 1, 0, 0, tzinfo=timezone.utc)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_a_corrupt_exif_block_reads_as_no_metadata() -> None:
    data = images.jpeg_bytes(32, 32, exif=images.make_exif())
    start = data.index(b"Exif\x00\x00") + 6
    broken = data[:start] + b"MM\x00\x2a\xff\xff\xff\xf0" + data[start + 8:]  # IFD offset past the end

    photo = process_photo(broken)

    assert (photo.exif_lat, photo.exif_lon, photo.captured_at) == (None, None, None)
