"""Add to counters kept in rows: one INSERT … ON CONFLICT DO UPDATE for many keys, on both engines."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def add_to_counters(model: Any, *, keys: Sequence[str], counters: Sequence[str],
                    sums: Mapping[tuple[Any, ...], Sequence[int]]) -> None:
    """Add each key's sums (in the order of `counters`) to its row, creating it at zero first."""
    if not sums:
        return
    names = (*keys, *counters)
    # Sorted keys: concurrent writers touch rows in one order, so they queue instead of deadlocking.
    rows = [dict(zip(names, (*key, *sums[key]), strict=True)) for key in sorted(sums)]
    stmt = _upsert(model.__table__, tuple(keys), tuple(counters), db.session.get_bind().dialect.name)
    # One statement run over every row (executemany): SQLAlchemy caches its compiled form, which it
    # cannot for a multi-row VALUES list, so each call would compile afresh.
    db.session.execute(stmt, rows)


@cache
def _upsert(table: Any, keys: tuple[str, ...], counters: tuple[str, ...], dialect: str) -> Insert:
    """The single-row upsert of `table`'s counters (built once per table and engine)."""
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + stmt.excluded[name] for name in counters},
    )
