"""Handling a report: one use case per action, each one transaction through the state machine."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from app.auth.models import Role, User, UserStatus
from app.categories.models import Category
from app.common import clock
from app.common.db import reading_only
from app.common.idempotency import fingerprint
from app.errors import Unprocessable, ValidationFailed
from app.extensions import db
from app.photos import intake
from app.photos.pipeline import PhotoLimits
from app.photos.storage import PhotoStore
from app.photos.threads import PhotoWorkers
from app.reports import idempotency
from app.reports.linking import original_for_duplicate
from app.reports.models import Report, photo_row
from app.reports.workflow import Action, check_allowed, transition


def accept(*, actor: User, report_id: int) -> Report:
    """The assigned grid worker takes the case."""
    return _commit(transition(report_id=report_id, action=Action.ACCEPT, actor=actor,
                              changes={"accepted_at": clock.utcnow()}))


def decline(*, actor: User, report_id: int, reason: str) -> Report:
    """The assigned worker cannot take it: it goes to the next nearest worker (or up)."""
    return _commit(transition(report_id=report_id, action=Action.DECLINE, actor=actor, note=reason,
                              data={"worker_id": actor.id}))


def escalate(*, actor: User, report_id: int, reason: str) -> Report:
    """The assigned worker hands the case to the district command centre."""
    return _commit(transition(report_id=report_id, action=Action.ESCALATE, actor=actor, note=reason))


def dispatch(*, actor: User, report_id: int, department_id: int, due_at: datetime | None) -> Report:
    """The command centre whistles for a department (街乡吹哨、部门报到), with a deadline."""
    report = check_allowed(report_id=report_id, action=Action.DISPATCH, actor=actor)
    department = _department_for(report=report, actor=actor, department_id=department_id)
    now = clock.utcnow()
    if due_at is None:
        category = db.session.get(Category, report.category_code)
        due_at = now + timedelta(hours=category.resolve_hours if category else 72)
    elif due_at <= now:
        raise ValidationFailed("办理期限必须晚于现在。", code="due_in_past",
                               details={"fields": {"due_at": ["必须晚于现在。"]}})
    return _commit(transition(report_id=report_id, action=Action.DISPATCH, actor=actor,
                              note=f"派至{department.name}",
                              changes={"department_id": department.id, "due_at": due_at},
                              data={"department_id": department.id}))


def resolve(*, actor: User, report_id: int, note: str | None, photos: list[bytes],
            store: PhotoStore, limits: PhotoLimits, workers: PhotoWorkers) -> Report:
    """The worker or department fixed it, with an after-photo as proof."""
    intake.check_photo_count(photos, maximum=1)
    with reading_only():  # fail fast, before decoding, and without SQLite's write lock
        check_allowed(report_id=report_id, action=Action.RESOLVE, actor=actor)
        db.session.commit()
    with intake.photo_intake(photos, limits=limits, store=store, workers=workers) as incoming:
        [after] = incoming.stored()
        photo = photo_row(report_id, after, kind="resolution")
        db.session.add(photo)
        db.session.flush()
        report = _commit(transition(report_id=report_id, action=Action.RESOLVE, actor=actor, note=note,
                                    photo_id=photo.id, changes={"resolved_at": clock.utcnow()}))
        incoming.keep()
        return report


def reject(*, actor: User, report_id: int, reason: str, duplicate_of: int | None,
           note: str | None) -> Report:
    """Not a real hazard (invalid), or already reported (duplicate of another report)."""
    changes = {}
    if reason == "duplicate":
        report = check_allowed(report_id=report_id, action=Action.REJECT, actor=actor)
        original = original_for_duplicate(actor=actor, report=report, original_id=duplicate_of,
                                          now=clock.utcnow())
        changes["duplicate_of_id"] = original.id
    return _commit(transition(report_id=report_id, action=Action.REJECT, actor=actor, note=note,
                              changes=changes, data={"reason": reason}))


def evaluate(*, actor: User, report_id: int, rating: int, comment: str | None) -> Report:
    """The rider rates the fix; the case is closed (销号)."""
    return _commit(transition(report_id=report_id, action=Action.EVALUATE, actor=actor, note=comment,
                              changes={"rating": rating, "closed_at": clock.utcnow()},
                              data={"rating": rating}))


def reopen(*, actor: User, report_id: int, reason: str) -> Report:
    """The hazard is still there (within 72 h of the fix): back to a grid worker."""
    return _commit(transition(report_id=report_id, action=Action.REOPEN, actor=actor, note=reason,
                              changes={"assign_attempts": 0}))


def _department_for(*, report: Report, actor: User, department_id: int) -> User:
    """An active department of the report's district; off the map, of the dispatcher's own."""
    department = db.session.get(User, department_id)
    if department is None or department.role != Role.DEPARTMENT or department.status != UserStatus.ACTIVE:
        raise Unprocessable("请选择一个在用的职能部门账号。", code="not_a_department",
                            details={"department_id": department_id})
    if department.area_code != (report.district_code or actor.area_code):
        raise Unprocessable("该职能部门不属于本区县。", code="not_a_department",
                            details={"department_id": department_id})
    return department


def once(*, actor: User, idempotency_key: str | None, request: dict[str, Any],
         photos: Sequence[bytes] = (), run: Callable[[], Report]) -> tuple[Report, bool]:
    """Run an action at most once per Idempotency-Key: (the report, whether this is a replay of
    the first answer). `request` is what the key stands for: the action, its report and its body."""
    if not idempotency_key:
        return run(), False
    return idempotency.run_once(user_id=actor.id, key=idempotency_key,
                                request_hash=fingerprint(request, photos), run=run)


def _commit(report: Report) -> Report:
    idempotency.complete_claim(report_id=report.id, status=200)  # in the same transaction
    db.session.commit()
    return report
