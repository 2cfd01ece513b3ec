"""A database of one's own for a test session or a benchmark: a new PostgreSQL database on the
server DATABASE_URL names (dropped afterwards), or a SQLite file in a temporary folder."""
from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def scratch_database(server_url: str | None, *, prefix: str) -> Iterator[str]:
    """Yield the URL of a fresh, empty database; PostgreSQL if server_url is a postgres URL."""
    if not server_url or not server_url.startswith("postgres"):
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield f"sqlite:///{folder}/{prefix}.db"
        return
    server = sa.engine.make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
