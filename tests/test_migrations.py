"""The schema production gets: migrations build it, and they agree with the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(app_ctx):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_downgrade_to_base_and_back(app, tmp_path):
    """Every migration can be undone and redone (on a scratch SQLite file)."""
    import flask_migrate

    from tests.support.apps import scratch_sqlite_app

    scratch = scratch_sqlite_app(tmp_path)
    with scratch.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        assert db.session.execute(db.text("select count(*) from categories")).scalar() >= 10
        db.engine.dispose()
