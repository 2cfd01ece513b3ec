"""What the upload store holds: every test that checks "no file left behind" counts the same way."""
from __future__ import annotations

from pathlib import Path

from flask import Flask


def stored_files(app: Flask) -> list[Path]:
    """Every file under the app's UPLOAD_DIR (photos, thumbnails, leaflets, leftover temp files)."""
    return [path for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file()]
