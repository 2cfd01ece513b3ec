"""Reading request bodies: large ones in large steps, uploads held in memory once."""
from __future__ import annotations

import hashlib
import io
import json
import os

from flask import Flask, request
from urllib3.filepost import encode_multipart_formdata
from werkzeug.datastructures import FileStorage

from app.common.uploads import LARGE_BODY_BYTES, InMemoryUploadsRequest, LargeBodyReads, upload_bytes


class RecordingInput:
    """A WSGI input like gunicorn's: read(size) only; remembers the sizes asked for."""

    def __init__(self, data: bytes) -> None:
        self.stream, self.asked = io.BytesIO(data), []

    def read(self, size: int = -1) -> bytes:
        self.asked.append(size)
        return self.stream.read(size)


def _upload_app() -> Flask:
    app = Flask(__name__)
    app.request_class = InMemoryUploadsRequest
    app.wsgi_app = LargeBodyReads(app.wsgi_app)  # type: ignore[method-assign]

    @app.post("/up")
    def up():
        return {"field": request.form["field"],
                "files": [hashlib.sha256(upload_bytes(f)).hexdigest() for f in request.files.getlist("f")]}

    return app


PHOTOS = [os.urandom(3 * LARGE_BODY_BYTES + 12345), os.urandom(70_000)]


def _post(app: Flask, body: bytes, content_type: str) -> tuple[dict, RecordingInput]:
    stream = RecordingInput(body)
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/up", "SERVER_NAME": "test", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http", "wsgi.input": stream, "CONTENT_TYPE": content_type,
               "CONTENT_LENGTH": str(len(body))}
    statuses = []
    chunks = app(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["200 OK"]
    return json.loads(b"".join(chunks)), stream


def test_a_large_body_is_read_from_the_server_in_large_steps_and_parsed_whole() -> None:
    body, content_type = encode_multipart_formdata(
        [("field", "满春园"), ("f", ("a.jpg", PHOTOS[0], "image/jpeg")), ("f", ("b.jpg", PHOTOS[1], "image/jpeg"))])
    answer, stream = _post(_upload_app(), body, content_type)
    assert answer == {"field": "满春园", "files": [_sha256(photo) for photo in PHOTOS]}
    assert min(stream.asked[:-1]) >= LARGE_BODY_BYTES  # not the parser's 64 KiB steps
    assert len(stream.asked) <= len(body) // LARGE_BODY_BYTES + 2


def test_a_small_body_is_read_as_the_parser_asks() -> None:
    body, content_type = encode_multipart_formdata([("field", "x"), ("f", ("b.jpg", PHOTOS[1], "image/jpeg"))])
    answer, stream = _post(_upload_app(), body, content_type)
    assert answer == {"field": "x", "files": [_sha256(PHOTOS[1])]}
    assert max(stream.asked) < LARGE_BODY_BYTES


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
