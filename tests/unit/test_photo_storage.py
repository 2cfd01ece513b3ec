"""The photo store on a real directory: keys, atomic writes, dedupe, safe undo, orphan collection."""
from __future__ import annotations

import hashlib
import os
import stat
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.common import clock
from app.photos.errors import PhotoNotFound
from app.photos.storage import InvalidPhotoKey, PhotoStore

CONTENT = b"\xff\xd8\xff pretend jpeg bytes"


@pytest.fixture
def store(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "uploads")


def _all_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_put_stores_under_a_sharded_content_hash(store: PhotoStore) -> None:
    stored = store.put(CONTENT)

    digest = hashlib.sha256(CONTENT).hexdigest()
    assert stored.key == f"{digest}.jpg" and stored.created
    assert store.path_for(stored.key) == store.root / digest[:2] / digest[2:4] / f"{digest}.jpg"
    assert store.read(stored.key) == CONTENT
    with store.open(stored.key) as stream:
        assert stream.read() == CONTENT
    assert _all_files(store.root) == [store.path_for(stored.key)]  # no temp file left behind


def test_the_same_content_twice_is_stored_once(store: PhotoStore) -> None:
    first = store.put(CONTENT)
    second = store.put(CONTENT)

    assert first.key == second.key
    assert (first.created, second.created) == (True, False)
    assert len(_all_files(store.root)) == 1


def test_concurrent_puts_of_one_content_create_it_exactly_once(store: PhotoStore) -> None:
    results, barrier = [], threading.Barrier(8)

    def put() -> None:
        barrier.wait()
        results.append(store.put(CONTENT))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result.created for result in results) == 1
    assert _all_files(store.root) == [store.path_for(results[0].key)]


def test_a_failed_write_leaves_no_file_and_no_temp_file(store: PhotoStore, monkeypatch) -> None:
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # directories sync fine; the photo's data does not
            raise OSError("disk full")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)

    with pytest.raises(OSError, match="disk full"):
        store.put(CONTENT)

    assert _all_files(store.root) == []  # the temp file was written, then removed
    assert not store.exists(store.key_for(CONTENT))


def test_a_failed_publish_leaves_no_temp_file(store: PhotoStore, monkeypatch) -> None:
    def failing_link(*_args) -> None:
        raise PermissionError("read-only filesystem")

    monkeypatch.setattr(os, "link", failing_link)
    monkeypatch.setattr(os, "replace", failing_link)

    with pytest.raises(PermissionError):
        store.put(CONTENT)

    assert _all_files(store.root) == []


@pytest.mark.parametrize("key", [
    "../../etc/passwd",
    "/etc/passwd",
    "..",
    "a" * 64,  # no suffix
    "A" * 64 + ".jpg",  # upper case is not what we write
    "a" * 63 + ".jpg",
    "a" * 64 + ".jpg/../../x",
    "a" * 64 + ".jpg\n",
    "a" * 64 + ".png",
    "",
    None,
])
def test_anything_but_a_well_formed_key_is_refused(store: PhotoStore, key) -> None:
    with pytest.raises(InvalidPhotoKey):
        store.path_for(key)
    with pytest.raises(InvalidPhotoKey):
        store.read(key)


def test_reading_or_deleting_a_missing_file(store: PhotoStore) -> None:
    key = store.key_for(b"never stored")

    with pytest.raises(PhotoNotFound) as missing:
        store.read(key)

    assert missing.value.status == 404
    assert store.delete(key) is False


def test_delete_removes_the_file(store: PhotoStore) -> None:
    stored = store.put(CONTENT)

    assert store.delete(stored.key) is True
    assert not store.exists(stored.key)


def test_discard_removes_only_what_this_put_created(store: PhotoStore) -> None:
    created = store.put(CONTENT)
    store.put(b"other")
    reused = store.put(b"other")

    assert store.discard(reused) is False
    assert store.exists(reused.key)
    assert store.discard(created) is True
    assert not store.exists(created.key)


def test_discard_keeps_a_file_another_request_stored_meanwhile(store: PhotoStore) -> None:
    # Two retries of one upload: the first creates the file, the second finds it and commits;
    # the first then fails and undoes its put, which must not pull the file from under the second.
    first = store.put(CONTENT)
    second = store.put(CONTENT)

    assert store.discard(first) is False
    assert store.read(second.key) == CONTENT


def test_iter_keys_lists_stored_files_only(store: PhotoStore) -> None:
    keys = {store.put(bytes([n]) * 10).key for n in range(5)}
    (store.root / "stray.txt").write_text("not a photo")
    (store.root / "ab" / "cd").mkdir(parents=True, exist_ok=True)
    (store.root / "ab" / "cd" / ("ef" * 32 + ".jpg")).write_bytes(b"in the wrong shard")

    assert set(store.iter_keys()) == keys


def test_remove_orphans_spares_referenced_and_recent_files(store: PhotoStore, monkeypatch) -> None:
    kept, orphan = store.put(b"kept"), store.put(b"orphan")
    leftover_temp = store.path_for(kept.key).parent / ".tmp-crashed.part"
    leftover_temp.write_bytes(b"half a file")

    assert store.remove_orphans(referenced={kept.key}, older_than=timedelta(hours=1)).total == 0

    later = datetime.now(timezone.utc) + timedelta(hours=2)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    removed = store.remove_orphans(referenced={kept.key}, older_than=timedelta(hours=1))

    assert removed.keys == [orphan.key] and removed.temp_files == 1 and removed.total == 2
    assert store.exists(kept.key) and not store.exists(orphan.key) and not leftover_temp.exists()


def test_storing_again_renews_an_old_files_lease(store: PhotoStore, monkeypatch) -> None:
    stored = store.put(CONTENT)
    later = datetime.now(timezone.utc) + timedelta(hours=2)
    monkeypatch.setattr(clock, "utcnow", lambda: later)

    store.put(CONTENT)  # an upload in flight, not yet referenced by its committed row

    assert store.remove_orphans(referenced=set(), older_than=timedelta(hours=1)).total == 0
    assert store.exists(stored.key)
