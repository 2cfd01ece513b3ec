"""The nearest available grid worker to a point, fast and exact (docs/ARCHITECTURE.md, section 5, steps 2–3)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, true

from app.auth.models import Role, User, UserStatus
from app.common import clock
from app.dispatch.models import WorkerPresence
from app.dispatch.policy import AssignmentPolicy, current_policy
from app.extensions import db
from app.geo.geometry import BBox
from app.geo.proximity import Candidate, circle_bbox, nearest_by_scan, nearest_pruned

# Open reports per worker id; ids missing from the answer hold none.
CaseloadCounter = Callable[[Sequence[int]], Mapping[int, int]]

# First search radius; each round that finds nobody widens it this many times.
FIRST_RADIUS_M = 250.0
GROWTH = 4.0


def no_caseload(user_ids: Sequence[int]) -> Mapping[int, int]:
    """A caseload counter for which everybody is free (searches that ignore the cap)."""
    return {}


def nearest_available_worker(
    lat: float,
    lon: float,
    *,
    community: str,
    exclude: Collection[int] = (),
    caseload_of: CaseloadCounter = no_caseload,
    policy: AssignmentPolicy | None = None,
) -> tuple[User, float] | None:
    """The nearest on-duty, fresh, under-cap grid worker of a community, or None.

    Returns (worker, geodesic metres); ties go to the smaller caseload, then the smaller id.
    SQL matches a box around a circle that widens until it holds someone; only the circle
    counts (a box corner may hold a worker farther than one just outside an edge). Writes
    nothing: the caller's transaction must still guard the cap against concurrent assignment.
    """
    search = _Search(lat, lon, community, exclude, caseload_of, policy or current_policy())
    radius = FIRST_RADIUS_M
    while True:
        box = circle_bbox(lat, lon, radius)
        best = nearest_pruned(lat, lon, search.available(box))
        if best is not None and (box is None or best[1] <= radius):
            return search.answer(best)
        if box is None:
            return None
        # Someone is in the box but beyond the circle: the circle through them holds the answer.
        radius = best[1] if best is not None else radius * GROWTH


def scan_nearest_available_worker(
    lat: float,
    lon: float,
    *,
    community: str,
    exclude: Collection[int] = (),
    caseload_of: CaseloadCounter = no_caseload,
    policy: AssignmentPolicy | None = None,
) -> tuple[User, float] | None:
    """The same answer by brute force: a geodesic to every available worker (the reference)."""
    search = _Search(lat, lon, community, exclude, caseload_of, policy or current_policy())
    best = nearest_by_scan(lat, lon, search.available(None))
    return None if best is None else search.answer(best)


class _Search:
    """One query's filters, and the caseloads already counted across widening rounds."""

    def __init__(
        self,
        lat: float,
        lon: float,
        community: str,
        exclude: Collection[int],
        caseload_of: CaseloadCounter,
        policy: AssignmentPolicy,
    ) -> None:
        self.lat, self.lon, self.community = lat, lon, community
        self.exclude = frozenset(exclude)
        self.caseload_of = caseload_of
        self.cap = policy.caseload_cap
        self.cutoff: datetime = freshness_cutoff(policy)
        self.caseloads: dict[int, int] = {}

    def available(self, box: BBox | None) -> list[Candidate]:
        """Workers in the box (everywhere if None) who pass every filter, caseload included."""
        rows = db.session.execute(self._statement(box)).all()
        uncounted = [row.user_id for row in rows if row.user_id not in self.caseloads]
        if uncounted:
            counted = self.caseload_of(uncounted)
            self.caseloads.update((user_id, counted.get(user_id, 0)) for user_id in uncounted)
        return [
            Candidate(row.user_id, row.lat, row.lon, self.caseloads[row.user_id])
            for row in rows
            if self.caseloads[row.user_id] < self.cap
        ]

    def answer(self, best: tuple[Candidate, float]) -> tuple[User, float]:
        candidate, distance = best
        return db.session.get(User, candidate.user_id), distance

    def _statement(self, box: BBox | None) -> Any:
        presence = WorkerPresence
        stmt = _available(select(presence.user_id, presence.lat, presence.lon), self.community, self.cutoff)
        if box is not None:
            stmt = stmt.where(
                presence.lat.between(box.min_lat, box.max_lat),
                presence.lon.between(box.min_lon, box.max_lon),
            )
        if self.exclude:
            stmt = stmt.where(presence.user_id.not_in(self.exclude))
        return stmt


def freshness_cutoff(policy: AssignmentPolicy) -> datetime:
    """Positions sent before this instant no longer count."""
    return clock.utcnow() - timedelta(minutes=policy.fresh_minutes)


def lock_if_still_available(worker_id: int, *, community: str, policy: AssignmentPolicy) -> bool:
    """Lock the worker's presence row (FOR UPDATE on PostgreSQL) if they still pass the search's
    filters, the caseload aside: the re-check, under the lock, of a search made earlier."""
    cutoff = freshness_cutoff(policy)
    stmt = _available(select(WorkerPresence.user_id), community, cutoff).where(
        WorkerPresence.user_id == worker_id).with_for_update(of=WorkerPresence)
    return db.session.execute(stmt).first() is not None


def _available(stmt: Any, community: str, cutoff: datetime) -> Any:
    """`stmt` over worker presence, kept to the on-duty, fresh, active grid workers of a community."""
    presence = WorkerPresence
    return stmt.join(User, User.id == presence.user_id).where(
        presence.on_duty == true(),
        presence.community_code == community,
        presence.located_at >= cutoff,
        # The copy in presence may lag a move between communities; the account decides.
        User.area_code == community,
        User.role == Role.GRID_WORKER,
        User.status == UserStatus.ACTIVE,
    )
