"""Report endpoints: submit from a phone, list, read."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app, request
from flask_jwt_extended import current_user, get_jwt_identity
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.conditional import etag_for, unless_fresh
from app.common.db import reading_only
from app.common.uploads import upload_bytes
from app.errors import ValidationFailed
from app.extensions import db, limiter
from app.photos.service import photo_limits, photo_links_expiry, photo_store, photo_workers
from app.reports import service
from app.reports.presenter import present_report, present_reports
from app.reports.schemas import (
    ReportFilesSchema,
    ReportFilterSchema,
    ReportFormSchema,
    ReportPageSchema,
    ReportSchema,
    ReportUploadSchema,
    multipart_body,
)
from app.reports.screening import ScreeningPolicy

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Hazard reports: submit, list, read.")

_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:\-]{8,100}$")
_IDEMPOTENCY_DOC = {"in": "header", "name": "Idempotency-Key", "required": False,
                    "schema": {"type": "string", "minLength": 8, "maxLength": 100},
                    "description": "Any unique value per report (e.g. a UUID); a retry with the same "
                                   "key returns the first report instead of creating another."}


def _reports_limit() -> str:
    return current_app.config["RATE_LIMIT_REPORTS"]


def _rider_key() -> str:
    # roles_required has verified the token by now; don't decode it (and query its login) again.
    return f"reports:{get_jwt_identity()}"


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not _IDEMPOTENCY_KEY.match(key):
        raise ValidationFailed("Idempotency-Key 须为8–100个字母、数字或 ._:- 字符。",
                               code="invalid_idempotency_key")
    return key


def _policy() -> service.SubmitPolicy:
    config = current_app.config
    return service.SubmitPolicy(
        max_photos=config["MAX_PHOTOS_PER_REPORT"], photo_limits=photo_limits(),
        screening=ScreeningPolicy(
            duplicate_radius_m=config["DUPLICATE_RADIUS_M"],
            duplicate_window=timedelta(hours=config["DUPLICATE_WINDOW_HOURS"]),
            exif_far_m=config["EXIF_FAR_M"], stale_after=timedelta(hours=config["STALE_PHOTO_HOURS"]),
            burst_count=config["BURST_REPORTS"], burst_window=timedelta(minutes=config["BURST_MINUTES"])),
        write_while_decoding=db.engine.dialect.name != "sqlite",
    )


@blp.route("", methods=["POST"])
@roles_required(Role.RIDER)
@limiter.limit(_reports_limit, key_func=_rider_key)
@blp.arguments(ReportFormSchema, location="form")
@blp.arguments(ReportFilesSchema, location="files")
@blp.response(201, ReportSchema)
@blp.doc(parameters=[_IDEMPOTENCY_DOC], requestBody=multipart_body(ReportUploadSchema))
def submit(form, files):
    """Report a hazard: multipart with 1–6 photos (JPEG, PNG, WebP, HEIC)."""
    photos = [upload_bytes(upload) for upload in files["photos"]]
    submission = service.submit_report(
        rider=current_user, fields=form, photos=photos, idempotency_key=_idempotency_key(),
        store=photo_store(), workers=photo_workers(), policy=_policy())
    headers = {"Idempotent-Replayed": "true"} if submission.replayed else {}
    with reading_only():
        return present_report(submission.report, viewer=current_user, with_timeline=True,
                              loaded_areas=submission.areas, loaded_people=submission.people,
                              just_created=not submission.replayed), 201, headers


_NOT_MODIFIED = {"description": "Not modified: the ETag you sent is still current (no body)."}


def _viewer() -> tuple[int, str, str | None]:
    # What a response depends on about who asks: their scope and the actions they may take.
    return current_user.id, current_user.role, current_user.area_code


@blp.route("", methods=["GET"])
@roles_required()
@blp.arguments(ReportFilterSchema, location="query")
@blp.response(200, ReportPageSchema)
@blp.alt_response(304, **_NOT_MODIFIED)
def list_reports(args):
    """Reports you may see, newest first (riders: their own; staff: their area); follow `next`."""
    page = service.list_reports(viewer=current_user, **args)
    # Not the `next` token itself: it is signed with the time, and is as good a second later.
    etag = etag_for("reports", _viewer(), page.page, page.next is not None, page.total, page.total_capped,
                    service.page_version(page), photo_links_expiry())
    return unless_fresh(etag, lambda: page.envelope(
        present_reports(service.load_reports(page), viewer=current_user)))


@blp.route("/<int:report_id>", methods=["GET"])
@roles_required()
@blp.response(200, ReportSchema)
@blp.alt_response(304, **_NOT_MODIFIED)
def get_report(report_id):
    """One report with its photos and timeline."""
    report = service.get_report(viewer=current_user, report_id=report_id)
    etag = etag_for("report", _viewer(), service.report_version(report), photo_links_expiry())
    return unless_fresh(etag, lambda: present_report(report, viewer=current_user, with_timeline=True))
