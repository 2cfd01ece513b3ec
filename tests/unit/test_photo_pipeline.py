"""The photo pipeline on real files: kinds, orientation, clean output, limits and draft decoding."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import imagehash
import pytest
from PIL import Image

from app.errors import PayloadTooLarge, UnsupportedMedia, ValidationFailed
from app.photos import pipeline
from app.photos.errors import CorruptPhoto, PhotoTooLarge, PhotoTooManyPixels, UnsupportedPhotoType
from app.photos.pipeline import PhotoLimits, decode_reduced, draft_request_size, process_photo
from tests import images

YINCHUAN = (38.4872, 106.2309)
TAKEN = datetime(2026, 5, 1, 10, 30, 0)  # naive: written without an offset, read as UTC+8
FACTORIES = {
    "jpeg": images.jpeg_bytes,
    "png": images.png_bytes,
    "webp": images.webp_bytes,
    "heif": images.heic_bytes,
}


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _is_marker(pixel: tuple[int, int, int]) -> bool:
    red, green, blue = pixel
    return red > 180 and green < 90 and blue < 90


@pytest.mark.parametrize("kind", FACTORIES)
def test_each_accepted_kind_becomes_a_clean_jpeg_with_its_exif_facts(kind: str) -> None:
    data = FACTORIES[kind](64, 48, gps=YINCHUAN, taken_at=TAKEN)

    photo = process_photo(data)

    assert photo.source_format == kind
    assert (photo.width, photo.height) == (64, 48)
    assert photo.content_type == "image/jpeg"
    output = _open(photo.image)
    assert output.format == "JPEG" and output.mode == "RGB" and output.size == (64, 48)
    assert photo.exif_lat == pytest.approx(YINCHUAN[0], abs=1e-5)
    assert photo.exif_lon == pytest.approx(YINCHUAN[1], abs=1e-5)
    assert photo.captured_at == datetime(2026, 5, 1, 2, 30, tzinfo=timezone.utc)
    assert len(photo.phash) == 16 and int(photo.phash, 16) >= 0


@pytest.mark.parametrize("kind", FACTORIES)
def test_output_and_thumbnail_carry_no_metadata_at_all(kind: str) -> None:
    data = FACTORIES[kind](64, 48, gps=YINCHUAN, taken_at=TAKEN, orientation=3)

    photo = process_photo(data)

    assert images.exif_of(photo.image) == {}
    assert images.exif_of(photo.thumbnail) == {}
    for needle in (b"Exif", b"iPhone", b"Apple", b"ICC_PROFILE", b"http://ns.adobe.com/xap"):
        assert needle not in photo.image and needle not in photo.thumbnail


def test_icc_profile_xmp_and_comment_of_a_jpeg_are_dropped() -> None:
    icc = b"\x00\x00\x02\x0c" + b"fake-icc-profile" * 20
    data = images.jpeg_bytes(64, 48, gps=YINCHUAN, icc_profile=icc, comment=b"shot on my phone",
                             xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    assert {"icc_profile", "comment"} <= set(images.exif_of(data))  # the input really has them

    photo = process_photo(data)

    assert images.exif_of(photo.image) == {}
    assert b"shot on my phone" not in photo.image and b"secret" not in photo.image


@pytest.mark.parametrize("orientation, expected_size, marker_corner", [
    (1, (40, 20), "top_left"),
    (3, (40, 20), "bottom_right"),
    (6, (20, 40), "top_right"),  # stored sideways, shown turned 90° clockwise
    (8, (20, 40), "bottom_left"),
])
def test_exif_orientation_is_applied_once(orientation: int, expected_size: tuple[int, int],
                                          marker_corner: str) -> None:
    data = images.jpeg_bytes(40, 20, orientation=orientation, color=(0, 0, 255))

    photo = process_photo(data)

    output = _open(photo.image).convert("RGB")
    assert output.size == expected_size
    width, height = output.size
    corners = {"top_left": (1, 1), "top_right": (width - 2, 1),
               "bottom_left": (1, height - 2), "bottom_right": (width - 2, height - 2)}
    assert {name for name, xy in corners.items() if _is_marker(output.getpixel(xy))} == {marker_corner}


def test_heic_is_not_rotated_twice() -> None:
    # pillow-heif already turns the pixels upright and reports EXIF orientation 1 after opening.
    data = images.heic_bytes(40, 20, orientation=6, color=(0, 0, 255))
    with Image.open(io.BytesIO(data)) as opened:
        assert opened.info.get("original_orientation") == 6

    photo = process_photo(data)

    assert (photo.width, photo.height) == (20, 40)
    output = _open(photo.image).convert("RGB")
    assert _is_marker(output.getpixel((18, 1)))  # the stored top-left, shown at the top right


def test_large_photo_is_downscaled_and_thumbnailed() -> None:
    data = images.png_bytes(3000, 1000)

    photo = process_photo(data)

    assert (photo.width, photo.height) == (2048, 683)
    assert _open(photo.thumbnail).size == (400, 133)


def test_transparent_areas_turn_white_not_black() -> None:
    image = Image.new("RGBA", (32, 32), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")

    photo = process_photo(buffer.getvalue())

    red, green, blue = _open(photo.image).convert("RGB").getpixel((16, 16))
    assert min(red, green, blue) > 240


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "CMYK"])
def test_other_pixel_modes_come_out_rgb(mode: str) -> None:
    source = images.picture(48, 32, seed=3, mode=mode)
    buffer = io.BytesIO()
    source.save(buffer, format="JPEG" if mode == "CMYK" else "PNG")

    photo = process_photo(buffer.getvalue())

    assert _open(photo.image).mode == "RGB" and (photo.width, photo.height) == (48, 32)


def test_sixteen_bit_greyscale_keeps_its_brightness() -> None:
    source = Image.new("I;16", (16, 16), 50000)  # about 195 of 255
    buffer = io.BytesIO()
    source.save(buffer, format="PNG")

    photo = process_photo(buffer.getvalue())

    assert _open(photo.image).convert("L").getpixel((8, 8)) == pytest.approx(195, abs=3)


def test_the_same_file_gives_the_same_output_and_different_photos_differ() -> None:
    first = process_photo(images.jpeg_bytes(128, 96, seed=1))
    again = process_photo(images.jpeg_bytes(128, 96, seed=1))
    other = process_photo(images.jpeg_bytes(128, 96, seed=2))

    assert (first.image, first.sha256, first.phash) == (again.image, again.sha256, again.phash)
    assert first.sha256 != other.sha256
    assert imagehash.hex_to_hash(first.phash) - imagehash.hex_to_hash(other.phash) > 10


def test_the_same_picture_in_another_format_has_a_near_phash() -> None:
    as_jpeg = process_photo(images.jpeg_bytes(256, 192, seed=5))
    as_png = process_photo(images.png_bytes(256, 192, seed=5))

    assert imagehash.hex_to_hash(as_jpeg.phash) - imagehash.hex_to_hash(as_png.phash) <= 4


def test_a_stream_is_read_like_bytes() -> None:
    data = images.jpeg_bytes(64, 48, gps=YINCHUAN)

    assert process_photo(io.BytesIO(data)).sha256 == process_photo(data).sha256


# --- refused files ---------------------------------------------------------------------------

@pytest.mark.parametrize("make_file", [
    images.pdf_bytes,
    images.svg_bytes,
    images.gif_bytes,
    lambda: b"just some text, with a .jpg name",
    lambda: b"",
    lambda: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf",  # AVIF: same box, other codec
])
def test_files_that_are_not_accepted_photos_are_415(make_file) -> None:
    with pytest.raises(UnsupportedPhotoType) as refused:
        process_photo(make_file())

    assert isinstance(refused.value, UnsupportedMedia)
    assert refused.value.status == 415 and refused.value.code == "unsupported_photo_type"


def test_a_truncated_jpeg_is_a_400_corrupt_photo() -> None:
    with pytest.raises(CorruptPhoto) as refused:
        process_photo(images.truncated_jpeg_bytes())

    assert isinstance(refused.value, ValidationFailed)
    assert refused.value.status == 400 and refused.value.code == "corrupt_photo"


@pytest.mark.parametrize("data", [
    b"\xff\xd8\xff\xe0" + b"\x00" * 200,  # JPEG magic, garbage after it
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
    b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20,
])
def test_right_magic_but_broken_content_is_corrupt(data: bytes) -> None:
    with pytest.raises(CorruptPhoto):
        process_photo(data)


def test_a_file_over_the_byte_limit_is_413_before_anything_is_parsed() -> None:
    data = images.jpeg_bytes(64, 48)

    with pytest.raises(PhotoTooLarge) as refused:
        process_photo(io.BytesIO(data + b"\x00" * 100), limits=PhotoLimits(max_bytes=len(data)))

    assert isinstance(refused.value, PayloadTooLarge) and refused.value.status == 413


def test_a_png_bomb_is_refused_from_its_header_without_decoding(monkeypatch) -> None:
    bomb = images.png_bomb_bytes(30000, 30000)
    assert len(bomb) < 200_000
    monkeypatch.setattr(Image.Image, "load", _must_not_decode)
    monkeypatch.setattr(pipeline, "decode_reduced", _must_not_decode)

    with pytest.raises(PhotoTooManyPixels) as refused:
        process_photo(bomb)

    assert refused.value.status == 413 and refused.value.code == "photo_too_many_pixels"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # pytest resets the pipeline's filter
@pytest.mark.parametrize("width, height", [(10000, 10000), (8000, 6000)])
def test_pixel_counts_between_our_limit_and_pillows_are_refused_too(monkeypatch, width, height) -> None:
    # 100 MP only makes Pillow warn (its error starts at 179 MP); 48 MP is under Pillow's limit entirely.
    monkeypatch.setattr(pipeline, "decode_reduced", _must_not_decode)

    with pytest.raises(PhotoTooManyPixels):
        process_photo(images.png_bomb_bytes(width, height))


def test_the_pixel_limit_is_configurable() -> None:
    with pytest.raises(PhotoTooManyPixels):
        process_photo(images.jpeg_bytes(100, 100), limits=PhotoLimits(max_pixels=9_999))


def _must_not_decode(*_args, **_kwargs):
    raise AssertionError("pixels were decoded")


# --- draft decoding --------------------------------------------------------------------------

@pytest.mark.parametrize("size, expected", [
    ((4032, 3024), (1844, 1383)),
    ((3024, 4032), (1383, 1844)),  # portrait: the request keeps the photo's own aspect ratio
    ((2000, 1500), None),  # too small for even a half-scale decode
])
def test_draft_request_follows_the_photo_aspect_ratio(size, expected) -> None:
    assert draft_request_size(size, 2048) == expected


@pytest.mark.parametrize("size, decoded", [((4032, 3024), (2016, 1512)), ((3024, 4032), (1512, 2016))])
def test_a_twelve_megapixel_jpeg_is_decoded_at_half_scale(size, decoded) -> None:
    with Image.open(io.BytesIO(images.jpeg_bytes(*size, quality=70))) as image:
        assert decode_reduced(image, long_edge=2048).size == decoded


def test_process_photo_decodes_big_jpegs_reduced(monkeypatch) -> None:
    decoded_sizes = []

    def spying_decode(image, *, long_edge):
        result = decode_reduced(image, long_edge=long_edge)
        decoded_sizes.append(result.size)
        return result

    monkeypatch.setattr(pipeline, "decode_reduced", spying_decode)

    photo = process_photo(images.jpeg_bytes(1600, 1200, orientation=6), limits=PhotoLimits(long_edge=200))

    assert decoded_sizes == [(200, 150)]  # 1/8 scale, not 1600x1200
    assert (photo.width, photo.height) == (150, 200)


def test_a_multi_picture_jpeg_from_a_phone_is_a_jpeg_and_draft_decoded(monkeypatch) -> None:
    frames = [images.picture(1600, 1200, seed=seed) for seed in (1, 2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="MPO", save_all=True, append_images=frames[1:],
                   exif=images.make_exif(gps=YINCHUAN).tobytes())
    decoded_sizes = []

    def spying_decode(image, *, long_edge):
        decoded_sizes.append((image.format, decode_reduced(image, long_edge=long_edge).size))
        return image

    monkeypatch.setattr(pipeline, "decode_reduced", spying_decode)

    photo = process_photo(buffer.getvalue(), limits=PhotoLimits(long_edge=400))

    assert decoded_sizes == [("MPO", (400, 300))]
    assert photo.source_format == "jpeg" and photo.exif_lat == pytest.approx(YINCHUAN[0], abs=1e-5)


def test_a_photo_is_decoded_in_one_call_that_releases_the_gil_once(monkeypatch) -> None:
    data = images.jpeg_bytes(2400, 1800, quality=95)  # several 64 KiB blocks of JPEG data
    assert len(data) > 4 * 65536
    calls = []
    real_getdecoder = Image._getdecoder

    class CountingDecoder:
        def __init__(self, decoder) -> None:  # type: ignore[no-untyped-def]
            self._decoder = decoder

        def decode(self, buffer):  # type: ignore[no-untyped-def]
            calls.append(len(buffer))
            return self._decoder.decode(buffer)

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self._decoder, name)

    monkeypatch.setattr(Image, "_getdecoder", lambda *args: CountingDecoder(real_getdecoder(*args)))
    photo = process_photo(data)
    assert len(calls) == 1 and calls[0] > len(data) // 2
    assert (photo.width, photo.height) == (2048, 1536)
