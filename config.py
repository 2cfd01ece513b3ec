"""Configuration from environment variables, with safe defaults for a single small box."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEV_SECRET = "dev-only-secret-change-me"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'instance' / 'gridsnap.db'}"
    # Heroku-style and bare postgres URLs → the psycopg 3 driver we ship.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY", SECRET_KEY)
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=_int("JWT_ACCESS_MINUTES", 30))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=_int("JWT_REFRESH_DAYS", 30))
    JWT_ERROR_MESSAGE_KEY = "message"

    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)

    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "uploads"))
    # Whole request body: six phone photos plus form fields; a single photo has its own limit.
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_MB", 40) * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    MAX_PHOTO_BYTES = _int("MAX_PHOTO_MB", 15) * 1024 * 1024
    MAX_PHOTO_PIXELS = _int("MAX_PHOTO_PIXELS", 40_000_000)
    MAX_PHOTOS_PER_REPORT = 6
    # Threads per process that decode and store photos while the request thread works on.
    PHOTO_THREADS = _int("PHOTO_THREADS", 2)
    PHOTO_URL_TTL_SECONDS = _int("PHOTO_URL_TTL_SECONDS", 3600)

    RATE_LIMIT_LOGIN = os.environ.get("RATE_LIMIT_LOGIN", "10/minute;100/day")
    RATE_LIMIT_REPORTS = os.environ.get("RATE_LIMIT_REPORTS", "20/minute;200/day")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "gridsnap")  # apps sharing a Redis
    RATELIMIT_HEADERS_ENABLED = True

    DUPLICATE_RADIUS_M = _int("DUPLICATE_RADIUS_M", 50)
    DUPLICATE_WINDOW_HOURS = _int("DUPLICATE_WINDOW_HOURS", 72)
    EXIF_FAR_M = _int("EXIF_FAR_M", 300)
    STALE_PHOTO_HOURS = _int("STALE_PHOTO_HOURS", 24)
    BURST_REPORTS = _int("BURST_REPORTS", 5)
    BURST_MINUTES = _int("BURST_MINUTES", 10)

    PRESENCE_FRESH_MINUTES = _int("PRESENCE_FRESH_MINUTES", 15)
    WORKER_CASELOAD_CAP = _int("WORKER_CASELOAD_CAP", 10)
    MAX_ASSIGN_ATTEMPTS = _int("MAX_ASSIGN_ATTEMPTS", 3)  # then the district command centre takes it
    AUTO_CLOSE_DAYS = _int("AUTO_CLOSE_DAYS", 7)
    SLA_SWEEP_INTERVAL_SECONDS = _int("SLA_SWEEP_INTERVAL_SECONDS", 0)  # >0: sweep in-process
    INVITE_DEFAULT_DAYS = 30
    # Password hashing cost (argon2id); tests lower it, production keeps the library default.
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_KIB = _int("ARGON2_MEMORY_KIB", 65536)

    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
    VAPID_PUBLIC_KEY = os.environ.get("VAPID_PUBLIC_KEY", "")
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "mailto:ops@gridsnap.example")
    # A stream ends by itself after this long; the client reconnects with Last-Event-ID.
    SSE_MAX_SECONDS = _int("SSE_MAX_SECONDS", 300)
    SSE_POLL_SECONDS = float(os.environ.get("SSE_POLL_SECONDS", 1.0))
    SSE_HEARTBEAT_SECONDS = _int("SSE_HEARTBEAT_SECONDS", 15)
    PUSH_ALLOW_INSECURE_ENDPOINTS = False  # http push endpoints on loopback: tests only
    PUSH_MAX_ATTEMPTS = _int("PUSH_MAX_ATTEMPTS", 8)
    PUSH_RETRY_BASE_SECONDS = _int("PUSH_RETRY_BASE_SECONDS", 30)  # doubles with each try
    PUSH_RETRY_MAX_SECONDS = _int("PUSH_RETRY_MAX_SECONDS", 3600)
    PUSH_TTL_SECONDS = _int("PUSH_TTL_SECONDS", 86400)  # how long a push service keeps a message
    PUSH_TIMEOUT_SECONDS = _int("PUSH_TIMEOUT_SECONDS", 10)

    API_TITLE = "GridSnap API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "api/v1/openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist/"
    JSON_AS_ASCII = False

    @classmethod
    def check(cls) -> None:
        """Refuse settings that are only safe on a developer's machine."""


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    ENV_NAME = "production"

    @classmethod
    def check(cls) -> None:
        if cls.SECRET_KEY == DEV_SECRET or cls.JWT_SECRET_KEY == DEV_SECRET:
            raise RuntimeError("Set SECRET_KEY and JWT_SECRET_KEY before running in production.")
        if len(cls.SECRET_KEY) < 32:
            raise RuntimeError("SECRET_KEY must be at least 32 characters in production.")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-with-enough-length-000"
    JWT_SECRET_KEY = SECRET_KEY
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATE_LIMIT_LOGIN = "1000/minute"
    RATE_LIMIT_REPORTS = "1000/minute"
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_env() -> type[Config]:
    """The config class named by GRIDSNAP_ENV (development unless told otherwise)."""
    return CONFIGS[os.environ.get("GRIDSNAP_ENV", "development")]
