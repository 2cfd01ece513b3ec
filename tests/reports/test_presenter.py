"""Presenting reports: the people they name, loaded once."""
from __future__ import annotations

from sqlalchemy import event

from app.auth.models import Role, User
from app.extensions import db
from app.reports.presenter import _people
from tests.factories import make_user


def test_people_the_session_holds_are_named_without_a_query(app, app_ctx) -> None:
    rider, worker, other = (make_user(app, role) for role in (Role.RIDER, Role.GRID_WORKER, Role.GRID_WORKER))
    held = [db.session.get(User, rider.id), db.session.get(User, worker.id)]  # as a request holds them
    statements: list[str] = []

    def count(*args) -> None:  # type: ignore[no-untyped-def]
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        all_held = _people({rider.id, worker.id, None})
        queried = len(statements)
        mixed = _people({rider.id, other.id})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert queried == 0 and all_held == {rider.id: held[0], worker.id: held[1]}
    assert len(statements) == 1 and sorted(mixed) == sorted([rider.id, other.id])
    assert mixed[other.id].name == other.name
