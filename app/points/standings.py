"""Reading honour points: a rider's balance and rank, leaderboards, and their CSV export."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.auth.privacy import shown_name
from app.common import clock
from app.common.pagination import Keyset, keyset_list
from app.errors import Forbidden, NotFound, Unprocessable, ValidationFailed
from app.extensions import db
from app.geo import service as geo_service
from app.geo.models import Area, Level
from app.points import rules
from app.points.models import SCOPE_ALL, LedgerEntry, PointsTotal
from app.points.periods import ALL_TIME_START, Period, period_start

SCOPES = ("community", "street", "district", "all")
LEDGER_KEYSET = Keyset(id=LedgerEntry.id, at=LedgerEntry.created_at)
CSV_HEADER = ("名次 rank", "骑手ID rider_id", "姓名 name", "平台 platform", "积分 points",
              "上报 reports", "有效上报 valid_reports")


@dataclass(frozen=True)
class Board:
    """One leaderboard: a scope code ('*' or an area's) and a period."""

    scope: str
    area: Area | None
    period: str
    start: date

    @property
    def scope_code(self) -> str:
        return self.area.code if self.area is not None else SCOPE_ALL


# --- a rider's own points --------------------------------------------------------------------

def my_points(*, rider: User, page: int, per_page: int, cursor: str | None = None) -> dict[str, Any]:
    """Balance, this month's points, all-time ranks in the home community and overall, level, entries
    (newest first, by cursor)."""
    now = clock.utcnow()
    overall = _total_row(SCOPE_ALL, Period.ALL, ALL_TIME_START, rider.id)
    month = _total_row(SCOPE_ALL, Period.MONTH, period_start(Period.MONTH, now), rider.id)
    home = _total_row(rider.area_code, Period.ALL, ALL_TIME_START, rider.id) if rider.area_code else None
    balance = overall.points if overall else 0
    entries = keyset_list(select(LedgerEntry).where(LedgerEntry.rider_id == rider.id), keyset=LEDGER_KEYSET,
                          cursor=cursor, binding=f"ledger:{rider.id}", page=page, per_page=per_page)
    return {
        "balance": balance,
        "month_points": month.points if month else 0,
        "rank": {"community": _rank(home), "overall": _rank(overall)},
        "level": rules.level_for(balance),
        "entries": entries["items"],
        **{key: entries[key] for key in ("page", "per_page", "total", "total_capped", "next")},
    }


def rider_points(*, actor: User, rider_id: int, page: int, per_page: int) -> dict[str, Any]:
    """A rider's balance, ranks and ledger, for staff who oversee them (secretary, dispatcher, admin)."""
    rider = db.session.get(User, rider_id)
    if rider is None or rider.role != Role.RIDER:
        raise NotFound("No such rider.", code="rider_not_found")
    if actor.role != Role.ADMIN:
        own = _own_areas(actor)
        home = {a.code for a in geo_service.area_chain(code=rider.area_code)} if rider.area_code else set()
        inside = own.get("district") in home if actor.role == Role.DISPATCHER else (
            actor.role == Role.SECRETARY and rider.area_code == actor.area_code)
        if not inside:
            raise Forbidden("This rider is not in your area.", code="outside_your_area")
    return {"rider": rider, **my_points(rider=rider, page=page, per_page=per_page)}


# --- leaderboards ----------------------------------------------------------------------------

def leaderboard(*, actor: User, scope: str, area_code: str | None, period: str,
                limit: int) -> dict[str, Any]:
    """The top riders of a board the actor may see; riders see others' names masked, and their own row."""
    board = _board_for(actor, scope=scope, area_code=area_code, period=period)
    stmt = (select(PointsTotal).where(*_on_board(board))
            .order_by(PointsTotal.points.desc(), PointsTotal.rider_id.desc()).limit(limit))
    totals = list(db.session.scalars(stmt))
    mine = None
    if actor.role == Role.RIDER:
        mine = next((t for t in totals if t.rider_id == actor.id), None) or _total_row(
            board.scope_code, board.period, board.start, actor.id)
    riders = _riders({t.rider_id for t in totals} | {actor.id})
    rows = [_row(rank, total, riders[total.rider_id], actor, board)
            for rank, total in zip(rules.competition_ranks([t.points for t in totals]), totals, strict=True)]
    me = None
    if actor.role == Role.RIDER:
        me = next((row for row in rows if row["rider"]["id"] == actor.id), None) or _row(
            _rank(mine), mine, riders[actor.id], actor, board)
    return {"period": board.period, "period_start": board.start, "scope": board.scope,
            "area": board.area, "rows": rows, "me": me}


def leaderboard_csv(*, actor: User, scope: str, area_code: str | None, period: str,
                    limit: int) -> tuple[str, bytes]:
    """A leaderboard as a CSV file Excel opens with Chinese intact (UTF-8 with BOM): name, bytes."""
    board = leaderboard(actor=actor, scope=scope, area_code=area_code, period=period, limit=limit)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in board["rows"]:
        rider = row["rider"]
        writer.writerow((row["rank"], rider["id"], spreadsheet_safe(rider["name"]),
                         spreadsheet_safe(rider["platform"] or ""), row["points"], row["reports"],
                         row["valid_reports"]))
    area = board["area"].code if board["area"] is not None else "all"
    filename = f"leaderboard-{board['scope']}-{area}-{board['period']}-{board['period_start']}.csv"
    return filename, ("\ufeff" + out.getvalue()).encode("utf-8")


# --- who sees which board --------------------------------------------------------------------

def _board_for(actor: User, *, scope: str, area_code: str | None, period: str) -> Board:
    """The board asked for, checked: the area's level matches the scope, and it is the actor's."""
    if scope not in SCOPES or period not in tuple(Period):
        raise ValidationFailed(details={"fields": {"scope": ["范围或周期不正确。"]}})
    area = None
    if scope == "all":
        if area_code:
            raise ValidationFailed("全部范围的排行榜不需要指定区域。",
                                   details={"fields": {"area": ["scope=all 时不能指定区域。"]}})
    else:
        area = _area_of_scope(actor, scope, area_code)
    _check_may_see(actor, scope, area)
    return Board(scope=scope, area=area, period=period, start=period_start(period, clock.utcnow()))


def _area_of_scope(actor: User, scope: str, area_code: str | None) -> Area:
    """The board's area: the one given (of the scope's level), or the actor's own of that level."""
    if not area_code:
        area_code = _own_areas(actor).get(scope)
        if area_code is None:
            raise ValidationFailed("请指定区域（area=编码）。",
                                   details={"fields": {"area": ["这个范围必须指定区域。"]}})
    area = db.session.get(Area, area_code)
    if area is None:
        raise Unprocessable(f"没有编码为「{area_code}」的区域。", code="unknown_area",
                            details={"area": area_code})
    if area.level != scope:
        raise Unprocessable(f"「{area_code}」的层级与排行范围不一致。",
                            code="area_level_mismatch",
                            details={"area": area_code, "level": area.level, "scope": scope})
    return area


def _check_may_see(actor: User, scope: str, area: Area | None) -> None:
    if actor.role == Role.ADMIN:
        return
    own = _own_areas(actor)
    allowed = {
        Role.RIDER: SCOPES,
        Role.SECRETARY: ("community", "street"),
        Role.DISPATCHER: ("community", "street", "district"),
    }.get(Role(actor.role), ())
    if scope not in allowed:
        raise Forbidden("你不能查看这个排行榜。", code="outside_your_area")
    if area is None:
        return
    if actor.role == Role.DISPATCHER:
        inside = own.get("district") in {a.code for a in geo_service.area_chain(code=area.code)}
    else:
        inside = own.get(scope) == area.code
    if not inside:
        raise Forbidden("这不是你负责的区域。", code="outside_your_area",
                        details={"area": area.code})


def _own_areas(actor: User) -> dict[str, str]:
    """The actor's area of each level: {community, street, district} as far as they belong."""
    if actor.area_code is None:
        return {}
    return {str(area.level): area.code for area in geo_service.area_chain(code=actor.area_code)
            if area.level in (Level.COMMUNITY, Level.STREET, Level.DISTRICT)}


# --- rows ------------------------------------------------------------------------------------

def _on_board(board: Board) -> tuple[Any, ...]:
    return (PointsTotal.scope_code == board.scope_code, PointsTotal.period_kind == board.period,
            PointsTotal.period_start == board.start)


def _total_row(scope_code: str, kind: str, start: date, rider_id: int) -> PointsTotal | None:
    return db.session.get(PointsTotal, (scope_code, kind, start, rider_id))


def _rank(total: PointsTotal | None) -> int | None:
    """Competition rank on the row's board: 1 + riders with more points (None: not on it)."""
    if total is None:
        return None
    above = db.session.scalar(
        select(func.count()).select_from(PointsTotal).where(
            PointsTotal.scope_code == total.scope_code, PointsTotal.period_kind == total.period_kind,
            PointsTotal.period_start == total.period_start, PointsTotal.points > total.points))
    return (above or 0) + 1


def _riders(ids: set[int]) -> dict[int, Any]:
    """id, name, role, platform and home of each rider (only what a row shows and masking needs)."""
    rows = db.session.execute(select(User.id, User.name, User.role, User.platform, User.area_code)
                              .where(User.id.in_(sorted(ids))))
    return {row.id: row for row in rows}


def _row(rank: int | None, total: PointsTotal | None, rider: Any, actor: User,
         board: Board) -> dict[str, Any]:
    # On a community's board its secretary reads the names of every rider active there.
    place = board.scope_code if board.scope == "community" else None
    name = shown_name(viewer=actor, person=rider, place=place)
    return {
        "rank": rank,
        "rider": {"id": rider.id, "name": name, "platform": rider.platform},
        "points": total.points if total else 0,
        "reports": total.reports if total else 0,
        "valid_reports": total.valid_reports if total else 0,
    }


def spreadsheet_safe(text: str) -> str:
    """A cell's text that Excel shows as text, never runs as a formula."""
    # A name starting with = + - @ would run as a formula in Excel: quote it.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
