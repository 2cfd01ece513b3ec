"""How request bodies and uploaded files are read: parsed fast, in large steps, held in memory once."""
from __future__ import annotations

import io
from typing import IO, Any

from flask import Request
from marshmallow import Schema
from python_multipart import MultipartParser
from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header

# webargs' location for a body sent either as JSON or as a (multipart) form.
JSON_OR_FORM = "json_or_form"
# A multipart body is read from the server in steps of this size.
READ_STEP = 1024 * 1024
# The charsets a form field may declare (werkzeug's list); anything else is read as UTF-8.
_FIELD_CHARSETS = {"ascii", "us-ascii", "utf-8", "iso-8859-1"}


class MultipartFormParser(FormDataParser):
    """werkzeug's form parser, but multipart bodies are parsed by python-multipart: about ten
    times faster than werkzeug's own parser on a phone photo (0.45 against 4.2 ms for 3.4 MB).

    The result is the same: MultiDicts of fields and FileStorages, MAX_FORM_MEMORY_SIZE per
    field and MAX_FORM_PARTS enforced with a 413, and a malformed or cut-off body read as an empty
    form (so the endpoint's own validation answers 400).
    """

    def parse(self, stream: IO[bytes], mimetype: str, content_length: int | None,
              options: dict[str, str] | None = None) -> tuple[IO[bytes], MultiDict[str, Any], MultiDict[str, Any]]:
        if mimetype != "multipart/form-data":
            return super().parse(stream, mimetype, content_length, options)
        try:
            fields, files = _Parts(self, content_length).read(stream, (options or {}).get("boundary", ""))
        except ValueError:  # python-multipart's errors are ValueErrors too
            if not self.silent:
                raise
            return stream, self.cls(), self.cls()
        return stream, self.cls(fields), self.cls(files)


class _Parts:
    """The callbacks python-multipart calls while it parses one body, collecting its parts."""

    def __init__(self, owner: MultipartFormParser, content_length: int | None) -> None:
        self.owner, self.content_length = owner, content_length
        self.fields: list[tuple[str, str]] = []
        self.files: list[tuple[str, FileStorage]] = []
        self.count, self.ended = 0, False
        self._header_lines: list[tuple[bytes, bytes]] = []
        self._header_name, self._header_value = bytearray(), bytearray()
        self._headers = Headers()
        self._name: str = ""
        self._filename: str | None = None
        self._chunks: list[bytes] = []
        self._size = 0
        self._file: IO[bytes] | None = None

    def read(self, stream: IO[bytes], boundary: str) -> tuple[list[tuple[str, str]], list[tuple[str, FileStorage]]]:
        if not boundary:
            raise ValueError("Missing boundary")
        parser = MultipartParser(boundary.encode("ascii"), callbacks={  # type: ignore[arg-type]
            "on_part_begin": self._part_begins, "on_header_field": self._header_name_data,
            "on_header_value": self._header_value_data, "on_header_end": self._header_ends,
            "on_headers_finished": self._headers_end, "on_part_data": self._data,
            "on_part_end": self._part_ends, "on_end": self._body_ends})
        first = stream.read(READ_STEP)
        # A preamble before the first boundary is allowed (RFC 2046) and carries nothing; the
        # parser wants the body to begin with the boundary.
        start = first.find(b"--" + boundary.encode("ascii"))
        chunk = first[start:] if start > 0 else first
        while chunk:
            parser.write(chunk)
            chunk = stream.read(READ_STEP)
        parser.finalize()
        if not self.ended:
            raise ValueError("The multipart body ended before its closing boundary.")
        return self.fields, self.files

    def _part_begins(self) -> None:
        self.count += 1
        if self.owner.max_form_parts is not None and self.count > self.owner.max_form_parts:
            raise RequestEntityTooLarge()
        self._header_lines = []

    def _header_name_data(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_ends(self) -> None:
        self._header_lines.append((bytes(self._header_name), bytes(self._header_value)))
        self._header_name, self._header_value = bytearray(), bytearray()

    def _headers_end(self) -> None:
        # Header bytes are UTF-8 (phones send file names as such); anything else is malformed.
        self._headers = Headers([(name.decode().strip(" \t"), value.decode().strip(" \t"))
                                 for name, value in self._header_lines])
        _disposition, options = parse_options_header(self._headers.get("Content-Disposition"))
        if "name" not in options:
            raise ValueError("A part without a name.")
        self._name, self._filename = options["name"], options.get("filename")
        self._chunks, self._size = [], 0
        self._file = None if self._filename is None else self.owner.stream_factory(
            total_content_length=self.content_length, filename=self._filename,
            content_type=self._headers.get("Content-Type"), content_length=_declared_length(self._headers))

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end])
            return
        self._size += end - start
        if self.owner.max_form_memory_size is not None and self._size > self.owner.max_form_memory_size:
            raise RequestEntityTooLarge()
        self._chunks.append(data[start:end])

    def _part_ends(self) -> None:
        if self._file is not None:
            self._file.seek(0)
            self.files.append((self._name, FileStorage(self._file, self._filename, self._name, headers=self._headers)))
        else:
            self.fields.append((self._name, b"".join(self._chunks).decode(_charset(self._headers), "replace")))

    def _body_ends(self) -> None:
        self.ended = True


def _charset(headers: Headers) -> str:
    charset = parse_options_header(headers.get("Content-Type", ""))[1].get("charset", "").lower()
    return charset if charset in _FIELD_CHARSETS else "utf-8"


def _declared_length(headers: Headers) -> int:
    try:
        return int(headers.get("Content-Length", "0"))
    except ValueError:
        return 0


class InMemoryUploadsRequest(Request):
    """Multipart bodies are parsed by MultipartFormParser, and uploaded files are held in memory
    instead of temp files spooled to disk past 500 KB.

    Every multipart endpoint reads its photos whole right after parsing, and MAX_CONTENT_LENGTH
    bounds a body before any of it is read, so spooling saved no memory: it only wrote each photo
    to disk and read it back (≈ 3 ms of a 3 MB phone photo's submit).
    """

    form_data_parser_class = MultipartFormParser

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        return io.BytesIO()


def upload_bytes(upload: FileStorage) -> bytes:
    """An uploaded file's content; without copying it when it was parsed into memory."""
    if isinstance(upload.stream, io.BytesIO):
        return upload.stream.getvalue()  # the buffer itself, trimmed in place
    return upload.read()


def multipart_body(schema: type[Schema]) -> dict[str, Any]:
    """An OpenAPI requestBody for a multipart form whose text fields and files are one schema."""
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


def json_or_multipart_body(json_schema: type[Schema], multipart_schema: type[Schema]) -> dict[str, Any]:
    """An OpenAPI requestBody taken as JSON, or as multipart with files (the same fields as text)."""
    return {"required": True, "content": {"application/json": {"schema": json_schema},
                                          "multipart/form-data": {"schema": multipart_schema}}}
