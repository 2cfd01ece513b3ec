"""Serves the phone app's shell: the page, its manifest, its service worker and static files under /app/."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, redirect, request, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"
# The service worker's source: a template (not a static file), stamped per request with the shell.
SERVICE_WORKER = Path(__file__).resolve().parent / "sw.js"
SHARED_STYLESHEET = Path(__file__).resolve().parent.parent / "web" / "static" / "gridsnap.css"
# Files the service worker keeps so the app opens without a network; never anything under /api/.
SHELL_SUFFIXES = (".js", ".css", ".png", ".webmanifest")
NO_CACHE = {"Cache-Control": "no-cache"}  # always revalidated (ETag), so a new version is seen at once

blp = Blueprint("phone", __name__, url_prefix="/app", static_folder="static", static_url_path="/static")


@blp.route("")
def bare() -> Response:
    """/app → /app/ (the service worker's scope), keeping an invite code in the query."""
    return redirect("/app/" + (f"?{request.query_string.decode()}" if request.query_string else ""), 308)


@blp.route("/")
def shell() -> Response:
    """The one page of the app; every screen is drawn by its scripts from the API."""
    return _static("index.html", mimetype="text/html")


@blp.route("/manifest.webmanifest")
def manifest() -> Response:
    """The web app manifest: name, icons, start URL and scope, so the app can be installed."""
    return _static("manifest.webmanifest", mimetype="application/manifest+json")


@blp.route("/sw.js")
def service_worker() -> Response:
    """The service worker, stamped with the shell's file list and a version that changes with any of them."""
    files = shell_files()
    source = SERVICE_WORKER.read_text(encoding="utf-8")
    source = source.replace("__VERSION__", shell_version(files)).replace(
        "__SHELL__", json.dumps(["/app/", *files]))
    response = Response(source, mimetype="text/javascript", headers=NO_CACHE)
    response.add_etag()
    return response.make_conditional(request)


def shell_files() -> dict[str, Path]:
    """The files the app needs to open offline, by URL: the page's assets and the shared stylesheet."""
    files = {"/static/gridsnap.css": SHARED_STYLESHEET,
             "/app/manifest.webmanifest": STATIC / "manifest.webmanifest"}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file() and path.suffix in SHELL_SUFFIXES and path.name != "manifest.webmanifest":
            files[f"/app/static/{path.relative_to(STATIC).as_posix()}"] = path
    return files


def shell_version(files: dict[str, Path]) -> str:
    """A short hash of the page and every shell file's content."""
    digest = hashlib.sha256((STATIC / "index.html").read_bytes())
    for path in files.values():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _static(name: str, *, mimetype: str) -> Response:
    """A file of the shell, always revalidated."""
    response = send_from_directory(STATIC, name, mimetype=mimetype, max_age=0)
    response.headers.update(NO_CACHE)
    return response
