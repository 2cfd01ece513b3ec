"""Report statistics of an area over China days: statuses, categories, deadlines, medians, reporters."""
from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select, union_all

from app.auth import service as auth_service
from app.auth.models import Role, User, UserStatus
from app.categories.models import Category
from app.common import clock
from app.errors import Forbidden, Unprocessable, ValidationFailed
from app.extensions import db
from app.geo import service as geo_service
from app.geo.models import Area, Level
from app.points.periods import Period, china_date, china_midnight, period_start, period_start_sql
from app.reports.models import OPEN_STATUSES, Report, ReportEvent, Status
from app.reports.visibility import reports_visible_to
from app.stats.aggregates import Parts, live_parts
from app.stats.hats import other_hats
from app.stats.measures import CONFIRMED  # noqa: F401  (stats code has read "valid" from here)
from app.stats.models import (
    SCOPE_ALL,
    ReportDayCount,
    ReportDayDuration,
    ReportDayReporter,
    ReportMonthCount,
    ReportMonthDuration,
    ReportMonthReporter,
)

DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP_REPORTERS = 10
STAT_LEVELS = (Level.COMMUNITY, Level.STREET, Level.DISTRICT)


def report_stats(*, actor: User, area_code: str | None, date_from: date | None,
                 date_to: date | None) -> dict[str, Any]:
    """Statistics of the reports created in an area the actor oversees, between two China days:
    a district's (or everyone's) from the monthly and daily totals, a community's or street's from
    its reports."""
    area = _area_for(actor, area_code)
    first, last = _days(date_from, date_to)
    parts = _parts(area, first, last)
    counts = _sum_rows(parts, "counts", ("category_code", "status"),
                       ("reports", "resolved", "within_deadline"))
    by_status = {status.value: 0 for status in Status}
    for (_category, status), (reports, _r, _w) in counts.items():
        by_status[status] = by_status.get(status, 0) + reports
    resolved = sum(row[1] for row in counts.values())
    within = sum(row[2] for row in counts.values())
    histogram = _sum_rows(parts, "durations", ("measure", "bucket"), ("reports",))
    return {
        "area": area, "from": first, "to": last, "total": sum(by_status.values()),
        "by_status": by_status,
        "by_category": _by_category(counts),
        "deadline": {"resolved": resolved, "within_deadline": within,
                     "share": round(within / resolved, 4) if resolved else None},
        "median_minutes_to_accept": _median_from_histogram(histogram, "accept"),
        "median_minutes_to_resolve": _median_from_histogram(histogram, "resolve"),
        "top_reporters": _top_reporters(parts),
        **other_hats(area=area, first=first, last=last),
    }


def _parts(area: Area | None, first: date, last: date) -> list[Parts]:
    """Where each day's numbers come from: a district's (or everyone's) from the monthly and daily
    totals (see _cover); a community's or street's from its reports."""
    if area is not None and area.level != Level.DISTRICT:
        return [live_parts([*_inside(area), Report.created_at >= china_midnight(first),
                            Report.created_at < china_midnight(last + timedelta(days=1))])]
    scope = SCOPE_ALL if area is None else area.code
    months, days = _cover(first, last, today=china_date(clock.utcnow()))
    return [*(_stored_parts(MONTH_TABLES, "month", scope, lo, hi) for lo, hi in months),
            *(_stored_parts(DAY_TABLES, "day", scope, lo, hi, sign=sign) for lo, hi, sign in days)]


def _cover(first: date, last: date, *, today: date) -> tuple[list[tuple[date, date]],
                                                             list[tuple[date, date, int]]]:
    """The stored totals that add up to the days first..last: ranges of months (their first days),
    and ranges of days, each added (+1) or, where a month is read whole instead of its part, taken
    away (-1) — whichever reads fewer days up to today (later days have no reports yet)."""
    months: list[tuple[date, date]] = []
    days: list[tuple[date, date, int]] = []
    lo = first
    while lo <= last:
        start, after = lo.replace(day=1), _next_month(lo)
        hi = min(last, after - timedelta(days=1))
        rest = [(a, b) for a, b in ((start, lo - timedelta(days=1)), (hi + timedelta(days=1),
                                                                      after - timedelta(days=1))) if a <= b]
        if _days_until(rest, today) < _days_until([(lo, hi)], today):
            if months and months[-1][1] == _previous_month(start):
                months[-1] = (months[-1][0], start)  # one range of consecutive months
            else:
                months.append((start, start))
            days += [(a, b, -1) for a, b in rest]
        else:
            days.append((lo, hi, 1))
        lo = after
    return months, days


def _days_until(ranges: Sequence[tuple[date, date]], today: date) -> int:
    return sum(max(0, (min(hi, today) - lo).days + 1) for lo, hi in ranges)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _previous_month(first_day: date) -> date:
    return (first_day - timedelta(days=1)).replace(day=1)


MONTH_TABLES = (ReportMonthCount, ReportMonthDuration, ReportMonthReporter)
DAY_TABLES = (ReportDayCount, ReportDayDuration, ReportDayReporter)


def _stored_parts(tables: tuple[Any, Any, Any], period: str, scope: str, first: date, last: date, *,
                  sign: int = 1) -> Parts:
    """The totals of a scope's periods (months or days) from `first` to `last`, both included, with
    their counters times `sign`."""
    def rows(model: Any, keys: Sequence[str], counters: Sequence[str]) -> Select[Any]:
        column = getattr(model, period)
        signed = [getattr(model, c) if sign == 1 else (getattr(model, c) * sign).label(c) for c in counters]
        return select(*(getattr(model, k) for k in keys), *signed).where(
            model.scope_code == scope, column >= first, column <= last)

    counts, spans, reporters = tables
    return Parts(counts=rows(counts, ("category_code", "status"), ("reports", "resolved", "within_deadline")),
                 durations=rows(spans, ("measure", "bucket"), ("reports",)),
                 reporters=rows(reporters, ("reporter_id",), ("reports", "valid_reports")))


def _sum_rows(parts: Sequence[Parts], kind: str, keys: Sequence[str],
              values: Sequence[str]) -> dict[tuple[Any, ...], list[int]]:
    """The parts' rows of one kind added up in the database, by key."""
    union = union_all(*(getattr(part, kind) for part in parts)).subquery()
    stmt = select(*(union.c[k] for k in keys), *(func.sum(union.c[v]) for v in values)).group_by(
        *(union.c[k] for k in keys))
    return {tuple(row[:len(keys)]): [int(v or 0) for v in row[len(keys):]]
            for row in db.session.execute(stmt)}


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


def _by_category(counts: dict[tuple[Any, ...], list[int]]) -> list[dict[str, Any]]:
    per_category: dict[str, int] = {}
    for (category, _status), (reports, _r, _w) in counts.items():
        per_category[category] = per_category.get(category, 0) + reports
    names = {code: (zh, en) for code, zh, en in db.session.execute(
        select(Category.code, Category.name_zh, Category.name_en).where(
            Category.code.in_(per_category)))}
    ranked = sorted((item for item in per_category.items() if item[1]), key=lambda item: (-item[1], item[0]))
    return [{"code": code, "name_zh": names[code][0], "name_en": names[code][1], "count": count}
            for code, count in ranked]


def _median_from_histogram(histogram: dict[tuple[Any, ...], list[int]], measure: str) -> float | None:
    """The median of one measure's bucketed durations (each bucket at its lower edge), in minutes."""
    buckets = sorted((bucket, row[0]) for (kind, bucket), row in histogram.items() if kind == measure)
    count = sum(n for _b, n in buckets)
    if not count:
        return None
    middle = [(count - 1) // 2, count // 2]  # one index when count is odd, the two middle ones if even
    values, seen = [], 0
    for bucket, n in buckets:
        while middle and middle[0] < seen + n:
            values.append(bucket)
            middle.pop(0)
        seen += n
    return round(sum(values) / len(values) / 10, 1)


def _top_reporters(parts: Sequence[Parts]) -> list[dict[str, Any]]:
    union = union_all(*(part.reporters for part in parts)).subquery()
    reports = func.sum(union.c.reports)
    rows = db.session.execute(
        select(union.c.reporter_id, reports, func.sum(union.c.valid_reports))
        .group_by(union.c.reporter_id).having(reports > 0)
        .order_by(reports.desc(), union.c.reporter_id).limit(TOP_REPORTERS)).all()
    users = {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_([row[0] for row in rows])))}
    return [{"rider": users[rider_id], "reports": int(count), "valid_reports": int(valid or 0)}
            for rider_id, count, valid in rows]


# --- the desk: what needs attention, weekly trend, grid worker assessment (网格考评) -----------

TREND_WEEKS = 12


def desk_summary(*, actor: User) -> dict[str, Any]:
    """What needs the actor's attention now: open reports in scope by status, overdue ones, riders
    waiting for approval (secretaries and admins)."""
    visible = reports_visible_to(actor).where(Report.status.in_(OPEN_STATUSES)).subquery()
    open_by_status = {status.value: 0 for status in OPEN_STATUSES}
    open_by_status.update(db.session.execute(
        select(visible.c.status, func.count()).group_by(visible.c.status)).all())
    overdue = db.session.scalar(select(func.count()).select_from(visible).where(
        visible.c.status == Status.DISPATCHED, visible.c.due_at < clock.utcnow())) or 0
    pending = None
    if actor.role in (Role.SECRETARY, Role.ADMIN):
        pending_riders = auth_service.list_users(actor=actor, role=Role.RIDER, status=UserStatus.PENDING)
        pending = db.session.scalar(select(func.count()).select_from(pending_riders.subquery())) or 0
    return {"open_by_status": open_by_status, "overdue": overdue, "pending_riders": pending}


def weekly_trend(*, actor: User, area_code: str | None, weeks: int = TREND_WEEKS) -> list[dict[str, Any]]:
    """Reports created and resolved per China week (Monday first), the last `weeks` weeks, oldest first."""
    area = _area_for(actor, area_code)
    this_week = period_start(Period.WEEK, clock.utcnow())
    first = this_week - timedelta(weeks=weeks - 1)
    dialect = db.session.get_bind().dialect.name
    counts: dict[str, dict[date, int]] = {}
    for name, column in (("created", Report.created_at), ("resolved", Report.resolved_at)):
        week = period_start_sql(Period.WEEK, column, dialect)
        rows = db.session.execute(select(week, func.count()).where(
            column >= china_midnight(first), *_inside(area)).group_by(week)).all()
        counts[name] = {_as_date(day): count for day, count in rows}
    days = [first + timedelta(weeks=i) for i in range(weeks)]
    return [{"week": day, "created": counts["created"].get(day, 0),
             "resolved": counts["resolved"].get(day, 0)} for day in days]


def worker_assessment(*, actor: User, area_code: str | None, date_from: date | None,
                      date_to: date | None) -> list[dict[str, Any]]:
    """Per grid worker of the area, over reports created between two China days: assigned, accepted
    within the category's accept deadline, resolved, and the reporters' average rating."""
    area = _area_for(actor, area_code)
    first, last = _days(date_from, date_to)
    where = [Report.created_at >= china_midnight(first),
             Report.created_at < china_midnight(last + timedelta(days=1)), *_inside(area)]
    rows = {worker.id: {"worker": worker, "assigned": 0, "accepted_in_time": 0, "accepted": 0,
                        "resolved": 0, "ratings": []} for worker in _grid_workers(area)}
    assignee = ReportEvent.data["worker_id"].as_integer()
    for worker_id, count in db.session.execute(
            select(assignee, func.count()).join(Report, Report.id == ReportEvent.report_id)
            .where(ReportEvent.action == "assign", *where).group_by(assignee)):
        if worker_id in rows:
            rows[worker_id]["assigned"] = count
    _count_accepts(rows, where)
    _count_resolutions(rows, where)
    return [_assessment_row(row) for row in rows.values()]


def _count_accepts(rows: dict[int, dict[str, Any]], where: Sequence[Any]) -> None:
    accepts = db.session.execute(
        select(ReportEvent.actor_id, ReportEvent.at, Report.assigned_at, Report.created_at,
               Category.accept_minutes)
        .join(Report, Report.id == ReportEvent.report_id)
        .join(Category, Category.code == Report.category_code)
        .where(ReportEvent.action == "accept", *where))
    for worker_id, at, assigned_at, created_at, minutes in accepts:
        if worker_id in rows:
            rows[worker_id]["accepted"] += 1
            on_time = at <= (assigned_at or created_at) + timedelta(minutes=minutes)
            rows[worker_id]["accepted_in_time"] += int(on_time)


def _count_resolutions(rows: dict[int, dict[str, Any]], where: Sequence[Any]) -> None:
    resolutions = db.session.execute(
        select(ReportEvent.actor_id, Report.rating).join(Report, Report.id == ReportEvent.report_id)
        .where(ReportEvent.action == "resolve", *where))
    for worker_id, rating in resolutions:
        if worker_id in rows:
            rows[worker_id]["resolved"] += 1
            if rating is not None:
                rows[worker_id]["ratings"].append(rating)


def _assessment_row(row: dict[str, Any]) -> dict[str, Any]:
    ratings = row.pop("ratings")
    row["average_rating"] = round(statistics.fmean(ratings), 2) if ratings else None
    row["rated"] = len(ratings)
    return row


def _grid_workers(area: Area | None) -> list[User]:
    stmt = select(User).where(User.role == Role.GRID_WORKER).order_by(User.name, User.id)
    if area is not None and area.level == Level.COMMUNITY:
        stmt = stmt.where(User.area_code == area.code)
    elif area is not None:
        stmt = stmt.where(User.area_code.in_(_communities_under(area)))
    return list(db.session.scalars(stmt))


def _communities_under(area: Area) -> Any:
    if area.level == Level.STREET:
        return select(Area.code).where(Area.parent_code == area.code)
    streets = select(Area.code).where(Area.parent_code == area.code)
    return select(Area.code).where(Area.parent_code.in_(streets))


def _as_date(value: Any) -> date:
    # SQLite answers the period's first day as text, PostgreSQL as a date.
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
