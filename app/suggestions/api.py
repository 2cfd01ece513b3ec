"""社情民意 endpoints: a rider suggests; the community's secretary reads and replies."""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.idempotency import IDEMPOTENCY_KEY_DOC, idempotency_key
from app.common.uploads import JSON_OR_FORM, json_or_multipart_body, upload_bytes
from app.photos.intake import PhotoSetup
from app.suggestions import service
from app.suggestions.schemas import (
    ReplyInSchema,
    SuggestionFilesSchema,
    SuggestionInSchema,
    SuggestionListArgsSchema,
    SuggestionPageSchema,
    SuggestionSchema,
    SuggestionUploadSchema,
)

blp = Blueprint("suggestions", __name__, url_prefix="/api/v1/suggestions",
                description="社情民意: riders' suggestions to their community, and its replies.")


@blp.route("", methods=["POST"])
@roles_required(Role.RIDER)
@blp.arguments(SuggestionInSchema, location=JSON_OR_FORM)
@blp.arguments(SuggestionFilesSchema, location="files")
@blp.response(201, SuggestionSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY_DOC],
         requestBody=json_or_multipart_body(SuggestionInSchema, SuggestionUploadSchema))
def submit_suggestion(form: dict[str, Any], files: dict[str, Any]):
    """Send a suggestion to your community's secretary: JSON, or multipart with up to 6 `photos`
    (lat/lon optional, in coord_sys)."""
    return service.submit_suggestion(
        rider=current_user, content=form["content"], lat=form["lat"], lon=form["lon"],
        photos=[upload_bytes(upload) for upload in files["photos"]],
        max_photos=current_app.config["MAX_PHOTOS_PER_REPORT"], idempotency_key=idempotency_key(),
        setup=PhotoSetup.from_app())


@blp.route("", methods=["GET"])
@roles_required(Role.RIDER, Role.SECRETARY, Role.ADMIN)
@blp.arguments(SuggestionListArgsSchema, location="query")
@blp.response(200, SuggestionPageSchema)
def list_suggestions(args: dict[str, Any]):
    """Your suggestions (rider), your community's (secretary), or all (admin); newest first, by cursor."""
    return service.suggestions_page(user=current_user, cursor=args["cursor"], page=args["page"],
                                    per_page=args["per_page"])


@blp.route("/<int:suggestion_id>", methods=["GET"])
@roles_required(Role.RIDER, Role.SECRETARY, Role.ADMIN)
@blp.response(200, SuggestionSchema)
def get_suggestion(suggestion_id: int):
    """One suggestion with its reply."""
    return service.get_suggestion(suggestion_id=suggestion_id, for_user=current_user)


@blp.route("/<int:suggestion_id>/reply", methods=["POST"])
@roles_required(Role.SECRETARY)
@blp.arguments(ReplyInSchema)
@blp.response(200, SuggestionSchema)
def reply_to_suggestion(form: dict[str, Any], suggestion_id: int):
    """Reply to a suggestion of your community, once, and say whether it is adopted (采纳)."""
    return service.reply_to_suggestion(secretary=current_user, suggestion_id=suggestion_id,
                                       reply=form["reply"], adopted=form["adopted"])
