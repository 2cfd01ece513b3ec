"""Who may see which report: the one scope rule that reads, lists and actions all apply first."""
from __future__ import annotations

from sqlalchemy import Select, case, false, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from app.auth.models import Role, User
from app.errors import Forbidden
from app.extensions import db
from app.reports.models import Report


def visible_scopes(viewer: User) -> list[ColumnElement[bool]]:
    """What the viewer may see, as disjuncts that each walk one index: their own, assigned, or in
    their area (object-level scope). No area: nothing by area."""
    area = viewer.area_code
    if viewer.role == Role.ADMIN:
        return [true()]
    if viewer.role == Role.RIDER:
        return [Report.reporter_id == viewer.id]
    if viewer.role == Role.GRID_WORKER:
        return [Report.assigned_to_id == viewer.id, Report.community_code == area if area else false()]
    if viewer.role == Role.SECRETARY:
        return [Report.community_code == area if area else false()]
    if viewer.role == Role.DISPATCHER:
        # Reports outside the map belong to no district: every command centre sees that queue.
        return [Report.district_code == area if area else false(), Report.district_code.is_(None)]
    return [Report.department_id == viewer.id]


def reports_visible_to(viewer: User) -> Select[tuple[Report]]:
    """Every report the viewer may see: their own, assigned, or in their area (object-level scope)."""
    return select(Report).where(or_(*visible_scopes(viewer)))


def may_see(viewer: User, report: Report) -> bool:
    """True if the viewer may read this report (its scope, or a rider following it as a duplicate)."""
    visible = db.session.scalar(reports_visible_to(viewer).with_only_columns(Report.id)
                                .where(Report.id == report.id))
    return visible is not None or follows_as_duplicate(viewer, report.id)


def in_scope_sql(viewer: User) -> ColumnElement[int]:
    """1 where a report is in the viewer's scope, else 0: to read with other columns of a report
    (follows_as_duplicate still lets a rider see an original)."""
    return case((or_(*visible_scopes(viewer)), 1), else_=0)


def require_visible(viewer: User, report: Report) -> None:
    """403 unless the viewer may see the report: said before anything about its state."""
    if not may_see(viewer, report):
        raise Forbidden("你无权查看这条上报。", code="not_your_report")


def follows_as_duplicate(viewer: User, report_id: int) -> bool:
    """A rider whose own report was linked as a duplicate follows the original's progress."""
    return viewer.role == Role.RIDER and db.session.scalar(
        select(Report.id).where(Report.duplicate_of_id == report_id,
                                Report.reporter_id == viewer.id).limit(1)) is not None
