"""The desk console (/console/): Chinese pages for secretaries, dispatchers, departments and admins."""
from __future__ import annotations

from app.console import errors, hats_pages, insight_pages, pages, report_pages  # noqa: F401  (each adds its routes)
from app.console.blueprint import blp

__all__ = ["blp"]
