"""How request bodies and uploaded files are read: in large steps, and held in memory once."""
from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import IO, Any

from flask import Request
from werkzeug.datastructures import FileStorage

# Bodies at least this large are read through a buffer of this size.
LARGE_BODY_BYTES = 1024 * 1024


class InMemoryUploadsRequest(Request):
    """Uploaded files are parsed into memory instead of temp files spooled to disk past 500 KB.

    Every multipart endpoint reads its photos whole right after parsing, and MAX_CONTENT_LENGTH
    bounds a body before any of it is read, so spooling saved no memory: it only wrote each photo
    to disk and read it back (≈ 3 ms of a 3 MB phone photo's submit).
    """

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        return io.BytesIO()


def upload_bytes(upload: FileStorage) -> bytes:
    """An uploaded file's content; without copying it when it was parsed into memory."""
    if isinstance(upload.stream, io.BytesIO):
        return upload.stream.getvalue()  # the buffer itself, trimmed in place
    return upload.read()


class LargeBodyReads:
    """WSGI middleware: a large request body is read from the server 1 MiB at a time.

    The multipart parser asks for 64 KiB per read, and gunicorn copies what it has buffered beyond
    each read on every call, so a 3 MB photo was copied a dozen times over (≈ 1.3 ms of its
    submit); a BufferedReader turns those into a few large reads and serves the parser from it.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _content_length(environ) >= LARGE_BODY_BYTES:
            environ["wsgi.input"] = io.BufferedReader(_RawInput(environ["wsgi.input"]),
                                                      buffer_size=LARGE_BODY_BYTES)
        return self.wsgi_app(environ, start_response)


class _RawInput(io.RawIOBase):
    """A WSGI input stream (which only promises read(size)) as the raw stream a BufferedReader wraps."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _content_length(environ: dict[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
