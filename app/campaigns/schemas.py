"""In and out shapes of 送政策上门 campaigns and deliveries."""
from __future__ import annotations

import re

from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from app.campaigns.models import (
    BODY_LENGTH,
    MAX_COUNT,
    MAX_DAILY_CAP,
    MAX_POINTS_PER_DELIVERY,
    NOTE_LENGTH,
    TITLE_LENGTH,
    Leaflet,
    LeafletKind,
)
from app.common.pagination import PageArgsSchema, page_schema
from app.geo.schemas import LAT, LON, PointInSchema
from app.photos.schemas import SignedPhoto
from app.photos.service import photo_url


class CampaignInSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(*TITLE_LENGTH))
    body = fields.String(required=True, validate=validate.Length(*BODY_LENGTH))
    starts_on = fields.Date(required=True, metadata={"description": "China date, included"})
    ends_on = fields.Date(required=True, metadata={"description": "China date, included"})
    points_per_delivery = fields.Integer(required=True, validate=validate.Range(0, MAX_POINTS_PER_DELIVERY),
                                         metadata={"description": "Points per leaflet handed over"})
    daily_cap = fields.Integer(required=True, validate=validate.Range(1, MAX_DAILY_CAP),
                               metadata={"description": "Leaflets a rider is credited for per China day"})

    @validates_schema(skip_on_field_errors=False)  # said beside the other fields, not after them
    def _period(self, data, **_):  # type: ignore[no-untyped-def]
        if data.get("starts_on") and data.get("ends_on") and data["starts_on"] > data["ends_on"]:
            raise ValidationError("结束日期不能早于开始日期。", "ends_on")


class CampaignFilesSchema(Schema):
    leaflet = fields.List(Upload(), load_default=list)


class CampaignUploadSchema(CampaignInSchema):
    """The whole multipart body, for the OpenAPI document (parsing uses the fields and the files)."""

    leaflet = Upload(metadata={"description": "Optional: an image (JPEG, PNG, WebP, HEIC) or a PDF"})


# What would identify the household: a mobile number, or a building/unit/room. Refused, not stored.
_PERSONAL = re.compile(r"1[3-9]\d{9}|\d+\s*(号楼|栋|幢|单元|室|户)")


class DeliveryInSchema(PointInSchema):
    count = fields.Integer(required=True, validate=validate.Range(1, MAX_COUNT))
    lat = LAT
    lon = LON
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=NOTE_LENGTH),
                         metadata={"description": "Never a customer's name, phone or door number"})

    @validates("note")
    def _no_household(self, value, **_):  # type: ignore[no-untyped-def]
        if value and _PERSONAL.search(value):
            raise ValidationError("备注里不要写居民的电话或门牌号。")


def _leaflet_url(leaflet: Leaflet) -> str:
    return photo_url(leaflet.key, variant="document" if leaflet.kind == LeafletKind.PDF else "image")


class LeafletSchema(Schema):
    kind = fields.String(metadata={"enum": [kind.value for kind in LeafletKind]})
    url = fields.Function(_leaflet_url, metadata={"description": "Signed, expiring; a PDF downloads"})
    thumbnail_url = fields.Function(
        lambda leaflet: photo_url(leaflet.thumbnail_key, variant="thumbnail") if leaflet.thumbnail_key else None,
        allow_none=True, metadata={"description": "Images only"})
class DeliveryFilesSchema(Schema):
    photo = fields.List(Upload(), load_default=list)


class DeliveryUploadSchema(DeliveryInSchema):
    """The whole multipart body, for the OpenAPI document (parsing uses the two halves)."""

    photo = Upload(metadata={"description": "One photo of the leaflet handed over (never a person or a door)"})


class TodaySchema(Schema):
    count = fields.Integer(metadata={"description": "Leaflets you handed out today (China day)"})
    credited = fields.Integer(metadata={"description": "Of them, within the daily cap (they earn points)"})


class CampaignSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    area_code = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    points_per_delivery = fields.Integer()
    daily_cap = fields.Integer()
    status = fields.String(metadata={"enum": ["active", "closed"]})
    leaflet = fields.Nested(LeafletSchema, allow_none=True)
    created_at = fields.DateTime()
    today = fields.Nested(TodaySchema, metadata={"description": "A rider's list only: your day so far"})


class DeliverySchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    count = fields.Integer()
    credited = fields.Integer(metadata={"description": "Leaflets within today's cap"})
    points = fields.Integer()
    lat = fields.Float()
    lon = fields.Float()
    grid_code = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    photo = SignedPhoto(allow_none=True)
    created_at = fields.DateTime()


class GridCoverageSchema(Schema):
    grid_code = fields.String(allow_none=True, metadata={"description": "null: outside every grid"})
    grid_name = fields.String(allow_none=True)
    in_community = fields.Boolean(metadata={"description": "A grid of the campaign's community"})
    deliveries = fields.Integer()
    leaflets = fields.Integer()


class RiderReachSchema(Schema):
    rider = fields.Nested(Schema.from_dict({"id": fields.Integer(), "name": fields.String()},
                                           name="CampaignRider"))
    deliveries = fields.Integer()
    leaflets = fields.Integer()
    points = fields.Integer()
    last_at = fields.DateTime()


class CampaignSummarySchema(Schema):
    campaign = fields.Nested(CampaignSchema)
    deliveries = fields.Integer()
    leaflets = fields.Integer()
    riders = fields.Integer()
    points = fields.Integer()
    by_rider = fields.List(fields.Nested(RiderReachSchema), metadata={"description": "Most leaflets first"})
    by_grid = fields.List(fields.Nested(GridCoverageSchema), metadata={
        "description": "Every grid of the community (0 where nothing reached), most leaflets first"})
    grids_total = fields.Integer()
    grids_reached = fields.Integer()


CampaignPageSchema = page_schema(CampaignSchema, "CampaignPage")
CampaignListArgsSchema = PageArgsSchema
