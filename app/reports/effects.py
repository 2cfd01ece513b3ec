"""What follows a report's transition: who is told, and points.

Each effect takes (report, event, actor) and only adds rows and flushes: it runs inside the
transition's transaction, so a notification or a ledger entry exists exactly when the change does.
No effect moves a report; routing and followers are moves of the workflow itself.
"""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import Role, User, UserStatus
from app.categories.models import Category
from app.common import clock
from app.extensions import db
from app.integrations import callbacks
from app.notifications import service as notifications
from app.points import service as points
from app.reports.models import STATUS_TEXT, Report, ReportEvent, Status


def _category_name(report: Report) -> str:
    category = db.session.get(Category, report.category_code)
    return category.name_zh if category else report.category_code


def _followers(report: Report) -> list[int]:
    """The reporter and everyone whose duplicate report follows this one (riders only: an
    integration's report has none, and hears through its callback)."""
    confirmers = db.session.scalars(
        select(Report.reporter_id).where(Report.duplicate_of_id == report.id)).all()
    return [rider for rider in dict.fromkeys([report.reporter_id, *confirmers]) if rider is not None]


def _dispatchers_of(report: Report) -> list[int]:
    """Active dispatchers of the report's district; all of them when it lies outside the map."""
    stmt = select(User.id).where(User.role == Role.DISPATCHER, User.status == UserStatus.ACTIVE)
    if report.district_code:
        stmt = stmt.where(User.area_code == report.district_code)
    return list(db.session.scalars(stmt))


def notify_reporter(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    """The rider (and riders who confirmed the same hazard) see the progress."""
    text = STATUS_TEXT.get(Status(report.status), report.status)
    notifications.notify_many(
        user_ids=_followers(report), kind="status_changed", report_id=report.id,
        title=f"您上报的{_category_name(report)}{text}", body=event.note or text,
        data={"status": report.status, "action": event.action})


def notify_own_reporter(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    """Only this report's rider: the news is about their report, not the one it followed."""
    text = STATUS_TEXT.get(Status(report.status), report.status)
    notifications.notify(
        user_id=report.reporter_id, kind="status_changed", report_id=report.id,
        title=f"您上报的{_category_name(report)}（#{report.id}）{text}", body=event.note or text,
        data={"status": report.status, "action": event.action})


def notify_reassigned(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    """The worker it now goes to is told, with the reason; so is the one it was taken from."""
    notifications.notify(
        user_id=report.assigned_to_id, kind="assigned", report_id=report.id,
        title=f"改派给您的{_category_name(report)}待处理",
        body=f"{report.address or '见地图位置'}；改派原因：{event.note or '无'}",
        data={"lat": report.lat, "lon": report.lon, "reassigned": True})
    previous = (event.data or {}).get("from_worker_id")
    if previous and previous != report.assigned_to_id:
        notifications.notify(
            user_id=previous, kind="reassigned_away", report_id=report.id,
            title=f"{_category_name(report)}（#{report.id}）已改派他人", body=event.note or "已改派",
            data={"status": report.status, "to_worker_id": report.assigned_to_id})


def notify_assignee(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    distance = f"，距您约{round(report.distance_m)}米" if report.distance_m is not None else ""
    notifications.notify(
        user_id=report.assigned_to_id, kind="assigned", report_id=report.id,
        title=f"新的{_category_name(report)}待处理", body=f"{report.address or '见地图位置'}{distance}",
        data={"lat": report.lat, "lon": report.lon, "coord_sys": "wgs84"})


def notify_dispatchers(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    """Dispatchers of the report's district (of every district when it lies outside the map)."""
    reason = event.note or ("未能自动派单" if event.actor_id is None else "网格员上报")
    notifications.notify_many(
        user_ids=_dispatchers_of(report), kind="escalated", report_id=report.id,
        title=f"{_category_name(report)}需要调度", body=reason, data={"status": report.status})


def notify_department(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    due = f"，请于{clock.china_time(report.due_at):%m月%d日 %H:%M}前处置" if report.due_at else ""
    notifications.notify(
        user_id=report.department_id, kind="dispatched", report_id=report.id,
        title=f"区指挥中心派发：{_category_name(report)}", body=f"{report.address or ''}{due}",
        data={"due_at": report.due_at.isoformat() if report.due_at else None})


def notify_overdue(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    recipients = [report.department_id] if report.department_id else []
    recipients += _dispatchers_of(report)
    notifications.notify_many(
        user_ids=recipients, kind="deadline_missed", report_id=report.id,
        title=f"{_category_name(report)}已超过处置时限", body=event.note or "请尽快处置")


def award_points(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    """The hazard proved real: credit the rider (exactly once, whatever retries)."""
    points.award_for_confirmation(report=report)


def penalize(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    points.penalize_rejection(report=report, reason=(event.data or {}).get("reason", "invalid"))


def call_back_integration(*, report: Report, event: ReportEvent, actor: User | None) -> None:
    """A report an integration filed: queue its signed status callback (回音) with the change."""
    callbacks.queue_status_change(report=report, event=event)


ON_CONFIRMED = (notify_reporter, award_points)
ON_REJECT = (notify_own_reporter, penalize)  # followers are told about their own reports
