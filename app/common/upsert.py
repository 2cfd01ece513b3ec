"""Add to counters kept in rows: one INSERT … ON CONFLICT DO UPDATE for many keys, on both engines."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


def add_to_counters(model: Any, *, keys: Sequence[str], counters: Sequence[str],
                    sums: Mapping[tuple[Any, ...], Sequence[int]]) -> None:
    """Add each key's sums (in the order of `counters`) to its row, creating it at zero first."""
    if not sums:
        return
    # Sorted keys: concurrent writers touch rows in one order, so they queue instead of deadlocking.
    values = [dict(zip((*keys, *counters), (*key, *sums[key]), strict=True)) for key in sorted(sums)]
    dialect = db.session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model).values(values)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: getattr(model, name) + stmt.excluded[name] for name in counters},
    ))
