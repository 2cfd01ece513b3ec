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


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name, default)
    if value not in choices:
        raise RuntimeError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


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
    MAX_LEAFLET_PDF_BYTES = _int("MAX_LEAFLET_MB", 10) * 1024 * 1024  # a campaign's PDF leaflet
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
    SSE_POLL_SECONDS = float(os.environ.get("SSE_POLL_SECONDS", 0.25))
    SSE_HEARTBEAT_SECONDS = _int("SSE_HEARTBEAT_SECONDS", 15)
    # Streams are served by their own asyncio server (`flask notifications serve`), woken by one
    # channel: auto = NOTIFY on PostgreSQL, else Redis if SSE_REDIS_URL is set, else a poller.
    SSE_FANOUT = _choice("SSE_FANOUT", "auto", ("auto", "postgres", "redis", "poll"))
    SSE_REDIS_URL = os.environ.get("SSE_REDIS_URL", "")
    SSE_STREAMS_PER_USER = _int("SSE_STREAMS_PER_USER", 3)  # a newer stream ends the oldest
    SSE_MAX_STREAMS = _int("SSE_MAX_STREAMS", 5000)  # per stream-server process
    SSE_DB_THREADS = _int("SSE_DB_THREADS", 4)  # the stream server's database threads
    # Push services subscriptions may point at (format: app/notifications/endpoints.py).
    PUSH_ALLOWED_HOSTS = os.environ.get(
        "PUSH_ALLOWED_HOSTS", "fcm.googleapis.com,updates.push.services.mozilla.com,"
        "*.push.apple.com,*.notify.windows.com")
    PUSH_MAX_ATTEMPTS = _int("PUSH_MAX_ATTEMPTS", 8)
    PUSH_RETRY_BASE_SECONDS = _int("PUSH_RETRY_BASE_SECONDS", 30)  # doubles with each try
    PUSH_RETRY_MAX_SECONDS = _int("PUSH_RETRY_MAX_SECONDS", 3600)
    PUSH_TTL_SECONDS = _int("PUSH_TTL_SECONDS", 86400)  # how long a push service keeps a message
    PUSH_TIMEOUT_SECONDS = _int("PUSH_TIMEOUT_SECONDS", 10)

    # SMS and WeChat beside Web Push (issue 18): what is sent, when, and how much.
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "console")  # console | aliyun | tencent | "" (none)
    SMS_AFTER_SECONDS = _int("SMS_AFTER_SECONDS", 120)  # unseen this long → SMS
    SMS_URGENT_AFTER_SECONDS = _int("SMS_URGENT_AFTER_SECONDS", 0)  # urgent categories
    SMS_QUIET_HOURS = os.environ.get("SMS_QUIET_HOURS", "22:00-07:00")  # China time; "" for none
    SMS_USER_DAILY_CAP = _int("SMS_USER_DAILY_CAP", 20)
    SMS_DAILY_BUDGET = _int("SMS_DAILY_BUDGET", 2000)  # per deployment and China day
    SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "网格随手拍")
    SMS_TEMPLATE_ASSIGNED = os.environ.get("SMS_TEMPLATE_ASSIGNED", "")
    SMS_TEMPLATE_DISPATCHED = os.environ.get("SMS_TEMPLATE_DISPATCHED", "")
    SMS_TIMEOUT_SECONDS = _int("SMS_TIMEOUT_SECONDS", 10)
    ALIYUN_ACCESS_KEY_ID = os.environ.get("ALIYUN_ACCESS_KEY_ID", "")
    ALIYUN_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_ACCESS_KEY_SECRET", "")
    ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "https://dysmsapi.aliyuncs.com/")
    TENCENT_SECRET_ID = os.environ.get("TENCENT_SECRET_ID", "")
    TENCENT_SECRET_KEY = os.environ.get("TENCENT_SECRET_KEY", "")
    TENCENT_SMS_APP_ID = os.environ.get("TENCENT_SMS_APP_ID", "")  # SmsSdkAppId
    TENCENT_SMS_REGION = os.environ.get("TENCENT_SMS_REGION", "ap-guangzhou")
    TENCENT_SMS_ENDPOINT = os.environ.get("TENCENT_SMS_ENDPOINT", "https://sms.tencentcloudapi.com/")
    WECHAT_APP_ID = os.environ.get("WECHAT_APP_ID", "")
    WECHAT_APP_SECRET = os.environ.get("WECHAT_APP_SECRET", "")
    WECHAT_API_BASE = os.environ.get("WECHAT_API_BASE", "https://api.weixin.qq.com")
    WECHAT_OAUTH_BASE = os.environ.get("WECHAT_OAUTH_BASE", "https://open.weixin.qq.com")
    WECHAT_TEMPLATE_ASSIGNED = os.environ.get("WECHAT_TEMPLATE_ASSIGNED", "")
    WECHAT_TEMPLATE_STATUS = os.environ.get("WECHAT_TEMPLATE_STATUS", "")
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")  # links, OAuth redirect
    NOTIFICATIONS_DELIVER_INTERVAL_SECONDS = _int("NOTIFICATIONS_DELIVER_INTERVAL_SECONDS", 0)  # >0: in-process
    # Integrations (Open311, status callbacks).
    OPEN311_PUBLIC_READ = os.environ.get("OPEN311_PUBLIC_READ", "").lower() in ("1", "true", "yes")
    RATE_LIMIT_OPEN311 = os.environ.get("RATE_LIMIT_OPEN311", "60/minute;5000/day")  # posts per key
    CALLBACK_MAX_ATTEMPTS = _int("CALLBACK_MAX_ATTEMPTS", 10)
    CALLBACK_RETRY_BASE_SECONDS = _int("CALLBACK_RETRY_BASE_SECONDS", 30)  # doubles with each try
    CALLBACK_RETRY_MAX_SECONDS = _int("CALLBACK_RETRY_MAX_SECONDS", 3600)
    CALLBACK_TIMEOUT_SECONDS = _int("CALLBACK_TIMEOUT_SECONDS", 10)

    API_TITLE = "GridSnap API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "api/v1/openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    # Vendored under app/web/static (no CDN: intranets and mainland links); no online validator badge.
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
    JSON_AS_ASCII = False

    # Console (/console/): Flask's signed session cookie; Flask-WTF checks CSRF on its forms only.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_int("CONSOLE_SESSION_HOURS", 12))
    WTF_CSRF_CHECK_DEFAULT = False  # the JSON API uses bearer tokens, not cookies
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session that holds it

    @classmethod
    def check(cls) -> None:
        """Refuse settings that are only safe on a developer's machine."""
        cls.check_push_hosts()

    @classmethod
    def check_push_hosts(cls) -> None:
        """A malformed PUSH_ALLOWED_HOSTS stops the start, not every subscription later."""
        from app.notifications.endpoints import parse_allow_list

        parse_allow_list(cls.PUSH_ALLOWED_HOSTS)


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "")  # the console prints phone numbers: never by default

    @classmethod
    def check(cls) -> None:
        cls.check_push_hosts()
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
