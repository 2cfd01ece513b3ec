"""The assignment rule, top to bottom: who gets a report next, and whom a person may give it to.

Only decisions: nothing here changes a report's status. `reports/workflow.py` applies them
(docs/ARCHITECTURE.md, section 5, "Assignment").
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from app.auth.models import Role, User, UserStatus
from app.dispatch.nearest import lock_if_still_available, nearest_available_worker
from app.dispatch.policy import AssignmentPolicy
from app.errors import Unprocessable
from app.extensions import db
from app.geo import service as geo
from app.reports.models import Report, ReportEvent, Status

HOLDING = (Status.ASSIGNED, Status.ACCEPTED)  # what counts in a worker's open caseload
LET_GO = ("decline", "timeout", "hand_back")  # the workers these name are not asked again

Found = tuple[User, float | None]  # a worker and their distance (None: not chosen by distance)


@dataclass(frozen=True)
class Decision:
    """Where a `submitted` report goes: to `worker` (assign), or to the district (worker None)."""

    worker: User | None
    distance_m: float | None = None
    note: str | None = None


def decide(*, report: Report, policy: AssignmentPolicy, new: bool = False,
           candidate: Found | None = None) -> Decision:
    """Steps 2–5: the nearest available worker, else the grid's responsible worker, else the district.

    `new`: the report was inserted in this transaction (nobody has let it go yet). `candidate`: the
    nearest worker found before the write transaction (nearest_candidate), re-checked first."""
    if report.community_code is None:
        return Decision(worker=None, note="不在任何网格内，未能自动派单")
    if report.assign_attempts >= policy.max_attempts:
        return Decision(worker=None, note="多次派单未被接收")
    excluded = set() if new else workers_who_let_go(report.id)
    found = _nearest_under_cap(report, excluded, policy, first=candidate)
    if found is not None:
        return Decision(worker=found[0], distance_m=found[1])
    responsible = responsible_worker(report)
    if responsible is not None and responsible.id not in excluded:
        return Decision(worker=responsible, note="无在岗网格员，派给网格责任人")
    return Decision(worker=None, note="网格内无在岗网格员")


def nearest_candidate(*, lat: float, lon: float, community: str | None,
                      policy: AssignmentPolicy) -> Found | None:
    """The nearest available worker for a report about to be recorded, searched before its write
    transaction begins (reads only); decide() re-checks them under its lock."""
    if community is None:
        return None
    return nearest_available_worker(lat, lon, community=community, caseload_of=open_caseload,
                                    policy=policy)


def open_caseload(user_ids: Sequence[int]) -> Mapping[int, int]:
    """Open reports held by each of these workers."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Report.assigned_to_id, func.count()).where(
            Report.assigned_to_id.in_(list(user_ids)), Report.status.in_(HOLDING))
        .group_by(Report.assigned_to_id)).all()
    return {user_id: count for user_id, count in rows}


def responsible_worker(report: Report) -> User | None:
    """Step 4: among the responsible workers of the most specific grid holding the report, the one
    with the smaller open caseload, then the smaller id. No cap and no duty: the report queues."""
    chain = geo.area_chain(code=report.area_code) if report.area_code else []
    for area in chain:
        if area.level not in geo.GRID_LEVELS:
            continue
        workers = geo.responsible_workers(code=area.code)
        if workers:
            caseloads = open_caseload([worker.id for worker in workers])
            return min(workers, key=lambda w: (caseloads.get(w.id, 0), w.id))
    return None


def workers_who_let_go(report_id: int) -> set[int]:
    """The workers who declined, timed out on or handed back this report."""
    rows = db.session.execute(select(ReportEvent.actor_id, ReportEvent.data).where(
        ReportEvent.report_id == report_id, ReportEvent.action.in_(LET_GO))).all()
    return {(data or {}).get("worker_id") or actor_id for actor_id, data in rows} - {None}


def _nearest_under_cap(report: Report, excluded: set[int], policy: AssignmentPolicy,
                       first: Found | None = None) -> Found | None:
    """The nearest worker, re-checked under a lock on their presence row, so that concurrent
    submissions cannot push anyone over the cap (SQLite serialises writers anyway) and a worker
    found before the lock who has gone off duty since is not chosen."""
    community = report.community_code or ""
    skip = set(excluded)
    found = first if first is not None and first[0].id not in skip else None
    while True:
        if found is None:
            found = nearest_available_worker(report.lat, report.lon, community=community,
                                             exclude=skip, caseload_of=open_caseload, policy=policy)
            if found is None:
                return None
        worker = found[0]
        if lock_if_still_available(worker.id, community=community, policy=policy) \
                and open_caseload([worker.id]).get(worker.id, 0) < policy.caseload_cap:
            return found
        skip.add(worker.id)
        found = None


# --- people correct the router (step 6) --------------------------------------------------------

def reassign_target(*, report: Report, actor: User, worker_id: int) -> User:
    """The worker a secretary or dispatcher names, if they may take this report (422 otherwise):
    an active grid worker of the report's community (secretary) or of the actor's district
    (dispatcher). A person's choice is not held to the caseload cap or to duty."""
    worker = db.session.get(User, worker_id)
    if worker is None or not is_active_worker(worker) or not _serves(worker, report, actor):
        raise Unprocessable("请选择本辖区一名在用的网格员。", code="not_an_eligible_worker",
                            details={"worker_id": worker_id})
    if worker.id == report.assigned_to_id and report.status in HOLDING:
        raise Unprocessable("这条上报已经派给这位网格员。", code="already_assigned",
                            details={"worker_id": worker_id})
    return worker


def reassign_candidates(*, report: Report, actor: User) -> list[User]:
    """The grid workers this actor may hand the report to, by name (the desk's choice list); the
    same rule as reassign_target."""
    stmt = (select(User).where(User.role == Role.GRID_WORKER, User.status == UserStatus.ACTIVE)
            .order_by(User.name, User.id))
    if actor.role == Role.SECRETARY:
        stmt = stmt.where(User.area_code == report.community_code)
    workers = [w for w in db.session.scalars(stmt) if w.area_code]
    chains = geo.area_chains(codes={w.area_code for w in workers})
    return [w for w in workers if actor.role == Role.SECRETARY
            or any(area.code == actor.area_code for area in chains.get(w.area_code, []))]


def is_active_worker(user: User | None) -> bool:
    """A grid worker whose account may act."""
    return user is not None and user.role == Role.GRID_WORKER and user.status == UserStatus.ACTIVE


def _serves(worker: User, report: Report, actor: User) -> bool:
    if worker.area_code is None:
        return False
    if actor.role == Role.SECRETARY:
        return worker.area_code == report.community_code
    chain = geo.area_chains(codes=[worker.area_code]).get(worker.area_code, [])
    return any(area.code == actor.area_code for area in chain)
