"""Photos shrunk in the browser (static/js/photos.js): a 12 MP camera JPEG goes up small, upright,
with its EXIF GPS and capture time kept and Orientation reset."""
from __future__ import annotations

import base64
import io
from datetime import datetime

import pytest
from PIL import ExifTags, Image

from tests.images import jpeg_bytes
from tests.phone.test_outbox import BLANK
from tests.support.browser import PHONE, browser_context

TAKEN = datetime(2026, 12, 6, 9, 30, 0)
AT = (38.4872, 106.2309)

SHRINK = """async ([data, name]) => {
  const { shrinkPhoto } = await import('/app/static/js/photos.js');
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  const out = await shrinkPhoto(new File([bytes], name, {type: 'image/jpeg'}));
  const back = new Uint8Array(await out.arrayBuffer());
  let text = ''; for (let i = 0; i < back.length; i += 1) text += String.fromCharCode(back[i]);
  return {data: btoa(text), name: out.name, type: out.type};
}"""


@pytest.fixture
def shrink(browser, live_url):  # type: ignore[no-untyped-def]
    with browser_context(browser, live_url, **PHONE) as context:
        context.route(f"**{BLANK}", lambda route: route.fulfill(content_type="text/html", body="<!doctype html>"))
        page = context.new_page()
        page.goto(BLANK)

        def _shrink(data: bytes, name: str = "IMG_0001.JPG") -> tuple[bytes, str]:
            result = page.evaluate(SHRINK, [base64.b64encode(data).decode(), name])
            return base64.b64decode(result["data"]), result["name"]

        yield _shrink


def test_a_12_megapixel_photo_goes_up_small_upright_and_with_its_gps(shrink):
    # Stored landscape 4032×3024, Orientation 6: the camera was held upright (portrait).
    original = jpeg_bytes(4032, 3024, gps=AT, taken_at=TAKEN, orientation=6, noise=0.08, seed=3)
    shrunk, name = shrink(original)
    print(f"\n12 MP photo: {len(original):,} bytes taken, {len(shrunk):,} bytes uploaded")

    assert len(shrunk) < len(original) / 5 and name == "IMG_0001.jpg"
    image = Image.open(io.BytesIO(shrunk))
    assert image.format == "JPEG" and image.size == (1200, 1600)  # upright, 1600 on the long side
    exif = image.getexif()
    assert exif[ExifTags.Base.Orientation] == 1  # the pixels are already turned
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = sum(float(v) / 60 ** i for i, v in enumerate(gps[ExifTags.GPS.GPSLatitude]))
    lon = sum(float(v) / 60 ** i for i, v in enumerate(gps[ExifTags.GPS.GPSLongitude]))
    assert (lat, lon) == pytest.approx(AT, abs=1e-5)
    assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] == "2026:12:06 09:30:00"
    # The red marker of the stored top-left corner is at the top right once turned upright.
    r, g, b = image.convert("RGB").getpixel((1180, 20))
    assert r > 200 and g < 60 and b < 60


def test_a_file_the_browser_cannot_draw_goes_up_as_it_is(shrink):
    not_drawable = b"\x00\x00\x00\x18ftypheic" + bytes(200)  # e.g. HEIC, which Chromium does not decode
    sent, name = shrink(not_drawable, "IMG_0002.HEIC")
    assert sent == not_drawable and name == "IMG_0002.HEIC"


POSITION = """async ([data, name]) => {
  const { photoPosition } = await import('/app/static/js/photos.js');
  const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
  return photoPosition(new File([bytes], name, {type: 'image/jpeg'}));
}"""


@pytest.mark.parametrize("gps", [AT, (-33.8568, -151.2153)], ids=["north-east", "south-west"])
def test_the_position_a_photo_carries_is_read_when_the_phone_gives_none(browser, live_url, gps):
    with browser_context(browser, live_url, **PHONE) as context:
        context.route(f"**{BLANK}", lambda route: route.fulfill(content_type="text/html", body="<!doctype html>"))
        page = context.new_page()
        page.goto(BLANK)
        tagged = base64.b64encode(jpeg_bytes(64, 48, gps=gps, taken_at=TAKEN)).decode()
        found = page.evaluate(POSITION, [tagged, "a.jpg"])
        assert (found["lat"], found["lon"]) == pytest.approx(gps, abs=1e-5)
        untagged = base64.b64encode(jpeg_bytes(64, 48, taken_at=TAKEN)).decode()
        assert page.evaluate(POSITION, [untagged, "b.jpg"]) is None
