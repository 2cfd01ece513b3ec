"""Moving reports on when whoever holds them can no longer act (docs/ARCHITECTURE.md, section 5, step 7).

Going off duty hands back what is assigned but not accepted; disabling a grid worker or a
department moves all their open reports on; the sweep repairs whatever else it finds stranded.
Each move goes through the state machine, so a report someone else moved first is skipped.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from sqlalchemy import select

from app.auth.models import Role, User
from app.dispatch.assignment import HOLDING, is_active_worker
from app.dispatch.stranded import Repair, Stranded
from app.errors import AppError
from app.extensions import db
from app.reports import workflow
from app.reports.models import Report, Status
from app.reports.workflow import Action


def hand_back_unaccepted(*, worker_id: int, note: str) -> list[int]:
    """What is assigned to this worker and not yet accepted goes to the next nearest (flushes)."""
    return [report_id for report_id in _held_by(worker_id, (Status.ASSIGNED,))
            if _hand_back(report_id, worker_id, (Status.ASSIGNED,), note)]


def move_on_everything_of(*, user: User) -> list[int]:
    """A disabled grid worker's assigned and accepted reports go to the next nearest; a disabled
    department's dispatched ones go back to the district's queue (flushes)."""
    if user.role == Role.GRID_WORKER:
        note = "网格员账号已停用，改派"
        return [report_id for report_id in _held_by(user.id, HOLDING)
                if _hand_back(report_id, user.id, HOLDING, note)]
    if user.role == Role.DEPARTMENT:
        dispatched = db.session.scalars(select(Report.id).where(
            Report.department_id == user.id, Report.status == Status.DISPATCHED).order_by(Report.id))
        return [report_id for report_id in dispatched if _recall(report_id)]
    return []


def repair(stranded: Stranded) -> bool:
    """Move one report the sweep found stranded; False if it was moved meanwhile (flushes)."""
    report = db.session.get(Report, stranded.report_id, populate_existing=True)
    if report is None:
        return False
    if stranded.repair == Repair.HAND_BACK:
        holder = db.session.get(User, report.assigned_to_id) if report.assigned_to_id else None
        if is_active_worker(holder):  # re-enabled since the sweep looked
            return False
        return _hand_back(report.id, report.assigned_to_id, HOLDING, "原网格员已不能处理，改派")
    if stranded.repair == Repair.RECALL:
        return _recall(report.id)
    return _guarded(lambda: _route_own(report))


def _route_own(report: Report) -> None:
    if report.status != Status.SUBMITTED:
        raise _Skip()
    if report.duplicate_of_id is None:
        workflow.route(report=report)
    else:
        workflow.detach(report=report, note="原上报已不再处理，您的上报将单独处理")


def _held_by(worker_id: int, statuses: Iterable[Status]) -> list[int]:
    return list(db.session.scalars(select(Report.id).where(
        Report.assigned_to_id == worker_id, Report.status.in_(list(statuses))).order_by(Report.id)))


def _hand_back(report_id: int, worker_id: int | None, statuses: Collection[Status], note: str) -> bool:
    def move() -> None:
        report = db.session.get(Report, report_id, populate_existing=True)
        if report is None or report.status not in statuses or report.assigned_to_id != worker_id:
            raise _Skip()  # accepted, moved or reassigned since it was listed
        workflow.transition(report_id=report_id, action=Action.HAND_BACK, actor=None, note=note,
                            data={"worker_id": worker_id})

    return _guarded(move)


def _recall(report_id: int) -> bool:
    return _guarded(lambda: workflow.transition(
        report_id=report_id, action=Action.RECALL, actor=None, note="职能部门账号已停用，退回区指挥中心"))


class _Skip(Exception):
    """The report is no longer what it was listed as: leave it."""


def _guarded(move: Callable[[], object]) -> bool:
    """Run one move in a savepoint; a report someone else moved first is skipped, not an error."""
    try:
        with db.session.begin_nested():
            move()
        return True
    except (_Skip, AppError):
        return False
