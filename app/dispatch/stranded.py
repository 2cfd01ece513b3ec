"""Open reports nobody can move: the invariant "nothing is ever stranded", as queries.

Every open report has an active person or queue that can move it (docs/ARCHITECTURE.md, section 5,
step 7): `assigned` and `accepted` ones an active grid worker, `dispatched` ones an active
department, `escalated` ones the district's queue, and a `submitted` one the original it follows
(while that original is still going). Whatever breaks this is listed with the repair it needs.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from app.auth.models import Role, User, UserStatus
from app.dispatch.assignment import HOLDING
from app.extensions import db
from app.reports.models import OPEN_STATUSES, Report, Status

# An original in one of these still carries its followers (resolved: they close with it).
CARRYING = (*OPEN_STATUSES, Status.RESOLVED)


class Repair(StrEnum):
    ROUTE = "route"  # submitted, following nothing (or nothing that is still going): route it
    HAND_BACK = "hand_back"  # held by someone who is no longer an active grid worker
    RECALL = "recall"  # with a department that is no longer active: back to the district


@dataclass(frozen=True)
class Stranded:
    report_id: int
    repair: Repair


def find_stranded() -> list[Stranded]:
    """Every open report that breaks the invariant, oldest first."""
    found = [Stranded(i, Repair.ROUTE) for i in _unrouted()]
    found += [Stranded(i, Repair.HAND_BACK) for i in _held_by_nobody_active(Role.GRID_WORKER)]
    found += [Stranded(i, Repair.RECALL) for i in _held_by_nobody_active(Role.DEPARTMENT)]
    return sorted(found, key=lambda s: s.report_id)


def _unrouted() -> list[int]:
    original = aliased(Report)
    stmt = (select(Report.id).outerjoin(original, original.id == Report.duplicate_of_id)
            .where(Report.status == Status.SUBMITTED,
                   or_(original.id.is_(None), original.status.not_in(CARRYING))))
    return list(db.session.scalars(stmt))


def _held_by_nobody_active(role: Role) -> list[int]:
    holder_id = Report.assigned_to_id if role == Role.GRID_WORKER else Report.department_id
    statuses = HOLDING if role == Role.GRID_WORKER else (Status.DISPATCHED,)
    stmt = (select(Report.id)
            .outerjoin(User, and_(User.id == holder_id, User.role == role,
                                  User.status == UserStatus.ACTIVE))
            .where(Report.status.in_(statuses), User.id.is_(None)))
    return list(db.session.scalars(stmt))
