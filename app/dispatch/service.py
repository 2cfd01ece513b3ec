"""Routing a report to the nearest available grid worker (docs/ARCHITECTURE.md, "Assignment", steps 1–5)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import current_app
from sqlalchemy import func, select

from app.auth.models import User
from app.common import clock
from app.extensions import db
from app.geo import service as geo
from app.geo.nearest import lock_if_still_available, nearest_available_worker
from app.reports.models import Report, ReportEvent, Status
from app.reports.workflow import Action, transition

HOLDING = (Status.ASSIGNED, Status.ACCEPTED)  # what counts in a worker's open caseload
LET_GO = ("decline", "timeout")  # the workers who did these are not asked again


def open_caseload(user_ids: Sequence[int]) -> Mapping[int, int]:
    """Open reports held by each of these workers."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(Report.assigned_to_id, func.count()).where(
            Report.assigned_to_id.in_(list(user_ids)), Report.status.in_(HOLDING))
        .group_by(Report.assigned_to_id)).all()
    return {user_id: count for user_id, count in rows}


def nearest_candidate(*, lat: float, lon: float, community: str | None) -> tuple[User, float] | None:
    """The nearest available worker for a report about to be recorded, searched before its write
    transaction begins (reads only); route_report re-checks them under its lock."""
    if community is None:
        return None
    return nearest_available_worker(lat, lon, community=community, caseload_of=open_caseload)


def route_report(*, report: Report, new: bool = False,
                 candidate: tuple[User, float] | None = None) -> Report:
    """Assign a `submitted` report to the nearest available worker, else the grid's responsible
    worker, else escalate it to the district (unrouted). Flushes; the caller commits. `new`: the
    report was inserted in this transaction (no worker has let it go; nothing to re-read).
    `candidate`: nearest_candidate's answer for it, tried first (else the search runs here)."""
    written = report if new else None
    excluded = set() if new else _workers_who_let_go(report.id)
    if report.assign_attempts >= _max_attempts() or report.community_code is None:
        reason = "多次派单未被接收" if report.community_code else "不在任何网格内，未能自动派单"
        return transition(report_id=report.id, action=Action.ESCALATE, actor=None, note=reason,
                          written=written)
    found = _nearest_under_cap(report, excluded, first=candidate)
    if found is None:
        chain = geo.area_chain(code=report.area_code) if report.area_code else []
        responsible = geo.responsible_worker_for(chain, caseload_of=open_caseload)
        if responsible is None or responsible.id in excluded:
            return transition(report_id=report.id, action=Action.ESCALATE, actor=None,
                              note="网格内无在岗网格员", written=written)
        found = (responsible, None)
    worker, distance = found
    return transition(
        report_id=report.id, action=Action.ASSIGN, actor=None,
        note=None if distance is not None else "无在岗网格员，派给网格责任人",
        changes={"assigned_to_id": worker.id, "distance_m": distance, "assigned_at": clock.utcnow(),
                 "assign_attempts": report.assign_attempts + 1},
        data={"worker_id": worker.id, "distance_m": distance}, written=written)


def _nearest_under_cap(report: Report, excluded: set[int],
                       first: tuple[User, float] | None = None) -> tuple[User, float] | None:
    """The nearest worker, re-checked under a lock on their presence row, so that concurrent
    submissions cannot push anyone over the cap (SQLite serialises writers anyway) and a worker
    found before the lock who has gone off duty since is not chosen."""
    cap = int(current_app.config["WORKER_CASELOAD_CAP"])
    community = report.community_code or ""
    skip = set(excluded)
    found = first if first is not None and first[0].id not in skip else None
    while True:
        if found is None:
            found = nearest_available_worker(report.lat, report.lon, community=community,
                                             exclude=skip, caseload_of=open_caseload)
            if found is None:
                return None
        worker, _ = found
        if lock_if_still_available(worker.id, community=community) \
                and open_caseload([worker.id]).get(worker.id, 0) < cap:
            return found
        skip.add(worker.id)
        found = None


def _workers_who_let_go(report_id: int) -> set[int]:
    rows = db.session.execute(select(ReportEvent.actor_id, ReportEvent.data).where(
        ReportEvent.report_id == report_id, ReportEvent.action.in_(LET_GO))).all()
    return {actor_id or (data or {}).get("worker_id") for actor_id, data in rows} - {None}


def _max_attempts() -> int:
    return int(current_app.config["MAX_ASSIGN_ATTEMPTS"])

