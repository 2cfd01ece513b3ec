"""The console's blueprint: its templates, its static files, and CSRF on every form it serves."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, g, request

from app.auth.models import Role
from app.categories.service import list_categories
from app.common import clock
from app.console import messages
from app.console.session import desk_user
from app.errors import NotFound
from app.extensions import csrf
from app.geo import service as geo
from app.photos.service import photo_url
from app.points.periods import CHINA_TZ
from app.suggestions import service as suggestions

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates",
                static_folder="static", static_url_path="/static")


@blp.before_request
def _check_csrf() -> None:
    # The console is a cookie session: every state change must carry the form's CSRF token.
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


@blp.context_processor
def _page_helpers() -> dict[str, Any]:
    return {"words": messages, "cn_time": china_time, "query_with": query_with, "area_name": area_name,
            "now": clock.utcnow(), "category_name": category_name, "open_suggestions": open_suggestions,
            "photo_url": photo_url}


def open_suggestions() -> int:
    """The 社情民意 waiting for the desk's reply (for the nav; only drawn for those who reply)."""
    me = desk_user()
    return suggestions.open_count(user=me) if me is not None and me.role == Role.SECRETARY else 0


def category_name(code: str) -> str:
    """A category's Chinese name (read once per request)."""
    if "category_names" not in g:
        g.category_names = {c.code: c.name_zh for c in list_categories()}
    return g.category_names.get(code, code)


def china_time(at: datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as the desk reads it: China time (UTC+8, no daylight saving)."""
    return at.astimezone(CHINA_TZ).strftime(pattern) if at is not None else "—"


def query_with(**changes: Any) -> str:
    """This page's query string with some parameters changed (for pagers and links)."""
    args = request.args.to_dict()
    args.update({key: str(value) for key, value in changes.items()})
    return urlencode(args)


def area_name(code: str | None) -> str:
    """An area's name for people (its code if the map lacks it); admins belong to none: 全平台."""
    if code is None:
        return "全平台"
    try:
        return geo.get_area(code=code).name
    except NotFound:
        return code
