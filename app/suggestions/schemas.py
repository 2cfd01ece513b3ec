"""In and out shapes of 社情民意 suggestions."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.common.pagination import CursorArgsSchema, page_schema
from app.geo.schemas import PointInSchema
from app.photos.schemas import SignedPhoto
from app.suggestions.models import CONTENT_LENGTH, REPLY_LENGTH


class SuggestionInSchema(PointInSchema):
    content = fields.String(required=True, validate=validate.Length(*CONTENT_LENGTH))
    lat = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(load_default=None, allow_none=True, validate=validate.Range(-180, 180))

    @validates_schema
    def _whole_place(self, data, **_):  # type: ignore[no-untyped-def]
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ValidationError("经纬度须同时填写。", "lat")


class SuggestionFilesSchema(Schema):
    photos = fields.List(Upload(), load_default=list)


class SuggestionUploadSchema(SuggestionInSchema):
    """The whole multipart body, for the OpenAPI document (parsing uses the two halves)."""

    photos = fields.List(Upload(), metadata={"description": "0–6 photos: JPEG, PNG, WebP, HEIC"})


class ReplyInSchema(Schema):
    reply = fields.String(required=True, validate=validate.Length(*REPLY_LENGTH))
    adopted = fields.Boolean(required=True)


class SuggestionRiderSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class SuggestionSchema(Schema):
    id = fields.Integer()
    content = fields.String()
    area_code = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    status = fields.String(metadata={"enum": ["open", "replied"]})
    reply = fields.String(allow_none=True)
    adopted = fields.Boolean(allow_none=True)
    rider = fields.Nested(SuggestionRiderSchema)
    photos = fields.List(SignedPhoto())
    replied_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


SuggestionPageSchema = page_schema(SuggestionSchema, "SuggestionPage")
SuggestionListArgsSchema = CursorArgsSchema
