"""What the console and the phone app share: one stylesheet (the visual language) and vendored files.

Served from the origin under /static/ (no CDN: government intranets and mainland networks)."""
from __future__ import annotations

from flask import Blueprint

blp = Blueprint("web", __name__, static_folder="static", static_url_path="/static")
