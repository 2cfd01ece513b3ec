"""The report state machine: the one place that changes a report's status and writes its timeline.

Every change goes through `transition()`: it looks the (state, action) pair up in TRANSITIONS,
checks the actor's role and their relation to the report, moves the status with a conditional
UPDATE (so of two people acting at once exactly one wins), appends the timeline event and runs
the rule's effects — all in the caller's transaction, which the caller commits. A rule may then
route the report (applying the decision of app/dispatch/assignment.py) and move the duplicate
reports that follow it; these are further moves, never a call back into transition().
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import Role, User
from app.common import clock
from app.dispatch import assignment
from app.dispatch.policy import current_policy
from app.errors import Forbidden, InvalidTransition, NotFound
from app.extensions import db
from app.reports import effects
from app.reports.models import OPEN_STATUSES, STATUS_TEXT, Report, ReportEvent, Status
from app.reports.visibility import require_visible
from app.stats import aggregates as stats

SYSTEM = "system"  # the actor of sweeps and automatic routing
REOPEN_WINDOW = timedelta(hours=72)


class Action(StrEnum):
    ASSIGN = "assign"
    ACCEPT = "accept"
    DECLINE = "decline"
    TIMEOUT = "timeout"
    ESCALATE = "escalate"
    DISPATCH = "dispatch"
    RESOLVE = "resolve"
    REJECT = "reject"
    EVALUATE = "evaluate"
    REOPEN = "reopen"
    AUTO_CLOSE = "auto_close"
    OVERDUE = "overdue"
    CLOSE_WITH_ORIGINAL = "close_with_original"
    REASSIGN = "reassign"
    HAND_BACK = "hand_back"
    RECALL = "recall"
    DETACH = "detach"
    FOLLOW = "follow"


Guard = Callable[[Report, User], None]


def _assignee(report: Report, actor: User) -> None:
    if report.assigned_to_id != actor.id:
        raise Forbidden("这条上报已派给别人。", code="not_your_assignment")


def _district_dispatcher(report: Report, actor: User) -> None:
    if report.district_code is not None and report.district_code != actor.area_code:
        raise Forbidden("这条上报属于其他区县。", code="outside_your_area")


def _area_staff(report: Report, actor: User) -> None:
    """A secretary of the report's community, or a dispatcher of its district."""
    if actor.role == Role.SECRETARY and report.community_code != actor.area_code:
        raise Forbidden("这条上报不在你的社区。", code="outside_your_area")
    if actor.role == Role.DISPATCHER:
        _district_dispatcher(report, actor)


def _dispatched_department(report: Report, actor: User) -> None:
    if report.department_id != actor.id:
        raise Forbidden("这条上报已派给其他部门。", code="not_your_assignment")


def _reporter(report: Report, actor: User) -> None:
    if report.reporter_id != actor.id:
        raise Forbidden("只有上报的骑手本人可以这样做。", code="not_your_report")


def _reporter_within_window(report: Report, actor: User) -> None:
    _reporter(report, actor)
    if report.resolved_at and clock.utcnow() - report.resolved_at > REOPEN_WINDOW:
        raise InvalidTransition("处置完成72小时内才能要求重新处理。",
                                code="reopen_window_passed", details={"status": report.status})


@dataclass(frozen=True)
class Rule:
    to: Status
    roles: frozenset[str]
    guard: Guard | None = None
    effects: tuple[Callable[..., None], ...] = ()
    routes: bool = False  # back in `submitted`: routed at once (docs/ARCHITECTURE.md, section 5)
    followers: Callable[[Report], None] | None = None  # what becomes of the duplicates following it


def _rule(to: Status, *roles: str, guard: Guard | None = None,
          effects: tuple[Callable[..., None], ...] = (), routes: bool = False,
          followers: Callable[[Report], None] | None = None) -> Rule:
    return Rule(to, frozenset(roles), guard, effects, routes, followers)


def _close_followers(report: Report) -> None:
    """Closing a hazard closes the duplicate reports that followed it (they were told with it)."""
    for follower in _waiting_followers(report.id):
        _move(follower, Action.CLOSE_WITH_ORIGINAL, actor=None, note=f"随原上报 #{report.id} 办结")


def _release_followers(report: Report) -> None:
    """A rejected original carries its followers no longer: each follows the report it was found to
    duplicate, if that one is still going, or is routed as a report of its own."""
    root = db.session.get(Report, report.duplicate_of_id) if report.duplicate_of_id else None
    carried = root is not None and root.status in (*OPEN_STATUSES, Status.RESOLVED)
    for follower in _waiting_followers(report.id):
        if carried:
            _move(follower, Action.FOLLOW, actor=None, changes={"duplicate_of_id": root.id},
                  note=f"原上报 #{report.id} 与 #{root.id} 重复，您的上报随 #{root.id} 处理",
                  data={"original_id": report.id})
        else:
            detach(report=follower, note=f"原上报 #{report.id} 未受理，您的上报将单独处理")


def _waiting_followers(report_id: int) -> list[Report]:
    return list(db.session.scalars(select(Report).where(
        Report.duplicate_of_id == report_id, Report.status == Status.SUBMITTED).order_by(Report.id)))


# What each action is called where a person reads it (buttons, timelines, error messages).
ACTION_TEXT: dict[str, str] = {
    Action.ASSIGN: "派单", Action.ACCEPT: "接单", Action.DECLINE: "退回", Action.TIMEOUT: "超时改派",
    Action.ESCALATE: "上报区指挥中心", Action.DISPATCH: "派至部门", Action.RESOLVE: "处置",
    Action.REJECT: "不予受理", Action.EVALUATE: "评价", Action.REOPEN: "要求重新处理",
    Action.AUTO_CLOSE: "自动办结", Action.OVERDUE: "超期提醒", Action.CLOSE_WITH_ORIGINAL: "随原上报办结",
    Action.REASSIGN: "改派", Action.HAND_BACK: "交回改派", Action.RECALL: "退回区指挥中心",
    Action.DETACH: "单独处理", Action.FOLLOW: "随原上报处理",
    "submit": "上报",  # a report's first timeline event (not a transition)
}

S, A = Status, Action
WORKER, DISPATCHER, DEPARTMENT, RIDER = Role.GRID_WORKER, Role.DISPATCHER, Role.DEPARTMENT, Role.RIDER
SECRETARY = Role.SECRETARY
REASSIGN = _rule(S.ASSIGNED, SECRETARY, DISPATCHER, guard=_area_staff, effects=(effects.notify_reassigned,))

# (state, action) → next state, who may act, their relation to the report, what follows.
TRANSITIONS: dict[tuple[Status, Action], Rule] = {
    (S.SUBMITTED, A.ASSIGN): _rule(S.ASSIGNED, SYSTEM, effects=(effects.notify_assignee,)),
    (S.SUBMITTED, A.ESCALATE): _rule(S.ESCALATED, SYSTEM, effects=(effects.notify_dispatchers,)),
    (S.SUBMITTED, A.CLOSE_WITH_ORIGINAL): _rule(S.CLOSED, SYSTEM),  # followers were told with the original
    (S.SUBMITTED, A.DETACH): _rule(S.SUBMITTED, SYSTEM, effects=(effects.notify_own_reporter,), routes=True),
    (S.SUBMITTED, A.FOLLOW): _rule(S.SUBMITTED, SYSTEM, effects=(effects.notify_own_reporter,)),
    (S.SUBMITTED, A.REASSIGN): REASSIGN,
    (S.ASSIGNED, A.REASSIGN): REASSIGN,
    (S.ACCEPTED, A.REASSIGN): REASSIGN,
    (S.ESCALATED, A.REASSIGN): REASSIGN,
    (S.ASSIGNED, A.HAND_BACK): _rule(S.SUBMITTED, SYSTEM, routes=True),
    (S.ACCEPTED, A.HAND_BACK): _rule(S.SUBMITTED, SYSTEM, routes=True),
    (S.DISPATCHED, A.RECALL): _rule(S.ESCALATED, SYSTEM, effects=(effects.notify_dispatchers,)),
    (S.ASSIGNED, A.ACCEPT): _rule(S.ACCEPTED, WORKER, guard=_assignee, effects=(effects.notify_reporter,)),
    (S.ASSIGNED, A.DECLINE): _rule(S.SUBMITTED, WORKER, guard=_assignee, routes=True),
    (S.ASSIGNED, A.TIMEOUT): _rule(S.SUBMITTED, SYSTEM, routes=True),
    (S.ASSIGNED, A.ESCALATE): _rule(S.ESCALATED, WORKER, SYSTEM, guard=_assignee,
                                    effects=(effects.notify_dispatchers, effects.notify_reporter)),
    (S.ASSIGNED, A.REJECT): _rule(S.REJECTED, WORKER, guard=_assignee, effects=effects.ON_REJECT,
                                  followers=_release_followers),
    (S.ACCEPTED, A.ESCALATE): _rule(S.ESCALATED, WORKER, SYSTEM, guard=_assignee,
                                    effects=(effects.notify_dispatchers, effects.notify_reporter)),
    (S.ACCEPTED, A.RESOLVE): _rule(S.RESOLVED, WORKER, guard=_assignee, effects=effects.ON_CONFIRMED),
    (S.ACCEPTED, A.REJECT): _rule(S.REJECTED, WORKER, guard=_assignee, effects=effects.ON_REJECT,
                                  followers=_release_followers),
    (S.ESCALATED, A.DISPATCH): _rule(S.DISPATCHED, DISPATCHER, guard=_district_dispatcher,
                                     effects=(effects.notify_department, *effects.ON_CONFIRMED)),
    (S.ESCALATED, A.REJECT): _rule(S.REJECTED, DISPATCHER, guard=_district_dispatcher,
                                   effects=effects.ON_REJECT, followers=_release_followers),
    (S.DISPATCHED, A.RESOLVE): _rule(S.RESOLVED, DEPARTMENT, guard=_dispatched_department,
                                     effects=effects.ON_CONFIRMED),
    (S.DISPATCHED, A.OVERDUE): _rule(S.DISPATCHED, SYSTEM, effects=(effects.notify_overdue,)),
    (S.RESOLVED, A.EVALUATE): _rule(S.CLOSED, RIDER, guard=_reporter, effects=(effects.notify_reporter,),
                                    followers=_close_followers),
    (S.RESOLVED, A.REOPEN): _rule(S.SUBMITTED, RIDER, guard=_reporter_within_window, routes=True),
    (S.RESOLVED, A.AUTO_CLOSE): _rule(S.CLOSED, SYSTEM, effects=(effects.notify_reporter,),
                                      followers=_close_followers),
}


def transition(*, report_id: int, action: Action, actor: User | None, note: str | None = None,
               photo_id: int | None = None, changes: dict[str, Any] | None = None,
               data: dict[str, Any] | None = None, written: Report | None = None) -> Report:
    """Apply one action to a report (actor None: the system); flushes, the caller commits.
    `written`: the report's instance if this transaction inserted it (nothing to re-read)."""
    report = check_allowed(report_id=report_id, action=action, actor=actor, written=written)
    rule = _move(report, action, actor=actor, note=note, photo_id=photo_id, changes=changes, data=data)
    if rule.routes:
        route(report=report)
    if rule.followers is not None:
        rule.followers(report)
    return report


def route(*, report: Report, new: bool = False, candidate: assignment.Found | None = None) -> Report:
    """Apply assignment's decision to a `submitted` report: assign it, or escalate it to the district.
    `new`: inserted in this transaction; `candidate`: the worker found before it began."""
    decision = assignment.decide(report=report, policy=current_policy(), new=new, candidate=candidate)
    if decision.worker is None:
        _move(report, Action.ESCALATE, actor=None, note=decision.note)
        return report
    worker_id, distance = decision.worker.id, decision.distance_m
    _move(report, Action.ASSIGN, actor=None, note=decision.note,
          changes={"assigned_to_id": worker_id, "distance_m": distance, "assigned_at": clock.utcnow(),
                   "assign_attempts": report.assign_attempts + 1},
          data={"worker_id": worker_id, "distance_m": distance})
    return report


def detach(*, report: Report, note: str) -> Report:
    """A duplicate whose original can no longer carry it becomes a report of its own, and is routed."""
    original_id = report.duplicate_of_id
    _move(report, Action.DETACH, actor=None, note=note, changes={"duplicate_of_id": None},
          data={"original_id": original_id})
    return route(report=report)


def _move(report: Report, action: Action, *, actor: User | None, note: str | None = None,
          photo_id: int | None = None, changes: dict[str, Any] | None = None,
          data: dict[str, Any] | None = None) -> Rule:
    """One step: the conditional UPDATE, the timeline event, the rule's effects (which never move a
    report). The actor was checked by the caller; flushes."""
    rule = _rule_for(report, action)
    now, from_status, version = clock.utcnow(), report.status, report.version
    counted_as = stats.facts_of(report)
    values = {"status": rule.to, "updated_at": now, "version": version + 1, **(changes or {})}
    # No ORM synchronisation (it evaluates the WHERE against the session's objects): the loop
    # below sets exactly what was written on the one instance concerned.
    moved = db.session.execute(
        update(Report).where(Report.id == report.id, Report.version == version).values(**values),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not moved:  # someone else changed the report since we read it
        current = db.session.get(Report, report.id, populate_existing=True)
        raise _conflict(current.status if current else None, action)
    for key, value in values.items():  # what the UPDATE wrote, without re-reading the row
        set_committed_value(report, key, value)
    stats.count_report_change(report, before=counted_as)
    event = ReportEvent(report_id=report.id, action=action, from_status=from_status,
                        to_status=rule.to, actor_id=actor.id if actor else None, note=note,
                        photo_id=photo_id, data=data, at=now)
    db.session.add(event)
    db.session.flush()
    for effect in rule.effects:
        effect(report=report, event=event, actor=actor)
    if report.integration_id is not None:  # whatever the change, the filing integration hears of it
        effects.call_back_integration(report=report, event=event, actor=actor)
    return rule


def check_allowed(*, report_id: int, action: Action, actor: User | None,
                  written: Report | None = None) -> Report:
    """The report, if this actor may take this action now (a read-only pre-check). `written`: the
    instance this transaction inserted, which is current already (else the row is re-read)."""
    fresh = written is not None and written.id == report_id
    report = written if fresh else db.session.get(Report, report_id, populate_existing=True)
    if report is None:
        raise NotFound("找不到这条上报。", code="report_not_found")
    if actor is not None:  # a person learns nothing of a report's state before they may see it
        require_visible(actor, report)
    _check_actor(_rule_for(report, action), report, actor)
    return report


def record_submission(*, report: Report, actor: User | None, note: str | None = None) -> ReportEvent:
    """The first event of every timeline: the rider's submission, or an integration's (actor None)
    (written by the caller's next flush, together with what routing writes)."""
    event = ReportEvent(report_id=report.id, action="submit", from_status=None,
                        to_status=Status.SUBMITTED, actor_id=actor.id if actor else None, note=note,
                        at=clock.utcnow())
    db.session.add(event)
    return event


def actions_for(report: Report, user: User) -> list[str]:
    """The actions this user could take on this report now (for the app's buttons)."""
    allowed = []
    for (state, action), rule in TRANSITIONS.items():
        if state != report.status or user.role not in rule.roles:
            continue
        try:
            if rule.guard:
                rule.guard(report, user)
        except (Forbidden, InvalidTransition):
            continue
        allowed.append(str(action))
    return allowed


def _rule_for(report: Report, action: Action) -> Rule:
    rule = TRANSITIONS.get((Status(report.status), action))
    if rule is None:
        raise _conflict(report.status, action)
    return rule


def _check_actor(rule: Rule, report: Report, actor: User | None) -> None:
    if actor is None:
        if SYSTEM not in rule.roles:
            raise Forbidden("这一步需要由人来操作。")
        return
    if actor.role not in rule.roles:
        raise Forbidden("你的角色不能对上报做这个操作。", code="role_not_allowed")
    if rule.guard:
        rule.guard(report, actor)


def _conflict(status: str | None, action: Action) -> InvalidTransition:
    state = STATUS_TEXT.get(status, status) if status else "不存在"
    return InvalidTransition(f"这条上报当前「{state}」，不能{ACTION_TEXT.get(action, action)}。",
                             details={"status": status, "action": str(action)})
