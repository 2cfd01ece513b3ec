"""Engine settings that let SQLite serve several threads and processes at once."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

# True while serving a request that only reads: it may begin a plain (deferred) transaction.
read_only_request: ContextVar[bool] = ContextVar("read_only_request", default=False)
_busy_timeout_ms = 15000


@contextmanager
def reading_only() -> Iterator[None]:
    """Transactions begun inside only read: on SQLite they take no write lock (e.g. building a
    response after a write has committed)."""
    token = read_only_request.set(True)
    try:
        yield
    finally:
        read_only_request.reset(token)


def commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring what the session has loaded, for objects the request goes on using
    that this transaction read or wrote itself (re-reading each would cost a query)."""
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def configure_sqlite(*, busy_timeout_ms: int) -> None:
    """Set the busy timeout that every new SQLite connection will get."""
    global _busy_timeout_ms
    _busy_timeout_ms = busy_timeout_ms


@event.listens_for(Engine, "connect")
def _tune_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # We emit BEGIN ourselves (below), so pysqlite must not start transactions on its own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(_busy_timeout_ms)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    # Writers take the write lock up front so that concurrent writers queue on the busy
    # timeout instead of failing later with "database is locked" on lock upgrade.
    connection.exec_driver_sql("BEGIN" if read_only_request.get() else "BEGIN IMMEDIATE")
