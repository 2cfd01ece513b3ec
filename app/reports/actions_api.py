"""Report actions: POST /api/v1/reports/{id}/{action}; each answers 200 with the report.

Every action honours an Idempotency-Key: a retry with the same key gets the first answer again
(with `Idempotent-Replayed: true`), never a second effect."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from app.auth.models import Role
from app.common.auth import roles_required
from app.common.db import reading_only
from app.common.idempotency import IDEMPOTENCY_KEY_DOC, idempotency_key
from app.common.uploads import multipart_body, upload_bytes
from app.photos.service import photo_limits, photo_store, photo_workers
from app.reports import handling
from app.reports.models import Report
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
)

blp = Blueprint("report_actions", __name__, url_prefix="/api/v1/reports",
                description="The closed loop: accept, decline, resolve, escalate, dispatch, reject, "
                            "evaluate, reopen. A wrong state is 409 with the current status.")
_KEY_DOC = {"parameters": [IDEMPOTENCY_KEY_DOC]}


def _once(report_id: int, action: str, body: dict[str, Any], run: Callable[[], Report],
          photos: tuple[bytes, ...] = ()):  # type: ignore[no-untyped-def]
    """Run the action (once per Idempotency-Key) and answer with the report."""
    request = {"action": action, "report_id": report_id, **body}
    report, replayed = handling.once(actor=current_user, idempotency_key=idempotency_key(),
                                     request=request, photos=photos, run=run)
    with reading_only():  # the change is committed; the answer only reads
        data = present_report(report, viewer=current_user, with_timeline=True)
    return data, 200, {"Idempotent-Replayed": "true"} if replayed else {}


@blp.route("/<int:report_id>/accept", methods=["POST"])
@roles_required(Role.GRID_WORKER)
@blp.response(200, ReportSchema)
@blp.doc(**_KEY_DOC)
def accept(report_id):
    """The assigned grid worker takes the case (no body)."""
    return _once(report_id, "accept", {}, lambda: handling.accept(actor=current_user, report_id=report_id))


@blp.route("/<int:report_id>/decline", methods=["POST"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(ReasonSchema)
@blp.response(200, ReportSchema)
@blp.doc(**_KEY_DOC)
def decline(body, report_id):
    """The assigned worker passes; the next nearest worker gets it."""
    return _once(report_id, "decline", body,
                 lambda: handling.decline(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/escalate", methods=["POST"])
@roles_required(Role.GRID_WORKER)
@blp.arguments(ReasonSchema)
@blp.response(200, ReportSchema)
@blp.doc(**_KEY_DOC)
def escalate(body, report_id):
    """The assigned worker hands it to the district command centre."""
    return _once(report_id, "escalate", body,
                 lambda: handling.escalate(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/dispatch", methods=["POST"])
@roles_required(Role.DISPATCHER)
@blp.arguments(DispatchSchema)
@blp.response(200, ReportSchema)
@blp.doc(**_KEY_DOC)
def dispatch(body, report_id):
    """The command centre sends it to a department, with a deadline."""
    return _once(report_id, "dispatch", body,
                 lambda: handling.dispatch(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/resolve", methods=["POST"])
@roles_required(Role.GRID_WORKER, Role.DEPARTMENT)
@blp.arguments(ResolveFormSchema, location="form")
@blp.arguments(ResolveFilesSchema, location="files")
@blp.response(200, ReportSchema)
@blp.doc(requestBody=multipart_body(ResolveUploadSchema), **_KEY_DOC)
def resolve(form, files, report_id):
    """Fixed: multipart with `photo` (one after-photo, required) and `note`."""
    photos = tuple(upload_bytes(f) for f in files["photo"])
    return _once(report_id, "resolve", form, lambda: handling.resolve(
        actor=current_user, report_id=report_id, note=form["note"], photos=list(photos),
        store=photo_store(), limits=photo_limits(), workers=photo_workers()), photos=photos)


@blp.route("/<int:report_id>/reject", methods=["POST"])
@roles_required(Role.GRID_WORKER, Role.DISPATCHER)
@blp.arguments(RejectSchema)
@blp.response(200, ReportSchema)
@blp.doc(**_KEY_DOC)
def reject(body, report_id):
    """Not a real hazard (`invalid`), or a `duplicate` of another report (`duplicate_of`)."""
    return _once(report_id, "reject", body,
                 lambda: handling.reject(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/evaluate", methods=["POST"])
@roles_required(Role.RIDER)
@blp.arguments(EvaluateSchema)
@blp.response(200, ReportSchema)
@blp.doc(**_KEY_DOC)
def evaluate(body, report_id):
    """The reporter rates the fix (1–5); the case is closed."""
    return _once(report_id, "evaluate", body,
                 lambda: handling.evaluate(actor=current_user, report_id=report_id, **body))


@blp.route("/<int:report_id>/reopen", methods=["POST"])
@roles_required(Role.RIDER)
@blp.arguments(ReasonSchema)
@blp.response(200, ReportSchema)
@blp.doc(**_KEY_DOC)
def reopen(body, report_id):
    """The hazard is still there (within 72 h of the fix)."""
    return _once(report_id, "reopen", body,
                 lambda: handling.reopen(actor=current_user, report_id=report_id, **body))
