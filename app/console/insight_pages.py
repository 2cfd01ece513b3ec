"""Console pages that show an area at a glance: the grid map and the statistics (网格考评)."""
from __future__ import annotations

from typing import Any

from flask import render_template, request

from app.auth.models import Role
from app.common.pagination import paginate
from app.console import drawing
from app.console.blueprint import blp
from app.console.forms import run_form
from app.console.session import NotForYourRole, desk_page
from app.geo import service as geo
from app.geo.models import Level
from app.reports import service as reports_service
from app.stats import service as stats_service
from app.stats.schemas import StatsArgsSchema

MAP_REPORTS = 500  # the newest open reports drawn on the map
# How far down each map goes: a community to its micro-grids, a district to its grids.
MAP_DEPTH = {Level.COMMUNITY: Level.MICRO_GRID, Level.STREET: Level.GRID, Level.DISTRICT: Level.GRID}
STATS_HINTS = {"from": "开始日期格式应为 年-月-日，且不晚于结束日期。", "to": "结束日期格式应为 年-月-日。",
               "area": "区域编码有误。"}


@blp.get("/map")
@desk_page(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
def area_map(me):  # type: ignore[no-untyped-def]
    """The person's community or district: grids and micro-grids as shapes, open reports as points."""
    code = _map_area_code(me)
    root = geo.get_area(code=code)
    areas = geo.area_with_descendants(code=code, down_to=MAP_DEPTH.get(Level(root.level), Level.GRID))
    projection, shapes = drawing.area_shapes(areas)
    open_reports = reports_service.load_reports(
        reports_service.list_reports(viewer=me, open_only=True, per_page=MAP_REPORTS))
    inside = {a.code for a in areas}
    points = [{"report": r, "xy": projection.point(r.lon, r.lat)} for r in open_reports
              if r.area_code in inside or r.community_code in inside or r.district_code in inside]
    return render_template("console/map.html", me=me, root=root, shapes=shapes, points=points,
                           projection=projection)


def _map_area_code(me) -> str:  # type: ignore[no-untyped-def]
    """Staff see their own area; admins pick any district (the first one by default)."""
    if me.role != Role.ADMIN:
        if not me.area_code:
            raise NotForYourRole()
        return me.area_code
    wanted = request.args.get("area", "")
    districts = [a.code for a in paginate(geo.list_areas(level=Level.DISTRICT), page=1, per_page=100)["items"]]
    return wanted if wanted in districts else (districts[0] if districts else "")


@blp.get("/stats")
@desk_page(Role.SECRETARY, Role.DISPATCHER, Role.ADMIN)
def stats(me):  # type: ignore[no-untyped-def]
    """Counts by category and status, deadlines, medians, weekly trend and each grid worker's record."""
    form = run_form(StatsArgsSchema(), request.args.to_dict(), lambda a: _stats_of(me, a),
                    hints=STATS_HINTS, code_fields={"outside_your_area": "area", "unknown_area": "area"})
    return render_template("console/stats.html", me=me, form=form, data=form.value), 200 if form.ok else 400


def _stats_of(me, args: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    period = {"area_code": args["area"], "date_from": args["from_"], "date_to": args["to"]}
    return {"report": stats_service.report_stats(actor=me, **period),
            "trend": stats_service.weekly_trend(actor=me, area_code=args["area"]),
            "workers": stats_service.worker_assessment(actor=me, **period)}
