"""Several processes, really: /healthz and /readyz, and a login limit that two gunicorn processes
share through a real Redis."""
from __future__ import annotations

import os
import uuid

import pytest

from tests.support.servers import gunicorn, migrate


def test_healthz_and_readyz_answer(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready",
                                "checks": {"database": "ok", "rate_limit_storage": "ok"}}


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("TEST_REDIS_URL is not set under CI: .ci/run starts Redis and sets it")
        pytest.skip("TEST_REDIS_URL is not set (a Redis on loopback, e.g. redis://127.0.0.1:6379/15)")
    return url


def _settings(tmp_path, **extra: str) -> dict[str, str]:
    return {"GRIDSNAP_ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path / 'gridsnap.db'}",
            "UPLOAD_DIR": str(tmp_path / "uploads"), "ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "1024",
            "SLA_SWEEP_INTERVAL_SECONDS": "0", **extra}


def test_two_processes_share_one_login_limit_through_redis(tmp_path, redis_url):
    env = _settings(tmp_path, RATELIMIT_STORAGE_URI=redis_url, RATE_LIMIT_LOGIN="3/minute",
                    RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    migrate(env)
    attempt = {"phone": "13800000001", "password": "wrong-password"}
    with gunicorn(env) as first, gunicorn(env) as second:
        assert first.request("GET", "/readyz")[0] == 200
        codes = [server.request("POST", "/api/v1/auth/login", attempt)[0]
                 for server in (first, second, first, second, first)]
    # Three attempts a minute in all, whichever process answers: each alone would allow three.
    assert codes == [401, 401, 401, 429, 429]


def test_readyz_names_what_it_cannot_reach(tmp_path):
    env = _settings(tmp_path, DATABASE_URL="postgresql+psycopg://nobody:x@127.0.0.1:9/none?connect_timeout=2",
                    RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    with gunicorn(env) as server:
        assert server.request("GET", "/healthz") == (200, {"status": "ok"})
        status, body = server.request("GET", "/readyz")
    assert status == 503
    assert body == {"status": "unavailable",
                    "checks": {"database": "unreachable", "rate_limit_storage": "unreachable"}}
