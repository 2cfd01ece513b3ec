"""In and out shapes of reports."""
from __future__ import annotations

from typing import Any

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, post_load, validate

from app.common import clock
from app.common.fields import Id
from app.common.pagination import CursorArgsSchema, page_schema
from app.geo.schemas import AreaSchema, PointInSchema, coord_sys_field
from app.photos.schemas import PhotoLinkSchema
from app.reports.models import Status
from app.reports.screening import FLAGS


class AwareDateTime(fields.DateTime):
    """ISO 8601; a time without an offset is taken as China time (UTC+8), where phones are."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        parsed = super()._deserialize(value, attr, data, **kwargs)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.CHINA_TZ)


class ReportFormSchema(PointInSchema):
    """The multipart text fields of a new report (lat/lon in `coord_sys`, loaded as WGS-84)."""

    category = fields.String(required=True, validate=validate.Length(1, 40))
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    description = fields.String(load_default=None, validate=validate.Length(max=500))
    address = fields.String(load_default=None, validate=validate.Length(max=200))
    captured_at = AwareDateTime(load_default=None)

    @post_load
    def blank_to_none(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        for key in ("description", "address"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip() or None
        return data


class ReportFilesSchema(Schema):
    photos = fields.List(Upload(), load_default=list)


class ReportUploadSchema(ReportFormSchema):
    """The whole multipart body, for the OpenAPI document (parsing uses the two halves)."""

    photos = fields.List(Upload(), required=True, metadata={"description": "1–6 photos: JPEG, PNG, WebP, HEIC"})


class ReportFilterSchema(CursorArgsSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    category = fields.String(validate=validate.Length(1, 40))
    since = AwareDateTime()
    mine = fields.Boolean(load_default=False, metadata={"description": "Only reports assigned to me."})
    until = AwareDateTime(metadata={"description": "Only reports created before this time."})
    area = fields.String(validate=validate.Length(1, 32),
                         metadata={"description": "A grid or micro-grid code: reports in it."})
    flag = fields.String(validate=validate.OneOf(FLAGS), metadata={"description": "Only reports with this flag."})
    overdue = fields.Boolean(load_default=False,
                             metadata={"description": "Only dispatched reports past their deadline."})
    coord_sys = coord_sys_field()


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class ActorSchema(PersonSchema):
    role = fields.String()


class ReportPhotoLinkSchema(PhotoLinkSchema):
    kind = fields.String(metadata={"description": "report (the rider's) or resolution (the after-photo)"})


class EventSchema(Schema):
    action = fields.String()
    action_text = fields.String(metadata={"description": "the action in Chinese, e.g. 接单"})
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    to_status_text = fields.String(metadata={"description": "to_status in Chinese, as people read it"})
    actor = fields.Nested(ActorSchema, allow_none=True)
    note = fields.String(allow_none=True)
    photo = fields.Nested(ReportPhotoLinkSchema, allow_none=True)
    at = fields.DateTime()


class ReportSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    status_text = fields.String(metadata={"description": "the status in Chinese, e.g. 网格员已接单"})
    category = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    description = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    captured_at = fields.DateTime(allow_none=True)
    area = fields.List(fields.Nested(AreaSchema))
    reporter = fields.Nested(PersonSchema)
    assigned_to = fields.Nested(PersonSchema, allow_none=True)
    distance_m = fields.Float(allow_none=True)
    department = fields.Nested(PersonSchema, allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    photos = fields.List(fields.Nested(ReportPhotoLinkSchema))
    flags = fields.List(fields.String())
    duplicate_of = fields.Integer(allow_none=True)
    rating = fields.Integer(allow_none=True)
    original = fields.Nested(Schema.from_dict({"id": fields.Integer(), "status": fields.String()},
                                              name="OriginalReport"), allow_none=True,
                             metadata={"description": "For a duplicate: the report it follows."})
    actions = fields.List(fields.String(), metadata={"description": "What you may do to it now."})
    confirmations = fields.List(fields.Integer(), metadata={
        "description": "Later reports of the same hazard, linked to this one (single-report GET)."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    timeline = fields.List(fields.Nested(EventSchema))
    coord_sys = fields.String(metadata={"description": "Datum of lat/lon in this answer"})
    source = fields.String(metadata={"description": "\"app\" (a rider), or the integration that filed it"})


ReportPageSchema = page_schema(ReportSchema, "ReportPage")



# --- action bodies -----------------------------------------------------------------------------

REASON = fields.String(required=True, validate=validate.Length(1, 500))


class ReasonSchema(Schema):
    reason = REASON


class DispatchSchema(Schema):
    department_id = Id(required=True)
    due_at = AwareDateTime(load_default=None)


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(["invalid", "duplicate"]))
    duplicate_of = Id(load_default=None)
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class EvaluateSchema(Schema):
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default=None, validate=validate.Length(max=500))


class ResolveFormSchema(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class ResolveFilesSchema(Schema):
    photo = fields.List(Upload(), load_default=list)


class ResolveUploadSchema(ResolveFormSchema):
    """The whole multipart body of `resolve`, for the OpenAPI document."""

    photo = Upload(required=True, metadata={"description": "the after-photo"})

