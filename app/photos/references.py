"""Which columns name files of the photo store, and the orphan sweep that spares every file they name.

A column holding a photo-store key is declared with `info=PHOTO_FILE`; the sweep reads every such
column of every table, so a new table with photos is protected by that one word, not by a list here."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Column, select

from app.extensions import db
from app.photos.storage import PhotoStore, Removal

PHOTO_FILE: dict[str, Any] = {"photo_file": True}


def photo_file_columns() -> list[Column[Any]]:
    """Every column of the schema that holds photo-store keys."""
    return [column for table in db.metadata.sorted_tables for column in table.columns
            if column.info.get("photo_file")]


def referenced_keys() -> set[str]:
    """Every stored file some row refers to."""
    referenced: set[str] = set()
    for column in photo_file_columns():
        referenced.update(db.session.scalars(select(column).where(column.is_not(None))))
    return referenced


def remove_orphan_photos(*, store: PhotoStore, older_than: timedelta) -> Removal:
    """Delete stored files no row refers to (left by a process killed mid-upload)."""
    return store.remove_orphans(referenced=referenced_keys(), older_than=older_than)
