"""Report endpoints: submit from a phone, list, read."""
from __future__ import annotations

from flask import current_app
from flask_jwt_extended import current_user, get_jwt_identity
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.conditional import etag_for, unless_fresh
from app.common.db import reading_only
from app.common.idempotency import IDEMPOTENCY_KEY_DOC, idempotency_key
from app.common.uploads import multipart_body, upload_bytes
from app.extensions import db, limiter
from app.geo.datums import point_fields_from_wgs84
from app.geo.schemas import CoordSysArgsSchema
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
)

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports",
                description="Hazard reports: submit, list, read.")

def _reports_limit() -> str:
    return current_app.config["RATE_LIMIT_REPORTS"]


def _rider_key() -> str:
    # roles_required has verified the token by now; don't decode it (and query its login) again.
    return f"reports:{get_jwt_identity()}"


def _policy() -> service.SubmitPolicy:
    return service.submit_policy(current_app.config, photo_limits=photo_limits(),
                                 write_while_decoding=db.engine.dialect.name != "sqlite")


@blp.route("", methods=["POST"])
@roles_required(Role.RIDER)
@limiter.limit(_reports_limit, key_func=_rider_key)
@blp.arguments(ReportFormSchema, location="form")
@blp.arguments(ReportFilesSchema, location="files")
@blp.response(201, ReportSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY_DOC], requestBody=multipart_body(ReportUploadSchema))
def submit(form, files):
    """Report a hazard: multipart with 1–6 photos (JPEG, PNG, WebP, HEIC)."""
    photos = [upload_bytes(upload) for upload in files["photos"]]
    coord_sys = form.pop("coord_sys")  # lat/lon are WGS-84 already; the answer speaks the rider's datum
    submission = service.submit_report(
        rider=current_user, fields=form, photos=photos, idempotency_key=idempotency_key(),
        store=photo_store(), workers=photo_workers(), policy=_policy())
    headers = {"Idempotent-Replayed": "true"} if submission.replayed else {}
    with reading_only():
        data = present_report(submission.report, viewer=current_user, with_timeline=True,
                              loaded_areas=submission.areas, loaded_people=submission.people,
                              just_created=not submission.replayed)
    return point_fields_from_wgs84(data, coord_sys), 201, headers


_NOT_MODIFIED = {"description": "Not modified: the ETag you sent is still current (no body)."}


def _viewer() -> tuple[int, str, str | None]:
    # What a response depends on about who asks: their scope and the actions they may take.
    return current_user.id, current_user.role, current_user.area_code


@blp.route("", methods=["GET"])
@roles_required()
@blp.arguments(ReportFilterSchema(), location="query")
@blp.response(200, ReportPageSchema)
@blp.alt_response(304, **_NOT_MODIFIED)
def list_reports(args):
    """Reports you may see, newest first (riders: their own; staff: their area); follow `next`.
    Points in `?coord_sys=` (WGS-84 by default)."""
    coord_sys = args.pop("coord_sys")
    page = service.list_reports(viewer=current_user, **args)
    # Not the `next` token itself: it is signed with the time, and is as good a second later.
    etag = etag_for("reports", _viewer(), coord_sys, page.page, page.next is not None, page.total,
                    page.total_capped, service.page_version(page), photo_links_expiry())
    return unless_fresh(etag, lambda: page.envelope(
        [point_fields_from_wgs84(item, coord_sys)
         for item in present_reports(service.load_reports(page), viewer=current_user)]))


@blp.route("/<int:report_id>", methods=["GET"])
@roles_required()
@blp.arguments(CoordSysArgsSchema(), location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(304, **_NOT_MODIFIED)
def get_report(args, report_id):
    """One report with its photos and timeline (lat/lon in `?coord_sys=`)."""
    # The validator first (one query, with the 404/403); the report is loaded only to send it.
    validator = service.report_validator(viewer=current_user, report_id=report_id)
    etag = etag_for("report", _viewer(), args["coord_sys"], validator, photo_links_expiry())
    return unless_fresh(etag, lambda: point_fields_from_wgs84(present_report(
        service.get_report(viewer=current_user, report_id=report_id), viewer=current_user,
        with_timeline=True), args["coord_sys"]))
