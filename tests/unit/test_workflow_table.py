"""The report state machine as declared: docs/ARCHITECTURE.md's diagram, checked without a database."""
from __future__ import annotations

import pytest

from app.auth.models import Role
from app.reports.models import Status
from app.reports.workflow import SYSTEM, TRANSITIONS, Action

S, A = Status, Action

# (from, action) → to, as docs/ARCHITECTURE.md "The report state machine" draws it.
DESIGNED = {
    (S.SUBMITTED, A.ASSIGN): S.ASSIGNED,
    (S.SUBMITTED, A.ESCALATE): S.ESCALATED,  # no grid / no worker: the district's queue
    (S.ASSIGNED, A.ACCEPT): S.ACCEPTED,
    (S.ASSIGNED, A.DECLINE): S.SUBMITTED,  # then routed to the next nearest
    (S.ASSIGNED, A.TIMEOUT): S.SUBMITTED,
    (S.ASSIGNED, A.ESCALATE): S.ESCALATED,
    (S.ACCEPTED, A.ESCALATE): S.ESCALATED,
    (S.ACCEPTED, A.RESOLVE): S.RESOLVED,
    (S.ESCALATED, A.DISPATCH): S.DISPATCHED,
    (S.DISPATCHED, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.EVALUATE): S.CLOSED,
    (S.RESOLVED, A.AUTO_CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.SUBMITTED,  # then routed: back to `assigned`
    (S.ASSIGNED, A.REJECT): S.REJECTED,
    (S.ACCEPTED, A.REJECT): S.REJECTED,
    (S.ESCALATED, A.REJECT): S.REJECTED,
}


@pytest.mark.parametrize("key, target", list(DESIGNED.items()), ids=lambda v: str(v))
def test_every_designed_transition_is_declared(key, target):
    assert TRANSITIONS[key].to == target


def test_nothing_leaves_a_final_state():
    assert not [key for key in TRANSITIONS if key[0] in (S.CLOSED, S.REJECTED)]


def test_every_state_can_be_reached_from_submitted():
    reached, frontier = {S.SUBMITTED}, [S.SUBMITTED]
    while frontier:
        state = frontier.pop()
        for (source, _), rule in TRANSITIONS.items():
            if source == state and rule.to not in reached:
                reached.add(rule.to)
                frontier.append(rule.to)
    assert reached == set(Status)


def test_only_the_system_routes_times_out_and_closes_unasked():
    for action in (A.ASSIGN, A.TIMEOUT, A.AUTO_CLOSE, A.OVERDUE, A.CLOSE_WITH_ORIGINAL):
        rules = [rule for (_, act), rule in TRANSITIONS.items() if act == action]
        assert rules and all(rule.roles == {SYSTEM} for rule in rules), action


def test_a_person_may_act_only_with_an_object_level_check():
    people = {Role.GRID_WORKER, Role.DISPATCHER, Role.DEPARTMENT, Role.RIDER}
    for key, rule in TRANSITIONS.items():
        if rule.roles & people:
            assert rule.guard is not None, key


def test_riders_only_evaluate_or_reopen_their_resolved_reports():
    rider_keys = {key for key, rule in TRANSITIONS.items() if Role.RIDER in rule.roles}
    assert rider_keys == {(S.RESOLVED, A.EVALUATE), (S.RESOLVED, A.REOPEN)}
