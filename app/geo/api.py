"""Grid map endpoints: import, list, locate, responsible workers."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.pagination import paginate
from app.errors import ValidationFailed
from app.geo import datums, service
from app.geo.models import Area
from app.geo.schemas import (
    AreaDetailSchema,
    AreaFilterSchema,
    AreaPageSchema,
    AreaWorkersInSchema,
    AreaWorkersSchema,
    CoordSysArgsSchema,
    ImportResultSchema,
    LocateArgsSchema,
    LocateSchema,
)

blp = Blueprint(
    "geo", __name__, url_prefix="/api/v1", description="Grid map, responsible workers."
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


@blp.route("/areas/import", methods=["POST"])
@roles_required(Role.ADMIN)
@blp.arguments(CoordSysArgsSchema, location="query")
@blp.doc(requestBody=IMPORT_BODY)
@blp.response(200, ImportResultSchema)
def import_areas(args: dict[str, str]):
    """Import a GeoJSON FeatureCollection of areas (`?coord_sys=gcj02` for maps drawn on AMap);
    all-or-nothing, re-import changes nothing."""
    return service.import_areas(source=_uploaded_map(), coord_sys=args["coord_sys"])


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
def locate(args: dict[str, Any]):
    """The areas containing a point (in `coord_sys`), most specific first; [] when none does."""
    return {"areas": service.locate(lat=args["lat"], lon=args["lon"]), "coord_sys": args["coord_sys"]}


@blp.route("/areas/<string:code>", methods=["GET"])
@roles_required()
@blp.arguments(CoordSysArgsSchema, location="query")
@blp.response(200, AreaDetailSchema)
def get_area(args: dict[str, str], code: str):
    """One area with its GeoJSON geometry, in `?coord_sys=` (default WGS-84)."""
    return _area_in(service.get_area(code=code), args["coord_sys"])


def _area_in(area: Area, coord_sys: str) -> dict[str, Any]:
    geometry = area.geometry
    if geometry is not None:
        geometry = datums.geometry_from_wgs84(geometry, coord_sys)
    data = {"code": area.code, "name": area.name, "level": area.level,
            "parent_code": area.parent_code, "geometry": geometry, "bbox": None, "coord_sys": coord_sys}
    if area.min_lon is not None:
        corners = [datums.from_wgs84(lat, lon, coord_sys)
                   for lat, lon in ((area.min_lat, area.min_lon), (area.max_lat, area.max_lon))]
        data["bbox"] = [corners[0][1], corners[0][0], corners[1][1], corners[1][0]]
    return data


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
