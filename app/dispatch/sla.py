"""The sweep: reassign unaccepted reports, escalate overdue ones, flag late departments, auto-close,
and repair any open report nobody can move (docs/ARCHITECTURE.md, section 5, step 7).

Idempotent and safe to run every minute from cron or in several processes at once: each report
moves in its own transaction through the state machine, and a report someone else moved first
is simply skipped.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import exists, select

from app.categories.models import Category
from app.common import clock
from app.dispatch.handover import repair
from app.dispatch.stranded import find_stranded
from app.errors import AppError
from app.extensions import db
from app.reports.models import Report, ReportEvent, Status
from app.reports.workflow import Action, transition

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    reassigned: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    overdue: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    repaired: list[int] = field(default_factory=list)


def sweep(*, auto_close_after: timedelta) -> SweepResult:
    """One pass over every deadline; returns the ids of the reports it moved."""
    now = clock.utcnow()
    result = SweepResult()
    for report_id, worker_id in _unaccepted_past_deadline(now):
        if _apply(report_id, Action.TIMEOUT, note="超时未接单，改派", data={"worker_id": worker_id}):
            result.reassigned.append(report_id)
    for report_id in _unresolved_past_deadline(now):
        if _apply(report_id, Action.ESCALATE, note="超过处置时限，上报区指挥中心"):
            result.escalated.append(report_id)
    for report_id in _dispatched_past_due(now):
        if _apply(report_id, Action.OVERDUE, note="职能部门超过处置时限"):
            result.overdue.append(report_id)
    for report_id in _resolved_before(now - auto_close_after):
        note = f"{auto_close_after.days}天未评价，自动办结"
        if _apply(report_id, Action.AUTO_CLOSE, note=note, changes={"closed_at": now}):
            result.closed.append(report_id)
    result.repaired = repair_stranded()
    return result


def repair_stranded() -> list[int]:
    """Move on every open report nobody can move, each in its own transaction; the ids moved."""
    repaired = []
    for stranded in find_stranded():
        if repair(stranded):
            db.session.commit()
            repaired.append(stranded.report_id)
        else:
            db.session.rollback()
    return repaired


def _apply(report_id: int, action: Action, **kwargs) -> bool:  # type: ignore[no-untyped-def]
    try:
        transition(report_id=report_id, action=action, actor=None, **kwargs)
        db.session.commit()
        return True
    except AppError:  # moved by someone else since we looked: nothing to do
        db.session.rollback()
        return False


def _with_category(status: Status) -> Iterable[tuple[Report, Category]]:
    return db.session.execute(select(Report, Category).join(Category, Category.code == Report.category_code)
                              .where(Report.status == status)).all()


def _unaccepted_past_deadline(now: datetime) -> list[tuple[int, int | None]]:
    return [(r.id, r.assigned_to_id) for r, c in _with_category(Status.ASSIGNED)
            if (r.assigned_at or r.created_at) + timedelta(minutes=c.accept_minutes) < now]


def _unresolved_past_deadline(now: datetime) -> list[int]:
    return [r.id for r, c in _with_category(Status.ACCEPTED)
            if r.created_at + timedelta(hours=c.resolve_hours) < now]


def _dispatched_past_due(now: datetime) -> list[int]:
    already = exists().where(ReportEvent.report_id == Report.id, ReportEvent.action == Action.OVERDUE)
    return list(db.session.scalars(select(Report.id).where(
        Report.status == Status.DISPATCHED, Report.due_at < now, ~already)))


def _resolved_before(cutoff: datetime) -> list[int]:
    return list(db.session.scalars(select(Report.id).where(
        Report.status == Status.RESOLVED, Report.resolved_at < cutoff)))


def start_background_sweeper(app: Flask, *, interval_seconds: int) -> threading.Thread:
    """Sweep every interval in a daemon thread (for `make run`; use cron in production)."""

    def loop() -> None:
        stop = threading.Event()
        while not stop.wait(interval_seconds):
            try:
                with app.app_context():
                    sweep(auto_close_after=timedelta(days=app.config["AUTO_CLOSE_DAYS"]))
            except Exception:  # keep sweeping; the next pass retries
                log.exception("SLA sweep failed")

    thread = threading.Thread(target=loop, name="sla-sweeper", daemon=True)
    thread.start()
    return thread
