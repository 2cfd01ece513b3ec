"""A report as its JSON shape: area chain, people, signed photo links, timeline."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm.util import identity_key

from app.auth.models import User
from app.auth.privacy import shown_name
from app.extensions import db
from app.geo import service as geo
from app.geo.models import Area
from app.integrations.models import Integration
from app.photos.service import photo_links
from app.reports.models import STATUS_TEXT, Report, ReportEvent, ReportPhoto
from app.reports.workflow import ACTION_TEXT, actions_for


def present_report(report: Report, *, viewer: User | None = None, with_timeline: bool = False,
                   loaded_areas: Iterable[Area] = (), loaded_people: Iterable[User] = (),
                   just_created: bool = False) -> dict[str, Any]:
    """The report as the API shows it (photo URLs are signed and expire); `actions` are what
    the viewer may do to it now; with its confirmations and timeline when asked. `just_created`:
    this request created it, so no report can have been linked to it yet."""
    [data] = present_reports([report], viewer=viewer, loaded_areas=loaded_areas, loaded_people=loaded_people)
    if with_timeline:
        data["confirmations"] = [] if just_created else list(db.session.scalars(
            select(Report.id).where(Report.duplicate_of_id == report.id).order_by(Report.id)))
        data["timeline"] = _timeline(report, viewer)
    return data


def present_reports(reports: Sequence[Report], *, viewer: User | None = None,
                    loaded_areas: Iterable[Area] = (), loaded_people: Iterable[User] = ()) -> list[dict[str, Any]]:
    """A page of reports, with the people, area chains and originals they name loaded once
    (`loaded_areas`, `loaded_people`: what the caller holds already, e.g. the chain a submission
    located and the worker it was routed to)."""
    people = _people({i for r in reports for i in (r.reporter_id, r.assigned_to_id, r.department_id)},
                     loaded=loaded_people)
    chains = geo.area_chains(codes={r.area_code for r in reports if r.area_code}, loaded=loaded_areas)
    sources = _sources({r.integration_id for r in reports if r.integration_id})
    original_ids = {r.duplicate_of_id for r in reports if r.duplicate_of_id}
    originals = dict(db.session.execute(select(Report.id, Report.status).where(
        Report.id.in_(original_ids))).all()) if original_ids else {}
    return [_present(r, viewer, people, chains, originals) | {"source": sources.get(r.integration_id, "app")}
            for r in reports]


def _sources(integration_ids: set[int]) -> dict[int | None, str]:
    """Names of the integrations that filed reports ("app": a rider, through the app)."""
    if not integration_ids:
        return {}
    return dict(db.session.execute(select(Integration.id, Integration.name)
                                   .where(Integration.id.in_(integration_ids))).all())


def _present(report: Report, viewer: User | None, people: dict[int, User],
             chains: dict[str, list[Any]], originals: dict[int, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": report.id, "status": report.status, "status_text": STATUS_TEXT.get(report.status, report.status),
        "category": report.category_code,
        "lat": report.lat, "lon": report.lon, "description": report.description,
        "address": report.address, "captured_at": report.captured_at,
        "area": chains.get(report.area_code, []) if report.area_code else [],
        "reporter": _brief(people.get(report.reporter_id), viewer, report.community_code),
        "assigned_to": _brief(people.get(report.assigned_to_id)),
        "distance_m": round(report.distance_m, 1) if report.distance_m is not None else None,
        "department": _brief(people.get(report.department_id)),
        "due_at": report.due_at,
        "photos": [_photo(p) for p in report.photos if p.kind == "report"],
        "flags": list(report.flags or []), "duplicate_of": report.duplicate_of_id,
        "rating": report.rating, "created_at": report.created_at, "updated_at": report.updated_at,
        "coord_sys": "wgs84",  # as stored; the API's edge converts to what the request asked for
    }
    if report.duplicate_of_id:
        status = originals.get(report.duplicate_of_id)
        data["original"] = {"id": report.duplicate_of_id, "status": status} if status else None
    if viewer is not None:
        data["actions"] = actions_for(report, viewer)
    return data


def _timeline(report: Report, viewer: User | None) -> list[dict[str, Any]]:
    events = db.session.scalars(select(ReportEvent).where(ReportEvent.report_id == report.id)
                                .order_by(ReportEvent.at, ReportEvent.id)).all()
    actors = _people({e.actor_id for e in events})
    photos = {p.id: p for p in report.photos}
    return [{
        "action": e.action, "action_text": ACTION_TEXT.get(e.action, e.action),
        "from_status": e.from_status, "to_status": e.to_status,
        "to_status_text": STATUS_TEXT.get(e.to_status, e.to_status),
        "actor": _actor(actors.get(e.actor_id), viewer, report.community_code), "note": e.note, "at": e.at,
        "photo": _photo(photos[e.photo_id]) if e.photo_id in photos else None,
    } for e in events]


def _people(ids: set[int | None], *, loaded: Iterable[User] = ()) -> dict[int, User]:
    """The users with these ids: those given or that the session holds already (the viewer)
    without a query, the others in one."""
    wanted = {i for i in ids if i is not None}
    people: dict[int, User] = {user.id: user for user in loaded
                               if user.id in wanted and not inspect(user).expired_attributes}
    for user_id in wanted - people.keys():
        held = db.session.identity_map.get(identity_key(User, user_id))
        if held is not None and not inspect(held).expired_attributes:
            people[user_id] = held
    missing = wanted - people.keys()
    if missing:
        people.update((u.id, u) for u in db.session.scalars(select(User).where(User.id.in_(missing))))
    return people


def _brief(user: User | None, viewer: User | None = None, place: str | None = None) -> dict[str, Any] | None:
    """{id, name} of a person, the name as the viewer may read it (riders: others' masked)."""
    return {"id": user.id, "name": shown_name(viewer=viewer, person=user, place=place)} if user else None


def _actor(user: User | None, viewer: User | None, place: str | None) -> dict[str, Any] | None:
    brief = _brief(user, viewer, place)
    return {**brief, "role": user.role} if user and brief else None


def _photo(photo: ReportPhoto) -> dict[str, Any]:
    return {**photo_links(image_key=photo.image_key, thumbnail_key=photo.thumbnail_key),
            "kind": photo.kind, "width": photo.width, "height": photo.height}
