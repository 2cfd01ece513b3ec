"""When one report may name another: the original a report is rejected as a duplicate of."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.auth.models import Role, User
from app.errors import Unprocessable
from app.extensions import db
from app.reports.models import OPEN_STATUSES, Report, Status
from app.reports.visibility import may_see

# A closed hazard still counts as "the same one" this long after its fix (it may be reopened).
RECENTLY_CLOSED = timedelta(hours=72)


def original_for_duplicate(*, actor: User, report: Report, original_id: int | None,
                           now: datetime) -> Report:
    """The report that `report` may follow as a duplicate, or 422: one the actor may see, in the
    same community (a dispatcher: their district), open or recently closed, of the same category."""
    named = db.session.get(Report, original_id) if original_id else None
    if named is None or named.id == report.id or not may_see(actor, named):
        # An id the actor may not see is answered as one that does not exist.
        raise _invalid(original_id, "unknown", "请填写本辖区内重复的原上报编号。")
    root = db.session.get(Report, named.duplicate_of_id) if named.duplicate_of_id else named
    if root is None or root.id == report.id:
        raise _invalid(original_id, "unknown", "请填写本辖区内重复的原上报编号。")
    if not _same_area(actor, report, root):
        raise _invalid(original_id, "other_area", "原上报不在同一社区（区指挥中心：同一区县）。")
    if root.category_code != report.category_code:
        raise _invalid(original_id, "other_category", "原上报的类别与本上报不同。")
    if not _still_live(root, now):
        raise _invalid(original_id, "not_open", "原上报已办结或未受理，不能作为重复的原件。")
    return root


def _same_area(actor: User, report: Report, root: Report) -> bool:
    if actor.role == Role.DISPATCHER:
        # The original lies in the dispatcher's district; the duplicate there too, or off the map.
        return root.district_code == actor.area_code and report.district_code in (None, actor.area_code)
    return report.community_code is not None and root.community_code == report.community_code


def _still_live(root: Report, now: datetime) -> bool:
    if root.status in OPEN_STATUSES or root.status == Status.RESOLVED:
        return True
    return root.status == Status.CLOSED and root.closed_at is not None and root.closed_at >= now - RECENTLY_CLOSED


def _invalid(original_id: int | None, why: str, message: str) -> Unprocessable:
    return Unprocessable(message, code="invalid_duplicate_of",
                         details={"duplicate_of": original_id, "why": why})
