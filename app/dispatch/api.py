"""Dispatch endpoints: grid workers' duty and location, and reassigning a report (派单/改派)."""
from __future__ import annotations

import dataclasses
from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.db import reading_only
from app.common.idempotency import IDEMPOTENCY_KEY_DOC, idempotency_key
from app.dispatch import presence, service
from app.dispatch.policy import current_policy
from app.dispatch.schemas import DutyInSchema, LocationInSchema, PresenceSchema, ReassignSchema
from app.geo import datums
from app.geo.schemas import CoordSysArgsSchema
from app.reports import handling
from app.reports.presenter import present_report
from app.reports.schemas import ReportSchema

blp = Blueprint("dispatch", __name__, url_prefix="/api/v1",
                description="Who holds each report: grid workers' duty and position, reassignment.")


@blp.route("/me/duty", methods=["GET"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(CoordSysArgsSchema, location="query")
@blp.response(200, PresenceSchema)
def get_duty(args: dict[str, str]):
    """Your duty state and last position (in `?coord_sys=`)."""
    state = presence.get_presence(worker=current_user, policy=current_policy())
    return _presence_in(state, args["coord_sys"])


@blp.route("/me/duty", methods=["PUT"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(DutyInSchema)
@blp.response(200, PresenceSchema)
def set_duty(form: dict[str, Any]):
    """Go on duty (with your position, in `coord_sys`) or off duty: your position is forgotten, and
    what is assigned to you but not accepted goes at once to the next nearest worker."""
    coord_sys = form.pop("coord_sys")
    state = presence.set_duty(worker=current_user, policy=current_policy(), **form)
    return _presence_in(state, coord_sys)


@blp.route("/me/location", methods=["POST"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(LocationInSchema)
@blp.response(200, PresenceSchema)
def record_location(form: dict[str, Any]):
    """Send your current position (in `coord_sys`) while on duty (only the latest is kept)."""
    coord_sys = form.pop("coord_sys")
    state = presence.record_location(worker=current_user, policy=current_policy(), **form)
    return _presence_in(state, coord_sys)


def _presence_in(state: presence.Presence, coord_sys: str) -> dict[str, Any]:
    return datums.point_fields_from_wgs84(dataclasses.asdict(state), coord_sys)


@blp.route("/reports/<int:report_id>/reassign", methods=["POST"])
@roles_required(Role.SECRETARY, Role.DISPATCHER)
@blp.arguments(ReassignSchema)
@blp.response(200, ReportSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY_DOC])
def reassign(body: dict[str, Any], report_id: int):
    """Hand a report to a named active grid worker of your community (secretary) or district
    (dispatcher), from submitted, assigned, accepted or escalated; the timeline records why."""
    report, replayed = handling.once(
        actor=current_user, idempotency_key=idempotency_key(),
        request={"action": "reassign", "report_id": report_id, **body},
        run=lambda: service.reassign(actor=current_user, report_id=report_id, **body))
    with reading_only():  # the change is committed; the answer only reads
        data = present_report(report, viewer=current_user, with_timeline=True)
    return data, 200, {"Idempotent-Replayed": "true"} if replayed else {}
