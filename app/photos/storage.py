"""Content-addressed upload files (photos, campaign leaflets) under one directory, written atomically so
no reader sees half a file."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Container, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from app.common import clock
from app.photos.errors import PhotoNotFound

# A key is the SHA-256 of the file's bytes and its suffix; nothing else can name a file.
SUFFIXES = (".jpg", ".pdf")  # cleaned photos are always JPEG; a PDF leaflet is kept as sent
KEY_PATTERN = re.compile(r"\A[0-9a-f]{64}\.(?:jpg|pdf)\Z")
_TEMP_PREFIX = ".tmp-"
_FILE_MODE = 0o640


class InvalidPhotoKey(ValueError):
    """A key that does not match KEY_PATTERN: a bug or a forged name, never a path to follow."""


@dataclass(frozen=True)
class StoredFile:
    """The outcome of one put: the key, whether this put created the file, and its claim
    (the file's mtime in ns after this put; any later put of the same content moves it on)."""

    key: str
    created: bool
    claim: int


@dataclass
class Removal:
    """What a clean-up deleted: photo files by key, and leftover temp files of killed writes."""

    keys: list[str] = field(default_factory=list)
    temp_files: int = 0

    @property
    def total(self) -> int:
        return len(self.keys) + self.temp_files

    def add(self, name: str, *, temp: bool) -> None:
        if temp:
            self.temp_files += 1
        else:
            self.keys.append(name)


class PhotoStore:
    """Upload files in `root`, sharded as ab/cd/<sha256>.jpg (or .pdf)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @staticmethod
    def key_for(data: bytes, suffix: str = ".jpg") -> str:
        """The key the given bytes are stored under."""
        if suffix not in SUFFIXES:
            raise InvalidPhotoKey(f"not a stored kind: {suffix!r}")
        return hashlib.sha256(data).hexdigest() + suffix

    def path_for(self, key: str) -> Path:
        """Where the file of `key` lives; refuses anything that is not a well-formed key."""
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise InvalidPhotoKey(f"not an upload key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes, suffix: str = ".jpg") -> StoredFile:
        """Store `data` under its key; storing content that is already there creates nothing."""
        key = self.key_for(data, suffix)
        path = self.path_for(key)
        for _ in range(3):  # only loops if a file vanishes between our steps (a concurrent discard)
            claim = self._claim_existing(path)
            if claim is not None:
                return StoredFile(key=key, created=False, claim=claim)
            claim = self._write_new(path, data)
            if claim is not None:
                return StoredFile(key=key, created=True, claim=claim)
        raise OSError(f"could not store {key}: it kept disappearing")

    def exists(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def open(self, key: str) -> BinaryIO:
        """The stored file, open for binary reading; PhotoNotFound if it is gone."""
        try:
            return self.path_for(key).open("rb")
        except FileNotFoundError as error:
            raise PhotoNotFound() from error

    def read(self, key: str) -> bytes:
        with self.open(key) as stream:
            return stream.read()

    def delete(self, key: str) -> bool:
        """Remove the file of `key`; False if it was not there."""
        try:
            self.path_for(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def discard(self, stored: StoredFile) -> bool:
        """Undo a put after its transaction failed: delete the file only if that put created it
        and no later put of the same content has claimed it since (another request may rely on it)."""
        if not stored.created:
            return False
        path = self.path_for(stored.key)
        try:
            if os.stat(path).st_mtime_ns != stored.claim:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def iter_keys(self) -> Iterator[str]:
        """Every stored key (in no particular order), for finding orphans."""
        for path in self._iter_files():
            if KEY_PATTERN.match(path.name) and path.parent.name == path.name[2:4] \
                    and path.parent.parent.name == path.name[:2]:
                yield path.name

    def remove_orphans(self, *, referenced: Container[str], older_than: timedelta) -> Removal:
        """Delete files no row refers to and no put has claimed for `older_than` (the grace period
        protects uploads whose transaction is still running), and leftover temp files."""
        cutoff_ns = int((clock.utcnow() - older_than).timestamp() * 1e9)
        removal = Removal()
        for path in self._iter_files():
            is_temp = path.name.startswith(_TEMP_PREFIX)
            if not is_temp and (not KEY_PATTERN.match(path.name) or path.name in referenced):
                continue
            with suppress(FileNotFoundError):
                if path.stat().st_mtime_ns < cutoff_ns:
                    path.unlink()
                    removal.add(path.name, temp=is_temp)
        return removal

    def _iter_files(self) -> Iterator[Path]:
        for first in _subdirectories(self.root):
            for second in _subdirectories(first):
                with os.scandir(second) as entries:
                    yield from (Path(entry.path) for entry in entries if entry.is_file(follow_symlinks=False))

    def _claim_existing(self, path: Path) -> int | None:
        """Mark an existing file as wanted again (strictly later mtime); None if there is none."""
        try:
            current = os.stat(path).st_mtime_ns
            claim = max(_now_ns(), current + 1)
            os.utime(path, ns=(claim, claim))
        except FileNotFoundError:
            return None
        return claim

    def _write_new(self, path: Path, data: bytes) -> int | None:
        """Write to a temp file beside `path`, fsync, then link it into place, which fails if the
        file appeared meanwhile: exactly one writer creates it. Returns the claim, or None if lost."""
        _make_dirs(path.parent, stop_at=self.root)
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as temp:
                temp.write(data)
                temp.flush()
                os.fchmod(temp.fileno(), _FILE_MODE)
                os.fsync(temp.fileno())
                claim = os.fstat(temp.fileno()).st_mtime_ns  # before publishing: no one else can touch it
            if not _publish(temp_name, path):
                return None
            _fsync_directory(path.parent)
            return claim
        finally:
            with suppress(FileNotFoundError):
                os.unlink(temp_name)


def _publish(temp_name: str, path: Path) -> bool:
    """Atomically make `path` name the temp file's content; False if `path` already existed."""
    try:
        os.link(temp_name, path)
    except FileExistsError:
        return False
    except OSError:  # a filesystem without hard links: rename is still atomic, just not exclusive
        if path.exists():
            return False
        os.replace(temp_name, path)
    return True


def _make_dirs(directory: Path, *, stop_at: Path) -> None:
    """Create `directory` and missing parents, fsyncing each parent so the new entries survive a crash."""
    if directory.is_dir():
        return
    if directory != stop_at:
        _make_dirs(directory.parent, stop_at=stop_at)
    try:
        directory.mkdir()
    except FileExistsError:
        return
    _fsync_directory(directory.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _subdirectories(directory: Path) -> Iterator[Path]:
    try:
        with os.scandir(directory) as entries:
            children = [Path(entry.path) for entry in entries if entry.is_dir(follow_symlinks=False)]
    except FileNotFoundError:
        return
    yield from children


def _now_ns() -> int:
    return int(clock.utcnow().timestamp() * 1e9)
