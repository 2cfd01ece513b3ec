"""Bulk loading for the benchmarks that need millions of rows: the fastest insert each engine has
(not the app's write path, which the benchmarks measure elsewhere), then settling the statistics."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from app.extensions import db

Loader = Callable[[str, Sequence[str], list[tuple]], None]


def loader_for(dialect: str) -> Loader:
    """COPY on PostgreSQL, executemany on SQLite."""
    return copy_rows if dialect == "postgresql" else executemany_rows


def executemany_rows(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """SQLite: one executemany per chunk; datetimes as UTCDateTime stores them (naive UTC text)."""
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    connection = db.session.connection().connection.driver_connection
    marks = ", ".join("?" for _ in columns)
    connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                           [tuple(plain(v) for v in row) for row in rows])


def copy_rows(table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """PostgreSQL: COPY ... FROM STDIN."""
    cursor = db.session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def settle() -> None:
    """Settle the bulk load as autovacuum would (statistics; on PostgreSQL also the visibility map),
    so that a background vacuum does not run during the timings."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
