"""Report statistics of an area over China days: statuses, categories, deadlines, medians, reporters."""
from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select

from app.auth.models import Role, User
from app.categories.models import Category
from app.common import clock
from app.errors import Forbidden, Unprocessable, ValidationFailed
from app.extensions import db
from app.geo import service as geo_service
from app.geo.models import Area, Level
from app.points.periods import china_date, china_midnight
from app.reports.models import Report, Status

DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP_REPORTERS = 10
CONFIRMED = (Status.DISPATCHED, Status.RESOLVED, Status.CLOSED)
STAT_LEVELS = (Level.COMMUNITY, Level.STREET, Level.DISTRICT)


def report_stats(*, actor: User, area_code: str | None, date_from: date | None,
                 date_to: date | None) -> dict[str, Any]:
    """Statistics of the reports created in an area the actor oversees, between two China days."""
    area = _area_for(actor, area_code)
    first, last = _days(date_from, date_to)
    where = [Report.created_at >= china_midnight(first),
             Report.created_at < china_midnight(last + timedelta(days=1)), *_inside(area)]
    by_status = {status.value: 0 for status in Status}
    by_status.update(db.session.execute(
        select(Report.status, func.count()).where(*where).group_by(Report.status)).all())
    timings = db.session.execute(
        select(Report.created_at, Report.accepted_at, Report.resolved_at, Category.resolve_hours)
        .join(Category, Category.code == Report.category_code)
        .where(*where, or_(Report.accepted_at.is_not(None), Report.resolved_at.is_not(None)))
    ).all()
    return {
        "area": area, "from": first, "to": last, "total": sum(by_status.values()),
        "by_status": by_status,
        "by_category": _by_category(where),
        "deadline": _deadline_compliance(timings),
        "median_minutes_to_accept": _median_minutes(
            [accepted - created for created, accepted, _r, _h in timings if accepted is not None]),
        "median_minutes_to_resolve": _median_minutes(
            [resolved - created for created, _a, resolved, _h in timings if resolved is not None]),
        "top_reporters": _top_reporters(where),
    }


def _area_for(actor: User, area_code: str | None) -> Area | None:
    """The area asked for (a community, street or district) if the actor oversees it; else 403."""
    if area_code is None and actor.role != Role.ADMIN:
        area_code = actor.area_code
    if area_code is None:
        if actor.role == Role.ADMIN:
            return None
        raise Unprocessable("你还没有所属区域。", code="no_area")
    area = db.session.get(Area, area_code)
    if area is None or area.level not in STAT_LEVELS:
        raise Unprocessable(f"「{area_code}」不是社区、街道或区县。",
                            code="unknown_area", details={"area": area_code})
    if actor.role == Role.ADMIN:
        return area
    chain = {a.code for a in geo_service.area_chain(code=area.code)}
    mine = (actor.role == Role.SECRETARY and area.code == actor.area_code) or (
        actor.role == Role.DISPATCHER and actor.area_code in chain)
    if not mine:
        raise Forbidden("这不是你负责的区域。", code="outside_your_area", details={"area": area.code})
    return area


def _days(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    last = date_to or china_date(clock.utcnow())
    first = date_from or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationFailed("开始日期不能晚于结束日期。",
                               details={"fields": {"from": ["晚于结束日期。"]}})
    if (last - first).days >= MAX_DAYS:
        raise ValidationFailed(f"一次最多查询{MAX_DAYS}天。",
                               details={"fields": {"from": [f"距结束日期超过{MAX_DAYS}天。"]}})
    return first, last


def _inside(area: Area | None) -> list[Any]:
    if area is None:
        return []
    if area.level == Level.COMMUNITY:
        return [Report.community_code == area.code]
    if area.level == Level.DISTRICT:
        return [Report.district_code == area.code]
    communities = select(Area.code).where(Area.parent_code == area.code)
    return [Report.community_code.in_(communities)]


def _by_category(where: Sequence[Any]) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Category.code, Category.name_zh, Category.name_en, func.count(Report.id))
        .join(Report, Report.category_code == Category.code).where(*where)
        .group_by(Category.code, Category.name_zh, Category.name_en)
        .order_by(func.count(Report.id).desc(), Category.code))
    return [{"code": code, "name_zh": zh, "name_en": en, "count": count} for code, zh, en, count in rows]


def _deadline_compliance(timings: Sequence[tuple[datetime, Any, Any, int]]) -> dict[str, Any]:
    """Of the resolved reports: how many within created_at + the category's resolve hours."""
    resolved = [(created, done, hours) for created, _a, done, hours in timings if done is not None]
    within = sum(1 for created, done, hours in resolved if done <= created + timedelta(hours=hours))
    return {"resolved": len(resolved), "within_deadline": within,
            "share": round(within / len(resolved), 4) if resolved else None}


def _median_minutes(durations: Sequence[timedelta]) -> float | None:
    if not durations:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 60, 1)


def _top_reporters(where: Sequence[Any]) -> list[dict[str, Any]]:
    count = func.count(Report.id)
    rows = db.session.execute(
        select(User, count, func.sum(case((Report.status.in_(CONFIRMED), 1), else_=0)))
        .join(Report, Report.reporter_id == User.id).where(*where)
        .group_by(User.id).order_by(count.desc(), User.id).limit(TOP_REPORTERS))
    return [{"rider": user, "reports": reports, "valid_reports": int(valid or 0)}
            for user, reports, valid in rows]
