"""What a 送政策上门 campaign reached: deliveries, leaflets, riders and points, per rider and per grid of
its community (coverage), and its deliveries as a CSV file for Excel."""
from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.auth.privacy import shown_name
from app.campaigns.models import Campaign, Delivery
from app.campaigns.service import get_campaign
from app.common import clock
from app.errors import Forbidden
from app.extensions import db
from app.geo import service as geo
from app.geo.models import Area, Level
from app.points.standings import spreadsheet_safe

CSV_HEADER = ("编号", "时间（北京时间）", "骑手编号", "骑手", "份数", "计分份数", "积分", "网格编码", "网格", "备注")


def campaign_summary(*, campaign_id: int, for_user: User) -> dict[str, Any]:
    """A campaign's totals, its riders (most leaflets first) and its coverage of the community's grids."""
    if for_user.role not in (Role.SECRETARY, Role.ADMIN):
        raise Forbidden("只有社区书记能查看活动统计。", code="role_not_allowed")
    campaign = get_campaign(campaign_id=campaign_id, for_user=for_user)
    totals = db.session.execute(select(
        func.count(Delivery.id), func.coalesce(func.sum(Delivery.count), 0),
        func.count(func.distinct(Delivery.rider_id)), func.coalesce(func.sum(Delivery.points), 0),
    ).where(Delivery.campaign_id == campaign.id)).one()
    by_grid = _by_grid(campaign)
    in_community = [row for row in by_grid if row["in_community"]]
    return {"campaign": campaign, "deliveries": totals[0], "leaflets": int(totals[1]), "riders": totals[2],
            "points": int(totals[3]), "by_rider": _by_rider(campaign, viewer=for_user), "by_grid": by_grid,
            "grids_total": len(in_community), "grids_reached": sum(1 for row in in_community if row["deliveries"])}


def deliveries_csv(*, campaign_id: int, for_user: User) -> tuple[str, bytes]:
    """A campaign's deliveries, one a row with rider and grid, as a CSV file Excel opens with Chinese
    intact (UTF-8 with BOM; China time): its file name and bytes."""
    if for_user.role not in (Role.SECRETARY, Role.ADMIN):
        raise Forbidden("只有社区书记能导出活动记录。", code="role_not_allowed")
    campaign = get_campaign(campaign_id=campaign_id, for_user=for_user)
    rows = db.session.execute(
        select(Delivery, User, Area.name).join(User, User.id == Delivery.rider_id)
        .outerjoin(Area, Area.code == Delivery.grid_code)
        .where(Delivery.campaign_id == campaign.id).order_by(Delivery.id)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for delivery, rider, grid_name in rows:
        writer.writerow((delivery.id, clock.china_time(delivery.created_at).strftime("%Y-%m-%d %H:%M"),
                         rider.id, spreadsheet_safe(_rider_name(rider, viewer=for_user, campaign=campaign)),
                         delivery.count, delivery.credited, delivery.points, delivery.grid_code or "",
                         spreadsheet_safe(grid_name or ("" if delivery.grid_code else "不在网格内")),
                         spreadsheet_safe(delivery.note or "")))
    return f"campaign-{campaign.id}-deliveries.csv", ("\ufeff" + out.getvalue()).encode("utf-8")


def _by_rider(campaign: Campaign, *, viewer: User) -> list[dict[str, Any]]:
    """Each rider's deliveries, leaflets and points in the campaign, most leaflets first."""
    leaflets = func.sum(Delivery.count)
    rows = db.session.execute(
        select(User, func.count(Delivery.id), leaflets, func.sum(Delivery.points), func.max(Delivery.created_at))
        .join(Delivery, Delivery.rider_id == User.id).where(Delivery.campaign_id == campaign.id)
        .group_by(User.id).order_by(leaflets.desc(), User.id)).all()
    return [{"rider": {"id": rider.id, "name": _rider_name(rider, viewer=viewer, campaign=campaign)},
             "deliveries": count, "leaflets": int(sheets), "points": int(points), "last_at": last_at}
            for rider, count, sheets, points, last_at in rows]


def _by_grid(campaign: Campaign) -> list[dict[str, Any]]:
    """Every grid of the campaign's community with what reached it (none: 0), then any grid outside
    it and deliveries outside every grid; most leaflets first."""
    counts = {grid: (n, int(sheets)) for grid, n, sheets in db.session.execute(
        select(Delivery.grid_code, func.count(Delivery.id), func.sum(Delivery.count))
        .where(Delivery.campaign_id == campaign.id).group_by(Delivery.grid_code))}
    grids = {a.code: a.name for a in geo.area_with_descendants(code=campaign.area_code, down_to=Level.GRID)
             if a.level == Level.GRID}
    outside = [code for code in counts if code is not None and code not in grids]
    names = grids | dict(db.session.execute(select(Area.code, Area.name).where(Area.code.in_(outside))).all())
    codes: list[str | None] = [*grids, *outside, *([None] if None in counts else [])]
    rows = [{"grid_code": code, "grid_name": names.get(code) if code else None, "in_community": code in grids,
             "deliveries": counts.get(code, (0, 0))[0], "leaflets": counts.get(code, (0, 0))[1]}
            for code in codes]
    return sorted(rows, key=lambda row: (-row["leaflets"], row["grid_code"] is None, row["grid_code"] or ""))


def _rider_name(rider: User, *, viewer: User, campaign: Campaign) -> str:
    # The community's secretary reads the names of riders who delivered there (the privacy rule).
    return shown_name(viewer=viewer, person=rider, place=campaign.area_code)
