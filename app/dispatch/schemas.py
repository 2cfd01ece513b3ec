"""In and out shapes of dispatch: grid workers' presence, and a reassignment."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.common.fields import Id
from app.geo.schemas import LAT, LON, PointInSchema

ACCURACY = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, 100_000))


class DutyInSchema(PointInSchema):
    on_duty = fields.Boolean(required=True)
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))
    accuracy_m = ACCURACY


class LocationInSchema(PointInSchema):
    lat = LAT
    lon = LON
    accuracy_m = ACCURACY


class PresenceSchema(Schema):
    on_duty = fields.Boolean()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    accuracy_m = fields.Float(allow_none=True)
    located_at = fields.DateTime(allow_none=True)
    fresh_until = fields.DateTime(allow_none=True)
    fresh = fields.Boolean(metadata={"description": "Counts as present for assignment"})
    coord_sys = fields.String(metadata={"description": "Datum of lat/lon in this answer"})


class ReassignSchema(Schema):
    worker_id = Id(required=True, metadata={"description": "An active grid worker of your area"})
    reason = fields.String(required=True, validate=validate.Length(1, 500))
