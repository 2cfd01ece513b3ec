"""送政策上门 endpoints: secretaries run campaigns; riders of the community record deliveries."""
from __future__ import annotations

from typing import Any

from flask import Response
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.campaigns import reach, service
from app.campaigns.leaflets import leaflet_limits
from app.campaigns.schemas import (
    CampaignFilesSchema,
    CampaignInSchema,
    CampaignListArgsSchema,
    CampaignPageSchema,
    CampaignSchema,
    CampaignSummarySchema,
    CampaignUploadSchema,
    DeliveryFilesSchema,
    DeliveryInSchema,
    DeliverySchema,
    DeliveryUploadSchema,
)
from app.common.auth import roles_required
from app.common.idempotency import IDEMPOTENCY_KEY_DOC, idempotency_key
from app.common.pagination import paginate
from app.common.uploads import JSON_OR_FORM, json_or_multipart_body, upload_bytes
from app.errors import ValidationFailed
from app.photos.intake import PhotoSetup
from app.photos.service import photo_store

blp = Blueprint("campaigns", __name__, url_prefix="/api/v1/campaigns",
                description="送政策上门: policy leaflets riders hand out with their orders.")


@blp.route("", methods=["POST"])
@roles_required(Role.SECRETARY)
@blp.response(201, CampaignSchema)
@blp.doc(requestBody=json_or_multipart_body(CampaignInSchema, CampaignUploadSchema))
def create_campaign():
    """Start a campaign for your community: JSON, or multipart with an optional `leaflet` file (an
    image, cleaned like a report photo, or a PDF, checked by its content). A leaflet that is neither
    is 415, one too large 413, a damaged one 400; a bad field 400."""
    # One body, JSON or multipart: the same schema reads both (the phone's and the desk's way).
    form = blp.ARGUMENTS_PARSER.parse(CampaignInSchema(), location=JSON_OR_FORM)
    files = blp.ARGUMENTS_PARSER.parse(CampaignFilesSchema(), location="files")["leaflet"]
    if len(files) > 1:
        raise ValidationFailed("只能上传一份传单。", code="too_many_leaflets",
                               details={"fields": {"leaflet": ["只能上传一份传单。"]}})
    return service.create_campaign(secretary=current_user, **form,
                                   leaflet=upload_bytes(files[0]) if files else None,
                                   store=photo_store(), limits=leaflet_limits())


@blp.route("", methods=["GET"])
@roles_required(Role.RIDER, Role.SECRETARY, Role.ADMIN)
@blp.arguments(CampaignListArgsSchema, location="query")
@blp.response(200, CampaignPageSchema)
def list_campaigns(args: dict[str, int]):
    """Running campaigns of your community (rider, each with your `today`), all of it (secretary),
    all (admin)."""
    page = paginate(service.visible_campaigns(user=current_user), page=args["page"], per_page=args["per_page"])
    return {**page, "items": service.with_my_day(user=current_user, campaigns=page["items"])}


@blp.route("/<int:campaign_id>", methods=["GET"])
@roles_required(Role.SECRETARY, Role.ADMIN)
@blp.response(200, CampaignSummarySchema)
def campaign_summary(campaign_id: int):
    """A campaign with what it reached: deliveries, leaflets, riders, points, coverage by grid."""
    return reach.campaign_summary(campaign_id=campaign_id, for_user=current_user)


@blp.route("/<int:campaign_id>/export.csv", methods=["GET"])
@roles_required(Role.SECRETARY, Role.ADMIN)
@blp.doc(responses={"200": {"description": "CSV, UTF-8 with BOM",
                            "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_deliveries(campaign_id: int):
    """A campaign's deliveries, with rider and grid, as a CSV file for Excel (China time)."""
    filename, body = reach.deliveries_csv(campaign_id=campaign_id, for_user=current_user)
    return Response(body, mimetype="text/csv", headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
    })


@blp.route("/<int:campaign_id>/close", methods=["POST"])
@roles_required(Role.SECRETARY)
@blp.response(200, CampaignSchema)
def close_campaign(campaign_id: int):
    """End a campaign of your community: no more deliveries are taken."""
    return service.close_campaign(secretary=current_user, campaign_id=campaign_id)


@blp.route("/<int:campaign_id>/deliveries", methods=["POST"])
@roles_required(Role.RIDER)
@blp.arguments(DeliveryInSchema, location=JSON_OR_FORM)
@blp.arguments(DeliveryFilesSchema, location="files")
@blp.response(201, DeliverySchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY_DOC],
         requestBody=json_or_multipart_body(DeliveryInSchema, DeliveryUploadSchema))
def record_delivery(form: dict[str, Any], files: dict[str, Any], campaign_id: int):
    """Record leaflets handed over: JSON, or multipart with one `photo` of the leaflet (never the
    customer's name, phone or door number)."""
    return service.record_delivery(rider=current_user, campaign_id=campaign_id, count=form["count"],
                                   lat=form["lat"], lon=form["lon"], note=form["note"],
                                   idempotency_key=idempotency_key(),
                                   photos=[upload_bytes(upload) for upload in files["photo"]],
                                   setup=PhotoSetup.from_app())
