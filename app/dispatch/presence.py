"""Grid workers on duty: going on and off duty, and their last position (no track is kept)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, true, update
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.models import Role, User
from app.common import clock
from app.dispatch.handover import hand_back_unaccepted
from app.dispatch.models import WorkerPresence
from app.dispatch.policy import AssignmentPolicy, current_policy
from app.errors import Conflict, Forbidden, Unprocessable
from app.extensions import db
from app.geo.demo_map import worker_posts
from app.geo.models import AreaWorker


@dataclass(frozen=True)
class Presence:
    """What a grid worker's app shows: duty, last position, and until when it counts."""

    on_duty: bool
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    located_at: datetime | None
    fresh_until: datetime | None
    fresh: bool


def set_duty(
    *,
    worker: User,
    on_duty: bool,
    lat: float | None = None,
    lon: float | None = None,
    accuracy_m: float | None = None,
    policy: AssignmentPolicy | None = None,
) -> Presence:
    """Go on duty at a position, or off duty: the position is forgotten, and what was assigned to the
    worker but not accepted goes at once to the next nearest (docs/ARCHITECTURE.md, section 5)."""
    community_code = _require_grid_worker(worker)
    now = clock.utcnow()
    if on_duty and (lat is None or lon is None):
        raise Unprocessable("上岗前请先开启定位。", code="location_required")
    values: dict[str, Any] = {
        "user_id": worker.id,
        "on_duty": on_duty,
        "community_code": community_code,
        # Off duty, the position is of no use to assignment: do not keep it.
        "lat": lat if on_duty else None,
        "lon": lon if on_duty else None,
        "accuracy_m": accuracy_m if on_duty else None,
        "located_at": now if on_duty else None,
        "updated_at": now,
    }
    _upsert_presence(values)
    if not on_duty:
        hand_back_unaccepted(worker_id=worker.id, note="网格员已下岗，改派")
    db.session.commit()
    return _presence_of(values, policy)


def record_location(
    *,
    worker: User,
    lat: float,
    lon: float,
    accuracy_m: float | None = None,
    policy: AssignmentPolicy | None = None,
) -> Presence:
    """Replace an on-duty worker's last position (no track is kept)."""
    community_code = _require_grid_worker(worker)
    now = clock.utcnow()
    values = {
        "community_code": community_code,
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy_m,
        "located_at": now,
        "updated_at": now,
    }
    # Conditional update: a location racing a going-off-duty never puts the worker back on.
    result = db.session.execute(
        update(WorkerPresence)
        .where(WorkerPresence.user_id == worker.id, WorkerPresence.on_duty == true())
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("你还没有上岗，上岗后才会上传位置。", code="off_duty")
    db.session.commit()
    return _presence_of({"on_duty": True, **values}, policy)


def get_presence(*, worker: User, policy: AssignmentPolicy | None = None) -> Presence:
    """A grid worker's current duty and last position (off duty if never set)."""
    _require_grid_worker(worker)
    row = db.session.get(WorkerPresence, worker.id)
    if row is None:
        return _presence_of({"on_duty": False}, policy)
    columns = ("on_duty", "lat", "lon", "accuracy_m", "located_at")
    return _presence_of({name: getattr(row, name) for name in columns}, policy)


def _require_grid_worker(worker: User) -> str:
    if worker.role != Role.GRID_WORKER:
        raise Forbidden("只有网格员需要上岗。", code="role_not_allowed")
    if worker.area_code is None:
        raise Unprocessable(
            "你还没有所属社区，请联系社区书记。", code="no_community"
        )
    return worker.area_code


def _upsert_presence(values: dict[str, Any]) -> None:
    # One statement, so that two first-time requests cannot both insert (the key settles it).
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(WorkerPresence).values(**values)
    changes = {name: stmt.excluded[name] for name in values if name != "user_id"}
    db.session.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=changes))


def _presence_of(values: dict[str, Any], policy: AssignmentPolicy | None) -> Presence:
    located_at = values.get("located_at")
    fresh_until = None
    if values["on_duty"] and located_at is not None:
        fresh_until = located_at + timedelta(minutes=(policy or current_policy()).fresh_minutes)
    return Presence(
        on_duty=values["on_duty"],
        lat=values.get("lat"),
        lon=values.get("lon"),
        accuracy_m=values.get("accuracy_m"),
        located_at=located_at,
        fresh_until=fresh_until,
        fresh=fresh_until is not None and clock.utcnow() <= fresh_until,
    )


# --- demo ------------------------------------------------------------------------------------


def station_demo_workers(*, workers: Sequence[User]) -> int:
    """Demo seed: make grid workers responsible for their community's demo grids, on duty there."""
    now = clock.utcnow()
    by_community: dict[str, list[User]] = {}
    for worker in workers:
        if worker.role == Role.GRID_WORKER and worker.area_code:
            by_community.setdefault(worker.area_code, []).append(worker)
    stationed = 0
    for community_code, members in by_community.items():
        posts = [post for post in worker_posts() if post.community_code == community_code]
        if not posts:
            continue
        for index, post in enumerate(posts):
            db.session.execute(delete(AreaWorker).where(AreaWorker.area_code == post.grid_code))
            db.session.add(
                AreaWorker(
                    area_code=post.grid_code,
                    user_id=members[index % len(members)].id,
                    created_at=now,
                )
            )
        for index, worker in enumerate(members):
            post = posts[index % len(posts)]
            _upsert_presence(
                {
                    "user_id": worker.id,
                    "on_duty": True,
                    "community_code": community_code,
                    "lat": post.lat,
                    "lon": post.lon,
                    "accuracy_m": 10.0,
                    "located_at": now,
                    "updated_at": now,
                }
            )
            stationed += 1
    db.session.commit()
    return stationed
