"""The report state machine: the one place that changes a report's status and writes its timeline.

Every change goes through `transition()`: it looks the (state, action) pair up in TRANSITIONS,
checks the actor's role and their relation to the report, moves the status with a conditional
UPDATE (so of two people acting at once exactly one wins), appends the timeline event and runs
the rule's effects — all in the caller's transaction, which the caller commits.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import Role, User
from app.common import clock
from app.errors import Forbidden, InvalidTransition, NotFound
from app.extensions import db
from app.reports import effects
from app.reports.models import STATUS_TEXT, Report, ReportEvent, Status
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


Guard = Callable[[Report, User], None]


def _assignee(report: Report, actor: User) -> None:
    if report.assigned_to_id != actor.id:
        raise Forbidden("这条上报已派给别人。", code="not_your_assignment")


def _district_dispatcher(report: Report, actor: User) -> None:
    if report.district_code is not None and report.district_code != actor.area_code:
        raise Forbidden("这条上报属于其他区县。", code="outside_your_area")


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


def _rule(to: Status, *roles: str, guard: Guard | None = None,
          effects: tuple[Callable[..., None], ...] = ()) -> Rule:
    return Rule(to, frozenset(roles), guard, effects)


# What each action is called where a person reads it (buttons, timelines, error messages).
ACTION_TEXT: dict[str, str] = {
    Action.ASSIGN: "派单", Action.ACCEPT: "接单", Action.DECLINE: "退回", Action.TIMEOUT: "超时改派",
    Action.ESCALATE: "上报区指挥中心", Action.DISPATCH: "派至部门", Action.RESOLVE: "处置",
    Action.REJECT: "不予受理", Action.EVALUATE: "评价", Action.REOPEN: "要求重新处理",
    Action.AUTO_CLOSE: "自动办结", Action.OVERDUE: "超期提醒", Action.CLOSE_WITH_ORIGINAL: "随原上报办结",
    "submit": "上报",  # a report's first timeline event (not a transition)
}

S, A = Status, Action
WORKER, DISPATCHER, DEPARTMENT, RIDER = Role.GRID_WORKER, Role.DISPATCHER, Role.DEPARTMENT, Role.RIDER

# (state, action) → next state, who may act, their relation to the report, what follows.
TRANSITIONS: dict[tuple[Status, Action], Rule] = {
    (S.SUBMITTED, A.ASSIGN): _rule(S.ASSIGNED, SYSTEM, effects=(effects.notify_assignee,)),
    (S.SUBMITTED, A.ESCALATE): _rule(S.ESCALATED, SYSTEM, effects=(effects.notify_dispatchers,)),
    (S.SUBMITTED, A.CLOSE_WITH_ORIGINAL): _rule(S.CLOSED, SYSTEM),  # followers were told with the original
    (S.ASSIGNED, A.ACCEPT): _rule(S.ACCEPTED, WORKER, guard=_assignee, effects=(effects.notify_reporter,)),
    (S.ASSIGNED, A.DECLINE): _rule(S.SUBMITTED, WORKER, guard=_assignee, effects=(effects.route_again,)),
    (S.ASSIGNED, A.TIMEOUT): _rule(S.SUBMITTED, SYSTEM, effects=(effects.route_again,)),
    (S.ASSIGNED, A.ESCALATE): _rule(S.ESCALATED, WORKER, SYSTEM, guard=_assignee,
                                    effects=(effects.notify_dispatchers, effects.notify_reporter)),
    (S.ASSIGNED, A.REJECT): _rule(S.REJECTED, WORKER, guard=_assignee, effects=effects.ON_REJECT),
    (S.ACCEPTED, A.ESCALATE): _rule(S.ESCALATED, WORKER, SYSTEM, guard=_assignee,
                                    effects=(effects.notify_dispatchers, effects.notify_reporter)),
    (S.ACCEPTED, A.RESOLVE): _rule(S.RESOLVED, WORKER, guard=_assignee, effects=effects.ON_CONFIRMED),
    (S.ACCEPTED, A.REJECT): _rule(S.REJECTED, WORKER, guard=_assignee, effects=effects.ON_REJECT),
    (S.ESCALATED, A.DISPATCH): _rule(S.DISPATCHED, DISPATCHER, guard=_district_dispatcher,
                                     effects=(effects.notify_department, *effects.ON_CONFIRMED)),
    (S.ESCALATED, A.REJECT): _rule(S.REJECTED, DISPATCHER, guard=_district_dispatcher,
                                   effects=effects.ON_REJECT),
    (S.DISPATCHED, A.RESOLVE): _rule(S.RESOLVED, DEPARTMENT, guard=_dispatched_department,
                                     effects=effects.ON_CONFIRMED),
    (S.DISPATCHED, A.OVERDUE): _rule(S.DISPATCHED, SYSTEM, effects=(effects.notify_overdue,)),
    (S.RESOLVED, A.EVALUATE): _rule(S.CLOSED, RIDER, guard=_reporter, effects=(effects.close_followers,)),
    (S.RESOLVED, A.REOPEN): _rule(S.SUBMITTED, RIDER, guard=_reporter_within_window,
                                  effects=(effects.route_again,)),
    (S.RESOLVED, A.AUTO_CLOSE): _rule(S.CLOSED, SYSTEM, effects=(effects.close_followers,)),
}


def transition(*, report_id: int, action: Action, actor: User | None, note: str | None = None,
               photo_id: int | None = None, changes: dict[str, Any] | None = None,
               data: dict[str, Any] | None = None, written: Report | None = None) -> Report:
    """Apply one action to a report (actor None: the system); flushes, the caller commits.
    `written`: the report's instance if this transaction inserted it (nothing to re-read)."""
    report = check_allowed(report_id=report_id, action=action, actor=actor, written=written)
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
        current = db.session.get(Report, report_id, populate_existing=True)
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
    return report


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
