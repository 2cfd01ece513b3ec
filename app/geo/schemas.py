"""In and out shapes of the grid map."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from app.common.fields import Id
from app.common.pagination import PageArgsSchema, page_schema
from app.geo.datums import COORD_SYSTEMS, CoordSys, to_wgs84
from app.geo.models import Level
from app.geo.service import MAX_WORKERS_PER_AREA

LEVELS = [level.value for level in Level]
LAT = fields.Float(required=True, validate=validate.Range(-90, 90))
LON = fields.Float(required=True, validate=validate.Range(-180, 180))

COORD_SYS_DOC = ("Datum of lat/lon: wgs84 (GNSS, browsers, EXIF), gcj02 (WeChat, AMap, Tencent) "
                 "or bd09 (Baidu)")


def coord_sys_field() -> fields.String:
    """The `coord_sys` parameter: which datum a point comes in or goes out in (default WGS-84)."""
    return fields.String(load_default=CoordSys.WGS84.value, validate=validate.OneOf(COORD_SYSTEMS),
                         metadata={"description": COORD_SYS_DOC, "enum": list(COORD_SYSTEMS)})


class CoordSysArgsSchema(Schema):
    """`?coord_sys=`: the datum the answer's points and geometries are given in."""

    coord_sys = coord_sys_field()


class PointInSchema(Schema):
    """A body or query whose `lat`/`lon` come in `coord_sys`: loaded as WGS-84, which is all that is
    stored and compared; `coord_sys` stays in the loaded data for the answer."""

    coord_sys = coord_sys_field()

    @post_load
    def _to_wgs84(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("lat") is not None and data.get("lon") is not None:
            data["lat"], data["lon"] = to_wgs84(data["lat"], data["lon"], data["coord_sys"])
        return data


class AreaSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"enum": LEVELS})
    parent_code = fields.String(allow_none=True)


class AreaDetailSchema(AreaSchema):
    geometry = fields.Dict(
        allow_none=True, metadata={"description": "GeoJSON Polygon/MultiPolygon"}
    )
    bbox = fields.List(fields.Float(), allow_none=True,
                       metadata={"description": "[min_lon, min_lat, max_lon, max_lat]"})
    coord_sys = fields.String(metadata={"description": "Datum of geometry and bbox in this answer"})


class AreaFilterSchema(PageArgsSchema):
    level = fields.String(validate=validate.OneOf(LEVELS))
    parent = fields.String(validate=validate.Length(1, 32))


class LocateArgsSchema(PointInSchema):
    lat = LAT
    lon = LON


class LocateSchema(Schema):
    areas = fields.List(fields.Nested(AreaSchema))
    coord_sys = fields.String(metadata={"description": "Datum the request's point was given in"})


class ImportResultSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()


class AreaWorkersInSchema(Schema):
    user_ids = fields.List(
        Id(),
        required=True,
        validate=validate.Length(max=MAX_WORKERS_PER_AREA),
    )


class WorkerSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    phone = fields.String()


class AreaWorkersSchema(Schema):
    area_code = fields.String()
    workers = fields.List(fields.Nested(WorkerSchema))


AreaPageSchema = page_schema(AreaSchema, "AreaPage")
