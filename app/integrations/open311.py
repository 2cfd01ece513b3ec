"""Open311 GeoReport v2 as GridSnap speaks it: services from categories, requests from reports."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, select

from app.auth.models import User
from app.categories.models import Category
from app.categories.service import list_categories
from app.common import clock
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.geo.datums import from_wgs84
from app.geo.models import Area, Level
from app.integrations.models import Integration
from app.photos.service import photo_url
from app.reports.models import OPEN_STATUSES, Report, ReportEvent, Status

MAX_REQUESTS = 1000
MAX_WINDOW = timedelta(days=90)
CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED, Status.REJECTED)
OPEN311_STATUS = {**{s.value: "open" for s in OPEN_STATUSES}, **{s.value: "closed" for s in CLOSED_STATUSES}}
_TOKEN_SALT = "open311-token"


# --- services --------------------------------------------------------------------------------

def services() -> list[dict[str, Any]]:
    """The service list: one service per active category, named in Chinese."""
    return [_service(category) for category in list_categories()]


def service_definition(*, code: str) -> dict[str, Any]:
    """A service's definition (GridSnap's services take no extra attributes)."""
    category = db.session.get(Category, code)
    if category is None or not category.active:
        raise NotFound("没有这个服务编码。", code="unknown_service_code")
    return {"service_code": category.code, "attributes": []}


def _service(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "service_name": category.name_zh,
            "description": category.name_en, "metadata": False, "type": "realtime",
            "keywords": "紧急" if category.urgent else "", "group": "网格随手拍"}


# --- tokens ----------------------------------------------------------------------------------

def token_for(report_id: int) -> str:
    """An opaque token for a created request (signed: nothing to store, nothing to guess)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT).dumps(report_id)


def resolve_token(*, token: str) -> dict[str, str]:
    """The request a token stands for; NotFound for anything not issued here."""
    try:
        report_id = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT).loads(token)
    except BadSignature:
        raise NotFound("没有这个 token。", code="unknown_token") from None
    if not isinstance(report_id, int) or db.session.get(Report, report_id) is None:
        raise NotFound("没有这个 token。", code="unknown_token")
    return {"service_request_id": str(report_id), "token": token}


# --- requests --------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequestQuery:
    """GET requests: ids (override the rest), or codes, a window of ≤ 90 days and open/closed."""

    ids: Sequence[int] = ()
    service_codes: Sequence[str] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: Sequence[str] = ()


def find_requests(*, reader: Integration | None, query: RequestQuery) -> list[Report]:
    """Reports a reader may see (a key: those in its area; public reading: all), newest first."""
    stmt = select(Report).order_by(Report.created_at.desc(), Report.id.desc()).limit(MAX_REQUESTS)
    if reader is not None:
        stmt = stmt.where(_within(reader.area_code))
    if query.ids:
        return list(db.session.scalars(stmt.where(Report.id.in_(list(query.ids)))))
    start, end = _window(query.start, query.end)
    stmt = stmt.where(Report.created_at >= start, Report.created_at <= end)
    if query.service_codes:
        stmt = stmt.where(Report.category_code.in_(list(query.service_codes)))
    if query.statuses:
        wanted = [gs for gs, o311 in OPEN311_STATUS.items() if o311 in query.statuses]
        stmt = stmt.where(Report.status.in_(wanted))
    return list(db.session.scalars(stmt))


def get_request(*, reader: Integration | None, report_id: int) -> Report:
    """One request the reader may see; NotFound otherwise (a key learns nothing outside its area)."""
    found = find_requests(reader=reader, query=RequestQuery(ids=[report_id]))
    if not found:
        raise NotFound("没有这个服务请求。", code="request_not_found")
    return found[0]


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    if start is None and end is None:
        end = clock.utcnow()
    end = end if end is not None else start + MAX_WINDOW  # type: ignore[operator]
    start = start if start is not None else end - MAX_WINDOW
    if start > end:
        raise ValidationFailed("start_date 不能晚于 end_date。", code="invalid_date_range")
    if end - start > MAX_WINDOW:
        raise ValidationFailed("查询时间跨度不能超过90天。", code="date_range_too_long")
    return start, end


def _within(area_code: str) -> ColumnElement[bool]:
    """Reports located in the area (at any level of the tree)."""
    area = db.session.get(Area, area_code)
    level = area.level if area else None
    if level == Level.DISTRICT:
        return Report.district_code == area_code
    if level == Level.COMMUNITY:
        return Report.community_code == area_code
    if level == Level.STREET:
        return Report.community_code.in_(select(Area.code).where(Area.parent_code == area_code))
    children = select(Area.code).where(Area.parent_code == area_code)
    return (Report.area_code == area_code) | Report.area_code.in_(children)


def present_requests(reports: Sequence[Report], *, coord_sys: str = "wgs84",
                     with_media: bool = True) -> list[dict[str, Any]]:
    """Reports as Open311 service requests: no rider's name or phone, ever (`with_media`: a signed,
    expiring photo link; not for bodies kept to be sent later)."""
    categories = {c.code: c.name_zh for c in db.session.scalars(select(Category))}
    ids = [r.id for r in reports]
    notes = _last_notes(ids)
    agencies = _agencies(reports)
    return [_request(r, categories, notes, agencies, coord_sys, with_media) for r in reports]


def _request(report: Report, categories: dict[str, str], notes: dict[int, str],
             agencies: dict[int, str | None], coord_sys: str, with_media: bool) -> dict[str, Any]:
    lat, lon = from_wgs84(report.lat, report.lon, coord_sys)
    photo = next((p for p in report.photos if p.kind == "report"), None) if with_media else None
    return {
        "service_request_id": str(report.id),
        "status": OPEN311_STATUS.get(report.status, "open"),
        "status_notes": notes.get(report.id),
        "service_name": categories.get(report.category_code, report.category_code),
        "service_code": report.category_code,
        "description": report.description,
        "agency_responsible": agencies.get(report.id),
        "service_notice": None,
        "requested_datetime": report.created_at.isoformat(),
        "updated_datetime": report.updated_at.isoformat(),
        "expected_datetime": report.due_at.isoformat() if report.due_at else None,
        "address": report.address,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "coord_sys": coord_sys,
        "media_url": photo_url(photo.image_key, external=True) if photo else None,
    }


def _last_notes(report_ids: Sequence[int]) -> dict[int, str]:
    """The latest note on each report's timeline (what the hotline reads back as 回音)."""
    if not report_ids:
        return {}
    rows = db.session.execute(
        select(ReportEvent.report_id, ReportEvent.note)
        .where(ReportEvent.report_id.in_(list(report_ids)), ReportEvent.note.is_not(None))
        .order_by(ReportEvent.at, ReportEvent.id))
    return {report_id: note for report_id, note in rows}


def _agencies(reports: Sequence[Report]) -> dict[int, str | None]:
    """Who answers for each report: the department it was dispatched to, else its community."""
    departments = {r.department_id for r in reports if r.department_id}
    communities = {r.community_code for r in reports if r.community_code}
    names = _names(select(User.id, User.name).where(User.id.in_(departments)))
    areas = _names(select(Area.code, Area.name).where(Area.code.in_(communities)))
    return {r.id: names.get(r.department_id) or areas.get(r.community_code) for r in reports}


def _names(stmt: Any) -> dict[Any, str]:
    return dict(db.session.execute(stmt).all())
