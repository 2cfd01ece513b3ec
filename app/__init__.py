"""GridSnap: the API behind the mobile grid members' hazard-reporting app."""
from __future__ import annotations

import importlib
from pathlib import Path

from flask import Flask, request

from app.common import validation_messages

validation_messages.install()  # before any schema is declared: their defaults are read then

from app.common.fields import RowIdConverter, row_id_parameter_schema  # noqa: E402
from app.common.uploads import InMemoryUploadsRequest  # noqa: E402
from config import Config, config_from_env  # noqa: E402

# Each domain's blueprint, as "module:attribute"; imported lazily so a domain owns its routes.
BLUEPRINTS: tuple[str, ...] = (
    "app.auth.api:blp",
    "app.categories.api:blp",
    "app.geo.api:blp",
    "app.photos.api:blp",
    "app.reports.api:blp",
    "app.reports.actions_api:blp",
    "app.dispatch.api:blp",
    "app.notifications.api:blp",
    "app.points.api:blp",
    "app.stats.api:blp",
    "app.integrations.api:blp",
    "app.stations.api:blp",
    "app.suggestions.api:blp",
    "app.campaigns.api:blp",
)
# Plain Flask blueprints that serve pages and static files (not part of the OpenAPI document).
PAGES: tuple[str, ...] = (
    "app.web:blp",
    "app.console:blp",
    "app.integrations.open311_api:blp",  # Open311 GeoReport v2: JSON and XML, its own error shape
    "app.phone.pages:blp",
    "app.health.api:blp",  # /healthz and /readyz for a load balancer
)


def create_app(config: type[Config] | None = None) -> Flask:
    """Build the Flask app: config, extensions, blueprints, error handlers, CLI."""
    config = config or config_from_env()
    config.check()
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"),
                static_folder=None)  # static files are app.web's, shared by the console and the app
    app.config.from_object(config)
    app.request_class = InMemoryUploadsRequest
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    app.json.ensure_ascii = False  # Chinese names stay readable in responses
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    start_sweeper(app)
    start_deliverer(app)
    return app


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every table registered before Alembic looks)
    from app.auth.passwords import configure_hashing
    from app.auth.tokens import register_token_callbacks
    from app.common.db import configure_sqlite, read_only_request
    from app.common.text_guard import register_nul_guard
    from app.dispatch.policy import install_policy
    from app.extensions import api, csrf, db, jwt, limiter, migrate

    configure_sqlite(busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
    configure_hashing(time_cost=app.config["ARGON2_TIME_COST"], memory_kib=app.config["ARGON2_MEMORY_KIB"])
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    jwt.init_app(app)
    limiter.init_app(app)
    csrf.init_app(app)
    api.init_app(app)
    api.register_converter(RowIdConverter, row_id_parameter_schema)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    register_token_callbacks(app)
    register_nul_guard(app)
    install_policy(app)

    @app.before_request
    def _mark_read_only() -> None:
        # Safe methods never write, so on SQLite they need no write lock.
        request.environ["gridsnap.read_only_token"] = read_only_request.set(
            request.method in ("GET", "HEAD", "OPTIONS")
        )

    @app.teardown_request
    def _unmark_read_only(_exc: BaseException | None) -> None:
        token = request.environ.pop("gridsnap.read_only_token", None)
        if token is not None:
            read_only_request.reset(token)


def start_sweeper(app: Flask) -> None:
    """With SLA_SWEEP_INTERVAL_SECONDS > 0 (as `make run` sets), deadlines are swept in-process."""
    interval = app.config.get("SLA_SWEEP_INTERVAL_SECONDS", 0)
    if interval > 0 and not app.testing:
        from app.dispatch.sla import start_background_sweeper

        start_background_sweeper(app, interval_seconds=interval)


def start_deliverer(app: Flask) -> None:
    """With NOTIFICATIONS_DELIVER_INTERVAL_SECONDS > 0 (as `make run` sets), notifications go out in-process."""
    interval = app.config.get("NOTIFICATIONS_DELIVER_INTERVAL_SECONDS", 0)
    if interval > 0 and not app.testing:
        from app.notifications.worker import start_background_deliverer

        start_background_deliverer(app, interval_seconds=interval)


def register_blueprints(app: Flask) -> None:
    from app.extensions import api

    for target in BLUEPRINTS:
        api.register_blueprint(_load(target))
    for target in PAGES:
        app.register_blueprint(_load(target))


def _load(target: str):  # type: ignore[no-untyped-def]
    """The blueprint a "module:attribute" string names."""
    module_name, attribute = target.split(":")
    return getattr(importlib.import_module(module_name), attribute)


def register_error_handlers(app: Flask) -> None:
    from app.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from app.cli import register_cli

    register_cli(app)
