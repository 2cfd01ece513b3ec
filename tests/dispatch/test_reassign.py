"""Reassign (派单/改派) through HTTP: the rules, who is told, the authorisation matrix, the race."""
from __future__ import annotations

import io
import threading

import pytest

from app.auth.models import Role, UserStatus
from tests.factories import auth_headers, make_area, make_community, make_user
from tests.images import jpeg_bytes
from tests.mapdata import COMMUNITY
from tests.reports.conftest import act, phone_photo

NEIGHBOUR = "640106001002"  # another community of the same district (no map polygon needed)
ELSEWHERE = "640324"  # another district


@pytest.fixture
def crew(app, staff):
    """The fixture staff, a third worker of the community, one of the neighbour community, and
    people of other areas."""
    make_community(app, NEIGHBOUR)
    make_area(app, ELSEWHERE, "district", name="同心县")
    make_community(app, ELSEWHERE + "100001")
    return {**staff,
            "third": make_user(app, Role.GRID_WORKER, area_code=COMMUNITY, name="李网格"),
            "neighbour_worker": make_user(app, Role.GRID_WORKER, area_code=NEIGHBOUR, name="邻网格"),
            "remote_worker": make_user(app, Role.GRID_WORKER, area_code=ELSEWHERE + "100001"),
            "other_secretary": make_user(app, Role.SECRETARY, area_code=NEIGHBOUR),
            "other_dispatcher": make_user(app, Role.DISPATCHER, area_code=ELSEWHERE),
            "admin": make_user(app, Role.ADMIN)}


def _reassign(client, app, actor, report_id, body):
    return client.post(f"/api/v1/reports/{report_id}/reassign", headers=auth_headers(app, actor), json=body)


def _read(client, app, user, report_id):
    return client.get(f"/api/v1/reports/{report_id}", headers=auth_headers(app, user)).get_json()


def _inbox(client, app, user):
    return client.get("/api/v1/notifications", headers=auth_headers(app, user)).get_json()["items"]


def _report_in(state, *, client, app, submit, crew, rider, seed=1):
    """A report of COMMUNITY brought to `state` through the API; its id."""
    first = submit(photos=[(phone_photo(seed=seed), "a.jpg")]).get_json()
    assert first["status"] == "assigned" and first["assigned_to"]["id"] == crew["near"].id
    report_id, near = first["id"], crew["near"]
    if state == "submitted":  # a duplicate waits for its original in `submitted`
        follower = submit(photos=[(phone_photo(seed=seed + 100), "b.jpg")]).get_json()
        assert follower["status"] == "submitted" and follower["duplicate_of"] == report_id
        return follower["id"]
    steps = {
        "assigned": [],
        "accepted": [("accept", None)],
        "escalated": [("escalate", {"reason": "需要部门"})],
        "rejected": [("reject", {"reason": "invalid"})],
        "dispatched": [("escalate", {"reason": "需要部门"}), ("dispatch", {"department_id": crew["department"].id})],
        "resolved": [("accept", None), ("resolve", "photo")],
        "closed": [("accept", None), ("resolve", "photo"), ("evaluate", {"rating": 5})],
    }[state]
    for action, body in steps:
        actor = {"dispatch": crew["dispatcher"], "evaluate": rider}.get(action, near)
        if body == "photo":
            photo = {"note": "好了", "photo": [(io.BytesIO(jpeg_bytes(80, 60, seed=seed + 50)), "after.jpg")]}
            response = act(client, app, actor, report_id, action, data=photo)
        else:
            response = act(client, app, actor, report_id, action, body)
        assert response.status_code == 200, (action, response.get_json())
    return report_id


# --- the rules -------------------------------------------------------------------------------


def test_a_secretary_hands_a_report_to_a_named_worker(client, app, submit, crew, rider):
    report_id = _report_in("assigned", client=client, app=app, submit=submit, crew=crew, rider=rider)
    secretary_view = _read(client, app, crew["secretary"], report_id)
    assert "reassign" in secretary_view["actions"]
    response = _reassign(client, app, crew["secretary"], report_id,
                         {"worker_id": crew["third"].id, "reason": "李网格负责3号楼"})
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["status"] == "assigned" and report["assigned_to"]["id"] == crew["third"].id
    last = report["timeline"][-1]
    assert last["action"] == "reassign" and last["actor"]["id"] == crew["secretary"].id
    assert last["from_status"] == "assigned" and last["to_status"] == "assigned"
    assert "近网格员" in last["note"] and "李网格" in last["note"] and "李网格负责3号楼" in last["note"]
    # The new worker is told (with the reason) and may accept; the previous one is told and may not.
    [pushed] = [n for n in _inbox(client, app, crew["third"]) if n["kind"] == "assigned"]
    assert pushed["report_id"] == report_id and "李网格负责3号楼" in pushed["body"]
    assert [n["kind"] for n in _inbox(client, app, crew["near"])] == ["assigned", "reassigned_away"]
    assert _read(client, app, crew["third"], report_id)["actions"] == ["accept", "decline", "escalate", "reject"]
    refused = act(client, app, crew["near"], report_id, "accept")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_your_assignment"
    assert act(client, app, crew["third"], report_id, "accept").status_code == 200


def test_a_dispatcher_takes_one_from_the_escalated_queue_to_a_worker_of_the_district(
        client, app, submit, crew, rider):
    report_id = _report_in("escalated", client=client, app=app, submit=submit, crew=crew, rider=rider)
    assert "reassign" in _read(client, app, crew["dispatcher"], report_id)["actions"]
    response = _reassign(client, app, crew["dispatcher"], report_id,
                         {"worker_id": crew["neighbour_worker"].id, "reason": "邻社区网格员就在附近"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["assigned_to"]["id"] == crew["neighbour_worker"].id
    assert [n["kind"] for n in _inbox(client, app, crew["neighbour_worker"])] == ["assigned"]
    # The worker who escalated it is not holding it any more, and is not told it was taken.
    assert "reassigned_away" not in [n["kind"] for n in _inbox(client, app, crew["near"])]
    assert act(client, app, crew["neighbour_worker"], report_id, "accept").status_code == 200


def test_reassigning_a_waiting_duplicate_makes_it_a_report_of_its_own(client, app, submit, crew, rider):
    follower = _report_in("submitted", client=client, app=app, submit=submit, crew=crew, rider=rider)
    response = _reassign(client, app, crew["secretary"], follower, {"worker_id": crew["far"].id, "reason": "另一处"})
    assert response.status_code == 200
    assert response.get_json()["duplicate_of"] is None and response.get_json()["status"] == "assigned"


@pytest.mark.parametrize("body", [{}, {"worker_id": 1}, {"reason": "x"}, {"worker_id": "李", "reason": "x"},
                                  {"worker_id": 1, "reason": ""}, {"worker_id": 2**40, "reason": "x"}])
def test_without_worker_or_reason_is_400_and_nothing_changes(client, app, submit, crew, rider, body):
    report_id = _report_in("assigned", client=client, app=app, submit=submit, crew=crew, rider=rider)
    response = _reassign(client, app, crew["secretary"], report_id, body)
    assert response.status_code == 400
    assert _read(client, app, crew["near"], report_id)["assigned_to"]["id"] == crew["near"].id


@pytest.mark.parametrize("actor_key, target_key", [
    ("secretary", "neighbour_worker"),  # a secretary stays within the community
    ("secretary", "rider"), ("secretary", "dispatcher"), ("secretary", "nobody"), ("secretary", "disabled"),
    ("dispatcher", "remote_worker"),  # a dispatcher stays within the district
    ("dispatcher", "department"),
    ("secretary", "near"),  # already holds it
])
def test_an_ineligible_worker_is_422_and_nothing_changes(client, app, submit, crew, rider, actor_key, target_key):
    report_id = _report_in("assigned", client=client, app=app, submit=submit, crew=crew, rider=rider)
    people = {**crew, "rider": rider,
              "disabled": make_user(app, Role.GRID_WORKER, area_code=COMMUNITY, status=UserStatus.DISABLED)}
    worker_id = 999_999 if target_key == "nobody" else people[target_key].id
    response = _reassign(client, app, crew[actor_key], report_id, {"worker_id": worker_id, "reason": "试试"})
    assert response.status_code == 422, response.get_json()
    report = _read(client, app, crew["near"], report_id)
    assert report["assigned_to"]["id"] == crew["near"].id and report["timeline"][-1]["action"] == "assign"


def test_an_unknown_report_is_404(client, app, crew):
    response = _reassign(client, app, crew["secretary"], 999_999, {"worker_id": crew["far"].id, "reason": "x"})
    assert response.status_code == 404


# --- the authorisation matrix: roles × own/other area × states ------------------------------------

ALLOWED = ("submitted", "assigned", "accepted", "escalated")
OTHERS = ("dispatched", "resolved", "closed", "rejected")
MATRIX = (
    [("secretary", state, 200) for state in ALLOWED] + [("secretary", state, 409) for state in OTHERS]
    + [("dispatcher", state, 200) for state in ALLOWED] + [("dispatcher", state, 409) for state in OTHERS]
    + [("other_secretary", state, 403) for state in ALLOWED]
    + [("other_dispatcher", state, 403) for state in ALLOWED]
    + [(role, state, 403) for role in ("rider", "near", "department", "admin") for state in ("assigned", "escalated")]
)


@pytest.mark.parametrize("actor_key, state, expected", MATRIX, ids=[f"{a}-{s}-{e}" for a, s, e in MATRIX])
def test_who_may_reassign_in_which_state(client, app, submit, crew, rider, actor_key, state, expected):
    report_id = _report_in(state, client=client, app=app, submit=submit, crew=crew, rider=rider)
    actor = rider if actor_key == "rider" else crew[actor_key]
    target = crew["third"] if actor_key in ("secretary", "dispatcher") else crew["far"]
    before = _read(client, app, crew["secretary"], report_id)
    response = _reassign(client, app, actor, report_id, {"worker_id": target.id, "reason": "就近处理"})
    assert response.status_code == expected, response.get_json()
    after = _read(client, app, crew["secretary"], report_id)
    if expected == 200:
        assert after["status"] == "assigned" and after["assigned_to"]["id"] == target.id
        return
    assert (after["status"], after["assigned_to"]) == (before["status"], before["assigned_to"])
    if expected == 409:
        assert response.get_json()["error"]["details"]["status"] == state
    if actor_key != "admin" and actor_key != "department":
        shown = client.get(f"/api/v1/reports/{report_id}", headers=auth_headers(app, actor))
        assert shown.status_code != 200 or "reassign" not in shown.get_json()["actions"]


# --- the race ---------------------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(4))
def test_a_reassign_racing_an_accept_never_lets_both_win(app, client, submit, crew, rider, round_):
    report_id = _report_in("assigned", client=client, app=app, submit=submit, crew=crew, rider=rider,
                           seed=round_ + 1)
    near, secretary = auth_headers(app, crew["near"]), auth_headers(app, crew["secretary"])
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def run(name: str, path: str, headers, body) -> None:  # type: ignore[no-untyped-def]
        racer = app.test_client()
        barrier.wait()
        results[name] = racer.post(f"/api/v1/reports/{report_id}/{path}", headers=headers, json=body).status_code

    threads = [threading.Thread(target=run, args=("accept", "accept", near, None)),
               threading.Thread(target=run, args=("reassign", "reassign", secretary,
                                                  {"worker_id": crew["third"].id, "reason": "改派"}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = _read(client, app, crew["secretary"], report_id)
    moves = [(e["action"], e["from_status"], e["to_status"]) for e in report["timeline"]][2:]
    if results["reassign"] == 200 and results["accept"] == 200:
        # Not both on what they read: the accept came first, and the reassign took the accepted case.
        assert moves == [("accept", "assigned", "accepted"), ("reassign", "accepted", "assigned")]
    elif results["reassign"] == 200:  # the accept lost: the report was no longer theirs, or had moved
        assert results["accept"] in (403, 409) and moves == [("reassign", "assigned", "assigned")]
    else:  # the reassign lost the conditional update to the accept
        assert results == {"accept": 200, "reassign": 409} and moves == [("accept", "assigned", "accepted")]
    holder = crew["third"] if results["reassign"] == 200 else crew["near"]
    assert report["assigned_to"]["id"] == holder.id
    assert report["status"] == ("assigned" if results["reassign"] == 200 else "accepted")



def test_a_retried_reassign_with_the_same_key_acts_once(client, app, submit, crew, rider):
    report_id = _report_in("assigned", client=client, app=app, submit=submit, crew=crew, rider=rider)
    headers = {**auth_headers(app, crew["secretary"]), "Idempotency-Key": "reassign-0001"}
    body = {"worker_id": crew["third"].id, "reason": "李网格负责3号楼"}
    first = client.post(f"/api/v1/reports/{report_id}/reassign", headers=headers, json=body)
    again = client.post(f"/api/v1/reports/{report_id}/reassign", headers=headers, json=body)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    timeline = _read(client, app, crew["secretary"], report_id)["timeline"]
    assert [e["action"] for e in timeline].count("reassign") == 1
    assert len([n for n in _inbox(client, app, crew["third"]) if n["kind"] == "assigned"]) == 1
    other = client.post(f"/api/v1/reports/{report_id}/reassign", headers=headers,
                        json={"worker_id": crew["far"].id, "reason": "另一个"})
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
