"""WSGI entry for bench_submit.py: the app on the benchmark's scratch database and upload folder.

gunicorn 'bench.submit_app:create_bench_app()' with BENCH_DATABASE_URL and BENCH_UPLOAD_DIR set.
"""
from __future__ import annotations

import os

from flask import Flask

from app import create_app
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


def create_bench_app() -> Flask:
    """The app for gunicorn, configured from the environment bench_submit.py passes down."""
    return create_app(bench_config(database_url=os.environ["BENCH_DATABASE_URL"],
                                   upload_dir=os.environ["BENCH_UPLOAD_DIR"]))
