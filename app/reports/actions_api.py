"""Report actions: POST /api/v1/reports/{id}/{action}; each answers 200 with the report."""
from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.db import reading_only
from app.common.uploads import upload_bytes
from app.photos.service import photo_limits, photo_store, photo_workers
from app.reports import handling
from app.reports.presenter import present_report
from app.reports.schemas import (
    DispatchSchema,
    EvaluateSchema,
    ReasonSchema,
    RejectSchema,
    ReportSchema,
    ResolveFilesSchema,
    ResolveFormSchema,
    ResolveUploadSchema,
    multipart_body,
)

blp = Blueprint("report_actions", __name__, url_prefix="/api/v1/reports",
                description="The closed loop: accept, decline, resolve, escalate, dispatch, reject, "
                            "evaluate, reopen. A wrong state is 409 with the current status.")


def _done(report):  # type: ignore[no-untyped-def]
    with reading_only():  # the change is committed; the answer only reads
        return present_report(report, viewer=current_user, with_timeline=True)


@blp.route("/<int:report_id>/accept", methods=["POST"])
@roles_required(Role.GRID_WORKER)
@blp.response(200, ReportSchema)
def accept(report_id):
    """The assigned grid worker takes the case (no body)."""
    return _done(handling.accept(actor=current_user, report_id=report_id))


@blp.route("/<int:report_id>/decline", methods=["POST"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(ReasonSchema)
@blp.response(200, ReportSchema)
def decline(body, report_id):
    """The assigned worker passes; the next nearest worker gets it."""
    return _done(handling.decline(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/escalate", methods=["POST"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(ReasonSchema)
@blp.response(200, ReportSchema)
def escalate(body, report_id):
    """The assigned worker hands it to the district command centre."""
    return _done(handling.escalate(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/dispatch", methods=["POST"])
@roles_required(Role.DISPATCHER)
@blp.arguments(DispatchSchema)
@blp.response(200, ReportSchema)
def dispatch(body, report_id):
    """The command centre sends it to a department, with a deadline."""
    return _done(handling.dispatch(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/resolve", methods=["POST"])
@roles_required(Role.GRID_WORKER, Role.DEPARTMENT)
@blp.arguments(ResolveFormSchema, location="form")
@blp.arguments(ResolveFilesSchema, location="files")
@blp.response(200, ReportSchema)
@blp.doc(requestBody=multipart_body(ResolveUploadSchema))
def resolve(form, files, report_id):
    """Fixed: multipart with `photo` (one after-photo, required) and `note`."""
    return _done(handling.resolve(actor=current_user, report_id=report_id, note=form["note"],
                                  photos=[upload_bytes(f) for f in files["photo"]], store=photo_store(),
                                  limits=photo_limits(), workers=photo_workers()))


@blp.route("/<int:report_id>/reject", methods=["POST"])
@roles_required(Role.GRID_WORKER, Role.DISPATCHER)
@blp.arguments(RejectSchema)
@blp.response(200, ReportSchema)
def reject(body, report_id):
    """Not a real hazard (`invalid`), or a `duplicate` of another report (`duplicate_of`)."""
    return _done(handling.reject(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/evaluate", methods=["POST"])
@roles_required(Role.RIDER)
@blp.arguments(EvaluateSchema)
@blp.response(200, ReportSchema)
def evaluate(body, report_id):
    """The reporter rates the fix (1–5); the case is closed."""
    return _done(handling.evaluate(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/reopen", methods=["POST"])
@roles_required(Role.RIDER)
@blp.arguments(ReasonSchema)
@blp.response(200, ReportSchema)
def reopen(body, report_id):
    """The hazard is still there (within 72 h of the fix)."""
    return _done(handling.reopen(actor=current_user, report_id=report_id, **body))
