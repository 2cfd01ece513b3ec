"""Parsing multipart bodies: the same fields and files as werkzeug's own parser, read in large
steps, the uploads held in memory once."""
from __future__ import annotations

import io
import os

import pytest
from flask import Request
from urllib3.filepost import encode_multipart_formdata
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge

from app.common.uploads import READ_STEP, InMemoryUploadsRequest, upload_bytes

BOUNDARY = "gridsnap-test-boundary"
PHOTO = os.urandom(3 * READ_STEP + 12345)  # spans several read steps; random bytes hold CRs and LFs


class RecordingInput:
    """A WSGI input like gunicorn's: read(size) only; remembers the sizes asked for."""

    def __init__(self, data: bytes) -> None:
        self.stream, self.asked = io.BytesIO(data), []

    def read(self, size: int = -1) -> bytes:
        self.asked.append(size)
        return self.stream.read(size)


class WerkzeugRequest(Request):
    """The reference: werkzeug's own multipart parser, uploads in memory."""

    def _get_file_stream(self, *_args, **_kwargs):  # type: ignore[no-untyped-def]
        return io.BytesIO()


def _environ(body: bytes, content_type: str) -> dict:
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "SERVER_NAME": "test", "SERVER_PORT": "80",
            "wsgi.url_scheme": "http", "wsgi.input": RecordingInput(body), "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body))}


def _parsed(request_class: type[Request], body: bytes, content_type: str, **limits) -> tuple[list, list]:
    request = request_class(_environ(body, content_type))
    for name, value in limits.items():
        setattr(request, name, value)
    files = [(name, f.filename, f.mimetype, f.read()) for name, f in request.files.items(multi=True)]
    return list(request.form.items(multi=True)), files


def _raw(*parts: bytes, preamble: bytes = b"", epilogue: bytes = b"", close: bool = True) -> bytes:
    body = preamble + b"".join(b"--" + BOUNDARY.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + BOUNDARY.encode() + b"--\r\n" + epilogue if close else b"")


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
BODIES = {
    "fields and files": encode_multipart_formdata(
        [("category", "flying_lead_charging"), ("description", "三楼窗户拉线给电动车充电 🔌"), ("empty", ""),
         ("photos", ("IMG_0001.JPG", PHOTO, "image/jpeg")),
         ("photos", ("照片.heic", b"\x00\x00\x00\x18ftypheic", "image/heic")),
         ("photos", ("empty.jpg", b"", "image/jpeg"))], boundary=BOUNDARY),
    "rfc 2231 file name and a latin-1 field": (_raw(
        b'Content-Disposition: form-data; name="photo"; filename*=UTF-8\'\'%E7%85%A7%E7%89%87.jpg\r\n'
        b"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0 jpeg",
        b'Content-Disposition: form-data; name="address"\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n'
        b"Caf\xe9"), CONTENT_TYPE),
    "preamble and epilogue": (_raw(b'Content-Disposition: form-data; name="lat"\r\n\r\n38.4872',
                                   preamble=b"This is a preamble.\r\n", epilogue=b"an epilogue\r\n"), CONTENT_TYPE),
}
MALFORMED = {
    "cut off in a photo": (encode_multipart_formdata([("photos", ("a.jpg", PHOTO, "image/jpeg"))],
                                                     boundary=BOUNDARY)[0][:READ_STEP + 999], CONTENT_TYPE),
    "no closing boundary": (_raw(b'Content-Disposition: form-data; name="lat"\r\n\r\n38.48', close=False),
                            CONTENT_TYPE),
    "no boundary parameter": (_raw(b'Content-Disposition: form-data; name="lat"\r\n\r\n38.48'),
                              "multipart/form-data"),
    "not multipart at all": (b"%PDF-1.4 this is a PDF", CONTENT_TYPE),
}


@pytest.mark.parametrize("name", BODIES)
def test_a_body_gives_the_same_fields_and_files_as_werkzeugs_parser(name: str) -> None:
    body, content_type = BODIES[name]
    ours = _parsed(InMemoryUploadsRequest, body, content_type)
    assert ours == _parsed(WerkzeugRequest, body, content_type)
    assert ours[0] or ours[1]


def test_the_parts_are_what_the_phone_sent() -> None:
    fields, files = _parsed(InMemoryUploadsRequest, *BODIES["fields and files"])
    assert dict(fields)["description"] == "三楼窗户拉线给电动车充电 🔌" and dict(fields)["empty"] == ""
    assert [(name, filename, len(data)) for name, filename, _type, data in files] == [
        ("photos", "IMG_0001.JPG", len(PHOTO)), ("photos", "照片.heic", 12), ("photos", "empty.jpg", 0)]
    assert files[0][3] == PHOTO
    fields, files = _parsed(InMemoryUploadsRequest, *BODIES["rfc 2231 file name and a latin-1 field"])
    assert fields == [("address", "Café")] and files[0][1] == "照片.jpg"


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_body_is_an_empty_form_as_with_werkzeug(name: str) -> None:
    body, content_type = MALFORMED[name]
    assert _parsed(InMemoryUploadsRequest, body, content_type) == ([], [])
    assert _parsed(WerkzeugRequest, body, content_type) == ([], [])


@pytest.mark.parametrize("limits", [{"max_form_memory_size": 1000}, {"max_form_parts": 2}])
def test_a_too_long_field_or_too_many_parts_is_413_as_with_werkzeug(limits: dict) -> None:
    body, content_type = encode_multipart_formdata(
        [("description", "火" * 400), ("lat", "38.4"), ("lon", "106.2")], boundary=BOUNDARY)
    for request_class in (InMemoryUploadsRequest, WerkzeugRequest):
        with pytest.raises(RequestEntityTooLarge):
            _parsed(request_class, body, content_type, **limits)


def test_a_large_body_is_read_from_the_server_in_large_steps() -> None:
    body, content_type = BODIES["fields and files"]
    request = InMemoryUploadsRequest(_environ(body, content_type))
    assert len(request.files.getlist("photos")) == 3
    asked = request.environ["wsgi.input"].asked
    assert all(size >= READ_STEP for size in asked[:-2])  # not werkzeug's 64 KiB steps
    assert len(asked) <= len(body) // READ_STEP + 2


def test_upload_bytes_hands_over_an_in_memory_upload_without_copying() -> None:
    data = os.urandom(100_000)
    buffer = io.BytesIO()
    buffer.write(data)
    buffer.seek(0)
    first = upload_bytes(FileStorage(buffer))
    assert first == data and upload_bytes(FileStorage(buffer)) is first


def test_upload_bytes_reads_other_streams() -> None:
    class Stream(io.RawIOBase):
        def __init__(self) -> None:
            self.inner = io.BytesIO(b"\xff\xd8\xffpixels")

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            data = self.inner.read(len(buffer))
            buffer[:len(data)] = data
            return len(data)

    assert upload_bytes(FileStorage(io.BufferedReader(Stream()))) == b"\xff\xd8\xffpixels"
