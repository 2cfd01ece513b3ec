"""Grid map and presence endpoints: import, list, locate, responsible workers, duty, location."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.pagination import paginate
from app.errors import ValidationFailed
from app.geo import presence, service
from app.geo.schemas import (
    AreaDetailSchema,
    AreaFilterSchema,
    AreaPageSchema,
    AreaWorkersInSchema,
    AreaWorkersSchema,
    DutyInSchema,
    ImportResultSchema,
    LocateArgsSchema,
    LocateSchema,
    LocationInSchema,
    PresenceSchema,
)

blp = Blueprint(
    "geo", __name__, url_prefix="/api/v1", description="Grid map, responsible workers, presence."
)

IMPORT_BODY = {
    "required": True,
    "content": {
        "application/geo+json": {"schema": {"type": "object"}},
        "application/json": {"schema": {"type": "object"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
    },
}


def _uploaded_map() -> bytes:
    """The map file: the `file` part of a multipart form, else the raw request body."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(
                "请把 GeoJSON 文件放在表单字段 file 中上传。",
                details={"fields": {"file": ["缺少文件。"]}},
            )
        return upload.read()
    return request.get_data()


def _fresh_minutes() -> int:
    return current_app.config["PRESENCE_FRESH_MINUTES"]


@blp.route("/areas/import", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.doc(requestBody=IMPORT_BODY)
@blp.response(200, ImportResultSchema)
def import_areas():
    """Import a GeoJSON FeatureCollection of areas; all-or-nothing, re-import changes nothing."""
    return service.import_areas(source=_uploaded_map())


@blp.route("/areas", methods=["GET"])
@roles_required()
@blp.arguments(AreaFilterSchema, location="query")
@blp.response(200, AreaPageSchema)
def list_areas(args: dict[str, Any]):
    """Areas by code, filtered by ?level= and ?parent=."""
    stmt = service.list_areas(level=args.get("level"), parent_code=args.get("parent"))
    return paginate(stmt, page=args["page"], per_page=args["per_page"])


@blp.route("/areas/locate", methods=["GET"])
@roles_required()
@blp.arguments(LocateArgsSchema, location="query")
@blp.response(200, LocateSchema)
def locate(args: dict[str, float]):
    """The areas containing a point, most specific first; an empty list when none does."""
    return {"areas": service.locate(lat=args["lat"], lon=args["lon"])}


@blp.route("/areas/<string:code>", methods=["GET"])
@roles_required()
@blp.response(200, AreaDetailSchema)
def get_area(code: str):
    """One area with its GeoJSON geometry."""
    return service.get_area(code=code)


@blp.route("/areas/<string:code>/workers", methods=["GET"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.response(200, AreaWorkersSchema)
def list_area_workers(code: str):
    """The grid workers responsible for a grid or micro-grid."""
    return {"area_code": code, "workers": service.list_area_workers(actor=current_user, code=code)}


@blp.route("/areas/<string:code>/workers", methods=["PUT"])
@roles_required(Role.ADMIN, Role.SECRETARY)
@blp.arguments(AreaWorkersInSchema)
@blp.response(200, AreaWorkersSchema)
def set_area_workers(form: dict[str, list[int]], code: str):
    """Set the grid workers responsible for a grid or micro-grid (secretary: own community)."""
    workers = service.set_area_workers(actor=current_user, code=code, user_ids=form["user_ids"])
    return {"area_code": code, "workers": workers}


@blp.route("/me/duty", methods=["GET"])
@roles_required(Role.GRID_WORKER)
@blp.response(200, PresenceSchema)
def get_duty():
    """Your duty state and last position."""
    return presence.get_presence(worker=current_user, fresh_minutes=_fresh_minutes())


@blp.route("/me/duty", methods=["PUT"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(DutyInSchema)
@blp.response(200, PresenceSchema)
def set_duty(form: dict[str, Any]):
    """Go on duty (with your position) or off duty (your position is forgotten)."""
    return presence.set_duty(worker=current_user, fresh_minutes=_fresh_minutes(), **form)


@blp.route("/me/location", methods=["POST"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(LocationInSchema)
@blp.response(200, PresenceSchema)
def record_location(form: dict[str, Any]):
    """Send your current position while on duty (only the latest is kept)."""
    return presence.record_location(worker=current_user, fresh_minutes=_fresh_minutes(), **form)
