"""Console pages for reports: the list, one report and the actions the person may take on it."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from app.auth import service as auth
from app.auth.models import Role
from app.categories.service import list_categories
from app.common.uploads import upload_bytes
from app.console.blueprint import blp
from app.console.forms import FormResult, run_form
from app.console.session import desk_page
from app.dispatch import assignment
from app.dispatch import service as dispatch_service
from app.dispatch.schemas import ReassignSchema
from app.geo import service as geo
from app.geo.models import Level
from app.notifications import channel_service
from app.photos.service import photo_limits, photo_store, photo_workers
from app.reports import handling
from app.reports import service as reports_service
from app.reports.presenter import present_report, present_reports
from app.reports.schemas import (
    DispatchSchema,
    RejectSchema,
    ReportFilterSchema,
    ResolveFormSchema,
)

PER_PAGE = 30
FILTER_HINTS = {"status": "请选择状态。", "category": "请选择类别。", "area": "网格编码有误。",
                "flag": "请选择标记。", "since": "开始日期格式应为 年-月-日。", "until": "结束日期格式应为 年-月-日。",
                "page": "页码有误。"}
DISPATCH_HINTS = {"department_id": "请选择要派往的职能部门。",
                  "due_at": "请填写处置时限（日期和时间），须晚于现在；不填则按类别默认时限。"}
REJECT_HINTS = {"reason": "请选择驳回原因。", "duplicate_of": "请填写原上报的编号（正整数）。",
                "note": "说明最多 500 字。"}
REASSIGN_HINTS = {"worker_id": "请选择一名网格员。", "reason": "请写明改派原因（最多 500 字），网格员会看到。"}
RESOLVE_HINTS = {"note": "说明最多 500 字。", "photo": "请上传一张处置后的照片（JPEG、PNG、WebP 或 HEIC）。"}
ACTION_FIELDS = {"not_a_department": "department_id", "not_an_eligible_worker": "worker_id",
                 "already_assigned": "worker_id", "due_in_past": "due_at",
                 "invalid_duplicate_of": "duplicate_of", "photo_required": "photo",
                 "unsupported_media_type": "photo", "payload_too_large": "photo", "too_many_photos": "photo"}


# --- the list ----------------------------------------------------------------------------------

@blp.get("/reports")
@desk_page()
def reports(me):  # type: ignore[no-untyped-def]
    """Reports the person may see, filtered by status, category, grid, period and flag."""
    form = run_form(ReportFilterSchema(), _filter_query(), lambda loaded: loaded, hints=FILTER_HINTS)
    form.data.update({key: request.args.get(key, "") for key in ("since", "until")})  # as typed: days
    page = None
    if form.ok:
        # The desk draws on its own map in WGS-84: the datum of reads is the phone clients' concern.
        args = {k: v for k, v in form.value.items() if k not in ("per_page", "coord_sys", "cursor")}
        found = reports_service.list_reports(viewer=me, per_page=PER_PAGE, **args)
        page = found.envelope(present_reports(reports_service.load_reports(found), viewer=me))
    return render_template("console/reports.html", me=me, form=form, page=page,
                           categories=list_categories(), grids=_grids_of(me)), 200 if form.ok else 400


def _filter_query() -> dict[str, str]:
    """The query string as the API's filter takes it: China days become the instants they begin."""
    query = request.args.to_dict()
    for key, shift in (("since", 0), ("until", 1)):
        day = query.get(key, "")
        try:
            query[key] = (date.fromisoformat(day) + timedelta(days=shift)).isoformat() + "T00:00" if day else ""
        except ValueError:
            pass  # left as typed: the schema refuses it beside the field
    query["overdue"] = "true" if query.get("overdue") in ("1", "true") else "false"
    return query


def _grids_of(me) -> list[Any]:  # type: ignore[no-untyped-def]
    """The grids a secretary's filter offers (district staff type a grid code)."""
    if me.role != Role.SECRETARY or not me.area_code:
        return []
    return [a for a in geo.area_with_descendants(code=me.area_code, down_to=Level.GRID) if a.level == Level.GRID]


# --- one report and its actions ------------------------------------------------------------------

@blp.get("/reports/<int:report_id>")
@desk_page()
def report(me, report_id):  # type: ignore[no-untyped-def]
    """One report: photos, timeline, flags, confirmations, and the forms of the actions allowed now."""
    return _report_page(me, report_id, forms={})


def _report_page(me, report_id: int, *, forms: dict[str, FormResult], status: int = 200):  # type: ignore[no-untyped-def]
    shown = present_report(reports_service.get_report(viewer=me, report_id=report_id), viewer=me,
                           with_timeline=True)
    departments = auth.list_departments(actor=me) if "dispatch" in shown["actions"] else []
    workers = (assignment.reassign_candidates(report=reports_service.get_report(viewer=me, report_id=report_id),
                                              actor=me) if "reassign" in shown["actions"] else [])
    # Was the worker told? Who was reached, by which channel, and when (the desk's question).
    reach = (channel_service.deliveries_for_report(viewer=me, report_id=report_id)
             if me.role in channel_service.DELIVERY_VIEWERS else None)
    return render_template("console/report.html", me=me, report=shown, reach=reach, workers=workers,
                           departments=departments, forms=forms, form_for=lambda name: forms.get(name, FormResult()),
                           after_photos=[e["photo"] for e in shown["timeline"] if e["photo"]]), status


@blp.post("/reports/<int:report_id>/dispatch")
@desk_page(Role.DISPATCHER)
def dispatch(me, report_id):  # type: ignore[no-untyped-def]
    """派至职能部门, with a deadline (the API's schema and use case)."""
    form = run_form(DispatchSchema(), request.form, lambda f: handling.dispatch(
        actor=me, report_id=report_id, **f), hints=DISPATCH_HINTS, code_fields=ACTION_FIELDS)
    return _after(me, report_id, "dispatch", form, "已派至职能部门。")


@blp.post("/reports/<int:report_id>/reassign")
@desk_page(Role.SECRETARY, Role.DISPATCHER)
def reassign(me, report_id):  # type: ignore[no-untyped-def]
    """派单 / 改派 to a named grid worker (the API's schema and use case)."""
    form = run_form(ReassignSchema(), request.form, lambda f: dispatch_service.reassign(
        actor=me, report_id=report_id, **f), hints=REASSIGN_HINTS, code_fields=ACTION_FIELDS)
    return _after(me, report_id, "reassign", form, "已改派。")


@blp.post("/reports/<int:report_id>/reject")
@desk_page(Role.DISPATCHER)
def reject(me, report_id):  # type: ignore[no-untyped-def]
    """驳回: not a real hazard, or a duplicate of another report."""
    form = run_form(RejectSchema(), request.form, lambda f: handling.reject(
        actor=me, report_id=report_id, **f), hints=REJECT_HINTS, code_fields=ACTION_FIELDS)
    return _after(me, report_id, "reject", form, "已驳回。")


@blp.post("/reports/<int:report_id>/resolve")
@desk_page(Role.DEPARTMENT)
def resolve(me, report_id):  # type: ignore[no-untyped-def]
    """处置完成, with the after-photo uploaded from the browser."""
    photos = [upload_bytes(f) for f in request.files.getlist("photo") if f.filename]
    form = run_form(ResolveFormSchema(), request.form, lambda f: handling.resolve(
        actor=me, report_id=report_id, note=f["note"], photos=photos, store=photo_store(),
        limits=photo_limits(), workers=photo_workers()), hints=RESOLVE_HINTS, code_fields=ACTION_FIELDS)
    if "photos" in form.errors:  # the use case names its upload field "photos"; this form's is "photo"
        form.errors["photo"] = RESOLVE_HINTS["photo"]
        del form.errors["photos"]
    return _after(me, report_id, "resolve", form, "已处置完成，等待上报人评价。")


def _after(me, report_id: int, action: str, form: FormResult, done: str):  # type: ignore[no-untyped-def]
    if form.ok:
        flash(done, "ok")
        return redirect(url_for("console.report", report_id=report_id))
    return _report_page(me, report_id, forms={action: form}, status=400)
