"""WSGI entry for bench_submit.py: the app on the benchmark's scratch database and upload folder.

gunicorn 'bench.submit_app:create_bench_app()' with BENCH_DATABASE_URL and BENCH_UPLOAD_DIR set;
with BENCH_TIMING_LOG set, each request's time inside the app is appended to that file.
"""
from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from PIL import Image

from app import create_app
from app.photos.pipeline import process_photo
from config import Config, TestingConfig


def bench_config(*, database_url: str, upload_dir: str) -> type[Config]:
    """Testing's fixed secrets, but production behaviour and costs wherever the submit path feels them."""

    class BenchConfig(TestingConfig):
        ENV_NAME = "bench"
        TESTING = False  # errors are rendered as in production, not propagated
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_DIR = upload_dir
        ARGON2_TIME_COST = Config.ARGON2_TIME_COST  # only the setup's user creation hashes passwords
        ARGON2_MEMORY_KIB = Config.ARGON2_MEMORY_KIB
        RATE_LIMIT_REPORTS = "100000/minute"  # still checked on every request, never reached
        # Every report takes the same path (nearest worker), however many --n asks for.
        WORKER_CASELOAD_CAP = 100_000

    return BenchConfig


class AppTimer:
    """WSGI middleware: appends "METHOD PATH milliseconds" per request (time inside the app only)."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], log_path: str) -> None:
        self.wsgi_app, self.log_path = wsgi_app, log_path

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} {elapsed_ms:.2f}\n")


def preload_photo_modules() -> None:
    """Process one tiny JPEG so the first real upload finds Pillow's plugins and imagehash's lazy
    scipy import (≈ 0.2 s, ≈ 19 MB) already loaded: its memory is then comparable with the
    pipeline-only number, which bench_photo_pipeline measures the same way."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 160)).save(buffer, format="JPEG")
    process_photo(buffer.getvalue())


def create_bench_app() -> Flask:
    """The app for gunicorn, configured from the environment bench_submit.py passes down."""
    app = create_app(bench_config(database_url=os.environ["BENCH_DATABASE_URL"],
                                  upload_dir=os.environ["BENCH_UPLOAD_DIR"]))
    preload_photo_modules()
    if os.environ.get("BENCH_TIMING_LOG"):
        app.wsgi_app = AppTimer(app.wsgi_app, os.environ["BENCH_TIMING_LOG"])  # type: ignore[method-assign]
    return app
