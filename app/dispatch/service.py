"""Dispatch use cases for people: reassign a report (派单/改派), change a worker's or department's
account status with their reports moved on. One transaction each; views call these."""
from __future__ import annotations

from app.auth import service as accounts
from app.auth.models import User, UserStatus
from app.common import clock
from app.dispatch import assignment, handover
from app.dispatch.assignment import HOLDING
from app.extensions import db
from app.reports import idempotency
from app.reports.models import Report, Status
from app.reports.workflow import Action, check_allowed, transition

# Who held the report before, where no worker did (for the timeline's note).
FROM_TEXT = {Status.SUBMITTED: "待派单", Status.ESCALATED: "区指挥中心"}


def reassign(*, actor: User, report_id: int, worker_id: int, reason: str) -> Report:
    """A secretary or dispatcher hands a report to a named grid worker of their area."""
    report = check_allowed(report_id=report_id, action=Action.REASSIGN, actor=actor)
    worker = assignment.reassign_target(report=report, actor=actor, worker_id=worker_id)
    previous = _holder(report)
    changes = {"assigned_to_id": worker.id, "distance_m": None, "assigned_at": clock.utcnow(),
               "accepted_at": None, "assign_attempts": 0}
    if report.duplicate_of_id is not None:  # a person took it on: it no longer waits for its original
        changes["duplicate_of_id"] = None
    note = f"{previous.name if previous else FROM_TEXT[report.status]} → {worker.name}：{reason}"
    transition(report_id=report.id, action=Action.REASSIGN, actor=actor, note=note, changes=changes,
               data={"from_worker_id": previous.id if previous else None, "worker_id": worker.id,
                     "reason": reason, "original_id": report.duplicate_of_id})
    idempotency.complete_claim(report_id=report.id, status=200)  # in the same transaction
    db.session.commit()
    return report


def _holder(report: Report) -> User | None:
    """The worker holding the report now (an escalated report's last worker no longer does)."""
    if report.status not in HOLDING or report.assigned_to_id is None:
        return None
    return db.session.get(User, report.assigned_to_id)


def set_user_status(*, actor: User, user_id: int, status: UserStatus) -> User:
    """Disable or re-enable an account; a disabled grid worker's or department's open reports move
    on at once (a second transaction; the sweep repairs them if it never runs)."""
    user = accounts.set_user_status(actor=actor, user_id=user_id, status=status)
    if status == UserStatus.DISABLED:
        handover.move_on_everything_of(user=user)
        db.session.commit()
    return user
