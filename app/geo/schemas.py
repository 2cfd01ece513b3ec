"""In and out shapes of the grid map."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.common.fields import Id
from app.common.pagination import PageArgsSchema, page_schema
from app.geo.models import Area, Level
from app.geo.service import MAX_WORKERS_PER_AREA

LEVELS = [level.value for level in Level]
LAT = fields.Float(required=True, validate=validate.Range(-90, 90))
LON = fields.Float(required=True, validate=validate.Range(-180, 180))


class AreaSchema(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String(metadata={"enum": LEVELS})
    parent_code = fields.String(allow_none=True)


class AreaDetailSchema(AreaSchema):
    geometry = fields.Dict(
        allow_none=True, metadata={"description": "GeoJSON Polygon/MultiPolygon"}
    )
    bbox = fields.Method("_bbox", metadata={"description": "[min_lon, min_lat, max_lon, max_lat]"})

    def _bbox(self, area: Area) -> list[float] | None:
        if area.min_lon is None:
            return None
        return [area.min_lon, area.min_lat, area.max_lon, area.max_lat]


class AreaFilterSchema(PageArgsSchema):
    level = fields.String(validate=validate.OneOf(LEVELS))
    parent = fields.String(validate=validate.Length(1, 32))


class LocateArgsSchema(Schema):
    lat = LAT
    lon = LON


class LocateSchema(Schema):
    areas = fields.List(fields.Nested(AreaSchema))


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
