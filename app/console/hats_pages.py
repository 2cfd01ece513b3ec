"""Console pages of the riders' other hats: the 社情民意 inbox and its replies, 送政策上门 campaigns
(create with a leaflet, reach, CSV, close) and the community's 红色驿站 stations."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from app.auth.models import Role
from app.auth.privacy import shown_name
from app.campaigns import reach
from app.campaigns import service as campaigns
from app.campaigns.leaflets import leaflet_limits
from app.campaigns.schemas import CampaignInSchema
from app.common import clock
from app.common.pagination import paginate
from app.common.uploads import upload_bytes
from app.console import drawing
from app.console.blueprint import blp
from app.console.forms import FormResult, run_form
from app.console.pages import page_number
from app.console.session import NotForYourRole, desk_page
from app.geo import service as geo
from app.geo.models import Level
from app.photos.service import photo_store, photo_url
from app.points.periods import china_date
from app.stations import service as stations
from app.stations.models import SERVICES
from app.stations.schemas import StationInSchema
from app.suggestions import service as suggestions
from app.suggestions.schemas import ReplyInSchema

PER_PAGE = 20
REPLY_HINTS = {"reply": "请写答复（2–1000 字），骑手会看到。", "adopted": "请选择采纳或不采纳。"}
CAMPAIGN_HINTS = {"title": "请填写标题（2–60 字）。", "body": "请填写宣传内容（2–2000 字）。",
                  "starts_on": "请选择开始日期。", "ends_on": "请选择结束日期，不能早于开始日期。",
                  "points_per_delivery": "每份积分请填 0 到 10 之间的整数。",
                  "daily_cap": "每人每天计分份数请填 1 到 100 之间的整数。"}
LEAFLET_FIELDS = {code: "leaflet" for code in (
    "unsupported_leaflet_type", "leaflet_too_large", "corrupt_leaflet", "corrupt_photo", "photo_too_large",
    "photo_too_many_pixels", "unsupported_photo_type", "payload_too_large")}
STATION_HINTS = {"name": "请填写驿站名称（1–60 字）。",
                 "hours": "请填写开放时间（1–60 字），例如 08:00-22:00 或 全天。",
                 "lat": "纬度请填 -90 到 90 之间的数字，例如 38.4805。",
                 "lon": "经度请填 -180 到 180 之间的数字，例如 106.2210。",
                 "services": "请至少勾选一项服务。", "area_code": "请填写驿站所在社区的编码。",
                 "coord_sys": "请选择坐标来源。"}
STATION_FIELDS = {"area_required": "area_code", "not_a_community": "area_code", "area_not_found": "area_code",
                  "outside_your_area": "area_code"}
COORD_SYSTEMS = (("wgs84", "GPS（WGS-84，手机定位）"), ("gcj02", "高德 / 腾讯 / 微信地图（GCJ-02）"),
                 ("bd09", "百度地图（BD-09）"))


# --- 社情民意 -------------------------------------------------------------------------------------

@blp.get("/suggestions")
@desk_page(Role.SECRETARY, Role.ADMIN)
def suggestion_inbox(me):  # type: ignore[no-untyped-def]
    """The inbox: suggestions waiting for a reply first, then the replied ones; newest first."""
    page = paginate(suggestions.inbox(user=me), page=page_number(), per_page=PER_PAGE)
    return render_template("console/suggestions.html", me=me, page=page,
                           rider_name=lambda s: shown_name(viewer=me, person=s.rider, place=s.area_code))


@blp.route("/suggestions/<int:suggestion_id>", methods=["GET", "POST"])
@desk_page(Role.SECRETARY, Role.ADMIN)
def suggestion(me, suggestion_id):  # type: ignore[no-untyped-def]
    """One suggestion: the rider, time, content, place and photos; the secretary replies once."""
    form = FormResult()
    if request.method == "POST":
        if me.role != Role.SECRETARY:
            raise NotForYourRole()
        form = run_form(ReplyInSchema(), request.form, lambda f: suggestions.reply_to_suggestion(
            secretary=me, suggestion_id=suggestion_id, **f), hints=REPLY_HINTS)
        if form.ok:
            flash("已答复并采纳，骑手获得积分。" if form.value.adopted else "已答复。", "ok")
            return redirect(url_for("console.suggestion", suggestion_id=suggestion_id))
    found = suggestions.get_suggestion(suggestion_id=suggestion_id, for_user=me)
    place = geo.locate(lat=found.lat, lon=found.lon) if found.lat is not None else []
    return render_template("console/suggestion.html", me=me, s=found, form=form, place=place,
                           photos=_photo_links(found), rider_name=shown_name(
                               viewer=me, person=found.rider, place=found.area_code)), 200 if form.ok else 400


def _photo_links(item: Any) -> list[dict[str, str]]:
    """Signed links of the photos a suggestion carries (none before photos were taken with them)."""
    return [{"url": photo_url(p.image_key), "thumbnail_url": photo_url(p.thumbnail_key, variant="thumbnail")}
            for p in getattr(item, "photos", None) or ()]


# --- 送政策上门 -----------------------------------------------------------------------------------

@blp.get("/campaigns")
@desk_page(Role.SECRETARY, Role.ADMIN)
def campaign_list(me):  # type: ignore[no-untyped-def]
    """The community's campaigns: running (and upcoming) first, then ended; newest first."""
    page = paginate(campaigns.visible_campaigns(user=me), page=page_number(), per_page=50)
    today = china_date(clock.utcnow())
    phases = {c.id: campaigns.campaign_phase(c, today=today) for c in page["items"]}
    groups = (("进行中和未开始", [c for c in page["items"] if phases[c.id] != "ended"]),
              ("已结束", [c for c in page["items"] if phases[c.id] == "ended"]))
    return render_template("console/campaigns.html", me=me, page=page, phases=phases, groups=groups)


@blp.route("/campaigns/new", methods=["GET", "POST"])
@desk_page(Role.SECRETARY)
def new_campaign(me):  # type: ignore[no-untyped-def]
    """Start a campaign: title, text, period, points per leaflet, daily cap and the leaflet file."""
    form = FormResult()
    if request.method == "POST":
        upload = request.files.get("leaflet")
        leaflet = upload_bytes(upload) if upload is not None and upload.filename else None
        form = run_form(CampaignInSchema(), request.form, lambda f: campaigns.create_campaign(
            secretary=me, **f, leaflet=leaflet, store=photo_store(), limits=leaflet_limits()),
            hints=CAMPAIGN_HINTS, code_fields=LEAFLET_FIELDS)
        if form.ok:
            flash(f"活动「{form.value.title}」已开始。", "ok")
            return redirect(url_for("console.campaign", campaign_id=form.value.id))
    max_mb = current_app.config["MAX_LEAFLET_PDF_BYTES"] // (1024 * 1024)
    return render_template("console/campaign_new.html", me=me, form=form, max_mb=max_mb), 200 if form.ok else 400


@blp.get("/campaigns/<int:campaign_id>")
@desk_page(Role.SECRETARY, Role.ADMIN)
def campaign(me, campaign_id):  # type: ignore[no-untyped-def]
    """A campaign's reach: the numbers, each rider, each grid of the community, and the CSV."""
    summary = reach.campaign_summary(campaign_id=campaign_id, for_user=me)
    phase = campaigns.campaign_phase(summary["campaign"], today=china_date(clock.utcnow()))
    return render_template("console/campaign.html", me=me, summary=summary, c=summary["campaign"], phase=phase)


@blp.get("/campaigns/<int:campaign_id>/export.csv")
@desk_page(Role.SECRETARY, Role.ADMIN)
def campaign_csv(me, campaign_id):  # type: ignore[no-untyped-def]
    """The campaign's deliveries as the API's CSV (UTF-8 with BOM, China time)."""
    filename, body = reach.deliveries_csv(campaign_id=campaign_id, for_user=me)
    return current_app.response_class(body, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})


@blp.post("/campaigns/<int:campaign_id>/close")
@desk_page(Role.SECRETARY)
def close_campaign(me, campaign_id):  # type: ignore[no-untyped-def]
    """End a campaign (after the page asked to confirm): riders can no longer record deliveries."""
    closed = campaigns.close_campaign(secretary=me, campaign_id=campaign_id)
    flash(f"活动「{closed.title}」已结束。", "ok")
    return redirect(url_for("console.campaign", campaign_id=campaign_id))


# --- 红色驿站 ------------------------------------------------------------------------------------

@blp.get("/stations")
@desk_page(Role.SECRETARY, Role.ADMIN)
def station_list(me):  # type: ignore[no-untyped-def]
    """The stations the desk keeps, with what each offers."""
    page = paginate(stations.kept_stations(actor=me), page=page_number(), per_page=50)
    return render_template("console/stations.html", me=me, page=page)


@blp.route("/stations/new", methods=["GET", "POST"])
@desk_page(Role.SECRETARY, Role.ADMIN)
def new_station(me):  # type: ignore[no-untyped-def]
    """Add a station (an admin names its community)."""
    form = FormResult(data={"coord_sys": "wgs84"})
    if request.method == "POST":
        form = run_form(StationInSchema(), request.form, lambda f: stations.create_station(
            actor=me, **_place(f)), hints=STATION_HINTS, code_fields=STATION_FIELDS)
        if form.ok:
            flash(f"已添加驿站「{form.value.name}」。", "ok")
            return redirect(url_for("console.station_list"))
    return _station_form(me, form, station=None)


@blp.route("/stations/<int:station_id>", methods=["GET", "POST"])
@desk_page(Role.SECRETARY, Role.ADMIN)
def edit_station(me, station_id):  # type: ignore[no-untyped-def]
    """Change a station: every field is on the form, checked as a new one would be."""
    station = stations.get_kept_station(actor=me, station_id=station_id)
    form = FormResult(data={"name": station.name, "lat": station.lat, "lon": station.lon, "hours": station.hours,
                            "services": station.services, "coord_sys": "wgs84"})
    if request.method == "POST":
        posted = request.form.copy()
        posted["area_code"] = station.area_code  # it stays in its community
        form = run_form(StationInSchema(), posted, lambda f: stations.update_station(
            actor=me, station_id=station_id, **_place(f)), hints=STATION_HINTS, code_fields=STATION_FIELDS)
        if form.ok:
            flash(f"已保存驿站「{form.value.name}」。", "ok")
            return redirect(url_for("console.station_list"))
    return _station_form(me, form, station=station)


def _place(loaded: dict[str, Any]) -> dict[str, Any]:
    # lat/lon are WGS-84 once loaded; the datum they were typed in has done its work.
    return {key: value for key, value in loaded.items() if key != "coord_sys"}


@blp.post("/stations/<int:station_id>/remove")
@desk_page(Role.SECRETARY, Role.ADMIN)
def remove_station(me, station_id):  # type: ignore[no-untyped-def]
    """Remove a station after the confirmation on its page."""
    name = stations.remove_station(actor=me, station_id=station_id)
    flash(f"驿站「{name}」已删除。", "ok")
    return redirect(url_for("console.station_list"))


def _station_form(me, form: FormResult, *, station):  # type: ignore[no-untyped-def]
    community = station.area_code if station is not None else me.area_code
    # The community's grids to click on (an admin adding a station types its place instead).
    areas = geo.area_with_descendants(code=community, down_to=Level.GRID) if community else []
    projection, shapes = drawing.area_shapes(areas)
    return render_template("console/station_form.html", me=me, form=form, station=station, services=SERVICES,
                           coord_systems=COORD_SYSTEMS, shapes=shapes, projection=projection,
                           ), 200 if form.ok else 400
