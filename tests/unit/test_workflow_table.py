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
    (S.SUBMITTED, A.REASSIGN): S.ASSIGNED,  # people correct the router
    (S.ASSIGNED, A.REASSIGN): S.ASSIGNED,
    (S.ACCEPTED, A.REASSIGN): S.ASSIGNED,
    (S.ESCALATED, A.REASSIGN): S.ASSIGNED,
    (S.ASSIGNED, A.HAND_BACK): S.SUBMITTED,  # then routed: nothing is stranded
    (S.ACCEPTED, A.HAND_BACK): S.SUBMITTED,
    (S.DISPATCHED, A.RECALL): S.ESCALATED,
    (S.SUBMITTED, A.DETACH): S.SUBMITTED,
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
    for action in (A.ASSIGN, A.TIMEOUT, A.AUTO_CLOSE, A.OVERDUE, A.CLOSE_WITH_ORIGINAL, A.HAND_BACK, A.RECALL,
                   A.DETACH, A.FOLLOW):
        rules = [rule for (_, act), rule in TRANSITIONS.items() if act == action]
        assert rules and all(rule.roles == {SYSTEM} for rule in rules), action


def test_a_person_may_act_only_with_an_object_level_check():
    people = {Role.GRID_WORKER, Role.DISPATCHER, Role.DEPARTMENT, Role.RIDER, Role.SECRETARY}
    for key, rule in TRANSITIONS.items():
        if rule.roles & people:
            assert rule.guard is not None, key


def test_riders_only_evaluate_or_reopen_their_resolved_reports():
    rider_keys = {key for key, rule in TRANSITIONS.items() if Role.RIDER in rule.roles}
    assert rider_keys == {(S.RESOLVED, A.EVALUATE), (S.RESOLVED, A.REOPEN)}


def test_whatever_returns_a_report_to_submitted_routes_it_at_once():
    back = {key for key, rule in TRANSITIONS.items() if rule.to == S.SUBMITTED and key[1] != A.FOLLOW}
    assert back and all(TRANSITIONS[key].routes for key in back), back
    assert not any(rule.routes for key, rule in TRANSITIONS.items() if rule.to != S.SUBMITTED)


def test_only_secretaries_and_dispatchers_reassign_and_only_from_open_states():
    keys = {key for key in TRANSITIONS if key[1] == A.REASSIGN}
    assert {state for state, _ in keys} == {S.SUBMITTED, S.ASSIGNED, S.ACCEPTED, S.ESCALATED}
    assert all(TRANSITIONS[key].roles == {Role.SECRETARY, Role.DISPATCHER} for key in keys)
