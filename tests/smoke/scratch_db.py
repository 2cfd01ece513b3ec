"""A PostgreSQL database of the smoke test's own: `create SERVER_URL` prints its URL, `drop SERVER_URL URL`."""
from __future__ import annotations

import sys
import uuid

import sqlalchemy as sa


def main(action: str, server_url: str, url: str | None = None) -> None:
    server = sa.engine.make_url(server_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if action == "create":
            name = f"gridsnap_smoke_{uuid.uuid4().hex[:10]}"
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            print(server.set(database=name).render_as_string(hide_password=False))
        else:
            name = sa.engine.make_url(url).database
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:])
