"""In and out shapes of 红色驿站."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.geo.schemas import LAT, LON, PointInSchema
from app.stations.models import SERVICES

MAX_NEAREST = 20


class StationInSchema(PointInSchema):
    name = fields.String(required=True, validate=validate.Length(1, 60))
    lat = LAT
    lon = LON
    hours = fields.String(required=True, validate=validate.Length(1, 60),
                          metadata={"description": "Opening hours as people say them, e.g. 8:00-22:00"})
    services = fields.List(fields.String(validate=validate.OneOf(SERVICES)), required=True,
                           validate=validate.Length(1, len(SERVICES)),
                           metadata={"description": f"Some of: {', '.join(SERVICES)}"})
    area_code = fields.String(load_default=None, validate=validate.Length(1, 32),
                              metadata={"description": "The community (admin only; a secretary's own)"})


class StationPatchSchema(PointInSchema):
    """What may change of a station: any of its fields; a place is both lat and lon."""

    name = fields.String(validate=validate.Length(1, 60))
    lat = fields.Float(validate=validate.Range(-90, 90))
    lon = fields.Float(validate=validate.Range(-180, 180))
    hours = fields.String(validate=validate.Length(1, 60))
    services = fields.List(fields.String(validate=validate.OneOf(SERVICES)),
                           validate=validate.Length(1, len(SERVICES)))

    @validates_schema
    def _whole_place(self, data, **_):  # type: ignore[no-untyped-def]
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("经纬度须同时填写。", "lat")


class NearArgsSchema(PointInSchema):
    lat = LAT
    lon = LON
    limit = fields.Integer(load_default=MAX_NEAREST, validate=validate.Range(1, MAX_NEAREST))


class StationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    area_code = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    hours = fields.String()
    services = fields.List(fields.String())
    distance_m = fields.Float(metadata={"description": "From the asked point (only on the near list)"})


class StationListSchema(Schema):
    items = fields.List(fields.Nested(StationSchema))
