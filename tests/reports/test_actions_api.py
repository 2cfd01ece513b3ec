"""Handling reports through the state machine: who may act, in which state, and races."""
from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import auth_headers, make_user
from tests.images import jpeg_bytes
from tests.reports.conftest import act, phone_photo


@pytest.fixture
def assigned(submit, staff):
    report = submit(photos=[(phone_photo(seed=1), "a.jpg")]).get_json()
    assert report["status"] == "assigned" and report["assigned_to"]["id"] == staff["near"].id
    return report["id"]


def _after_photo(seed: int = 50):
    return {"note": "已处置", "photo": [(io.BytesIO(jpeg_bytes(80, 60, seed=seed)), "after.jpg")]}


def _resolve_by_worker(client, app, staff, report_id):
    assert act(client, app, staff["near"], report_id, "accept").status_code == 200
    resolved = act(client, app, staff["near"], report_id, "resolve", data=_after_photo())
    assert resolved.status_code == 200, resolved.get_json()
    return resolved


def test_unknown_action_is_404(client, app, staff, assigned):
    response = act(client, app, staff["near"], assigned, "teleport")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_a_worker_cannot_touch_anothers_assignment(client, app, staff, assigned):
    for action, body in (("accept", None), ("decline", {"reason": "x"}), ("escalate", {"reason": "x"}),
                         ("reject", {"reason": "invalid"})):
        response = act(client, app, staff["far"], assigned, action, body)
        assert response.status_code == 403, action
        assert response.get_json()["error"]["code"] == "not_your_assignment"


@pytest.mark.parametrize("role_key, action, body", [
    ("rider", "accept", None), ("secretary", "accept", None), ("dispatcher", "accept", None),
    ("department", "decline", {"reason": "x"}), ("rider", "dispatch", {"department_id": 1}),
    ("near", "evaluate", {"rating": 5}), ("dispatcher", "reopen", {"reason": "x"}),
])
def test_wrong_role_is_403(client, app, staff, rider, assigned, role_key, action, body):
    user = rider if role_key == "rider" else staff[role_key]
    assert act(client, app, user, assigned, action, body).status_code == 403


def test_wrong_state_is_409_with_the_current_status(client, app, staff, rider, assigned):
    response = act(client, app, rider, assigned, "evaluate", {"rating": 4})
    assert response.status_code == 409
    assert response.get_json()["error"]["details"]["status"] == "assigned"
    dispatch = act(client, app, staff["dispatcher"], assigned, "dispatch",
                   {"department_id": staff["department"].id})
    assert dispatch.status_code == 409


def test_resolve_needs_exactly_one_after_photo(app, client, staff, assigned):
    from tests.reports.conftest import count_reports
    from tests.support.uploads import stored_files

    act(client, app, staff["near"], assigned, "accept")
    files_before = len(stored_files(app))
    missing = act(client, app, staff["near"], assigned, "resolve", data={"note": "好了"})
    assert missing.status_code == 400 and missing.get_json()["error"]["code"] == "photo_required"
    two = act(client, app, staff["near"], assigned, "resolve",
              data={"photo": [(io.BytesIO(jpeg_bytes(seed=1)), "a.jpg"), (io.BytesIO(jpeg_bytes(seed=2)), "b.jpg")]})
    assert two.status_code == 400
    pdf = act(client, app, staff["near"], assigned, "resolve", data={"photo": [(io.BytesIO(b"%PDF-1.4"), "a.jpg")]})
    assert pdf.status_code == 415
    assert len(stored_files(app)) == files_before and count_reports(app) == 1
    report = client.get(f"/api/v1/reports/{assigned}", headers=auth_headers(app, staff["near"])).get_json()
    assert report["status"] == "accepted"


def test_dispatch_only_to_a_department_of_the_district(client, app, staff, assigned):
    act(client, app, staff["near"], assigned, "escalate", {"reason": "需要部门"})
    not_department = act(client, app, staff["dispatcher"], assigned, "dispatch",
                         {"department_id": staff["far"].id})
    assert not_department.status_code == 422
    assert not_department.get_json()["error"]["code"] == "not_a_department"
    nobody = act(client, app, staff["dispatcher"], assigned, "dispatch", {"department_id": 99999})
    assert nobody.status_code == 422
    bad_type = act(client, app, staff["dispatcher"], assigned, "dispatch", {"department_id": "城管"})
    assert bad_type.status_code == 400
    past = act(client, app, staff["dispatcher"], assigned, "dispatch",
               {"department_id": staff["department"].id, "due_at": "2020-01-01T00:00:00+08:00"})
    assert past.status_code == 400
    ok = act(client, app, staff["dispatcher"], assigned, "dispatch",
             {"department_id": staff["department"].id, "due_at": "2099-01-01T12:00:00+08:00"})
    assert ok.status_code == 200 and ok.get_json()["due_at"].startswith("2099-01-01T04:00:00")
    assert ok.get_json()["department"]["id"] == staff["department"].id


def test_evaluate_once_with_a_rating_from_1_to_5(client, app, staff, rider, assigned):
    _resolve_by_worker(client, app, staff, assigned)
    for bad in ({"rating": 6}, {"rating": 0}, {"rating": "5"}, {"rating": 4.5}, {}, {"rating": 5, "x": 1}):
        assert act(client, app, rider, assigned, "evaluate", bad).status_code == 400, bad
    assert act(client, app, rider, assigned, "evaluate", {"rating": 4}).status_code == 200
    twice = act(client, app, rider, assigned, "evaluate", {"rating": 5})
    assert twice.status_code == 409 and twice.get_json()["error"]["details"]["status"] == "closed"


def test_another_rider_cannot_evaluate_or_read(client, app, staff, rider, mapped, assigned):
    _resolve_by_worker(client, app, staff, assigned)
    stranger = make_user(app, "rider", area_code=mapped)
    assert act(client, app, stranger, assigned, "evaluate", {"rating": 1}).status_code == 403
    assert client.get(f"/api/v1/reports/{assigned}", headers=auth_headers(app, stranger)).status_code == 403


def test_reopen_within_72_hours_goes_back_to_a_worker(client, app, staff, rider, assigned):
    _resolve_by_worker(client, app, staff, assigned)
    reopened = act(client, app, rider, assigned, "reopen", {"reason": "飞线又接上了"})
    assert reopened.status_code == 200
    assert reopened.get_json()["status"] == "assigned"
    assert reopened.get_json()["timeline"][-2]["action"] == "reopen"


def test_reopen_after_72_hours_is_refused(client, app, staff, rider, assigned, monkeypatch):
    from app.common import clock

    _resolve_by_worker(client, app, staff, assigned)
    later = datetime.now(timezone.utc) + timedelta(hours=73)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    response = act(client, app, rider, assigned, "reopen", {"reason": "还在"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "reopen_window_passed"


def test_reject_as_duplicate_links_the_original(client, app, staff, submit, assigned):
    from tests.mapdata import IN_EAST

    # The same hazard reported far enough away not to be linked at submission.
    other = submit(at=IN_EAST, photos=[(phone_photo(seed=2, at=IN_EAST), "b.jpg")]).get_json()
    worker = staff["near"] if other["assigned_to"]["id"] == staff["near"].id else staff["far"]
    missing = act(client, app, worker, other["id"], "reject", {"reason": "duplicate"})
    assert missing.status_code == 422 and missing.get_json()["error"]["code"] == "invalid_duplicate_of"
    bad_reason = act(client, app, worker, other["id"], "reject", {"reason": "boring"})
    assert bad_reason.status_code == 400
    rejected = act(client, app, worker, other["id"], "reject", {"reason": "duplicate", "duplicate_of": assigned})
    assert rejected.status_code == 200
    assert rejected.get_json()["status"] == "rejected" and rejected.get_json()["duplicate_of"] == assigned


def test_twenty_concurrent_accepts_exactly_one_wins(app, staff, assigned):
    headers = auth_headers(app, staff["near"])
    barrier = threading.Barrier(20)
    codes: list[int] = []

    def accept() -> None:
        client = app.test_client()
        barrier.wait()
        codes.append(client.post(f"/api/v1/reports/{assigned}/accept", headers=headers).status_code)

    threads = [threading.Thread(target=accept) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] + [409] * 19


def test_decline_and_accept_race_never_both_win(app, staff, assigned):
    near = auth_headers(app, staff["near"])
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def run(action: str, body) -> None:  # type: ignore[no-untyped-def]
        client = app.test_client()
        barrier.wait()
        results[action] = client.post(f"/api/v1/reports/{assigned}/{action}", headers=near, json=body).status_code

    threads = [threading.Thread(target=run, args=("accept", None)),
               threading.Thread(target=run, args=("decline", {"reason": "忙"}))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Exactly one wins; the loser sees a conflict, or (decline won and reassigned it) a 403.
    assert sorted(results.values()) in ([200, 403], [200, 409])
    report = app.test_client().get(f"/api/v1/reports/{assigned}", headers=near).get_json()
    if results["accept"] == 200:
        assert report["status"] == "accepted" and report["assigned_to"]["id"] == staff["near"].id
    else:
        assert report["status"] == "assigned" and report["assigned_to"]["id"] == staff["far"].id


def test_a_dispatcher_of_another_district_is_kept_out(client, app, staff, assigned):
    from tests.factories import make_area

    make_area(app, "640324", "district", name="同心县")
    elsewhere = make_user(app, "dispatcher", area_code="640324")
    act(client, app, staff["near"], assigned, "escalate", {"reason": "需要部门"})
    assert client.get(f"/api/v1/reports/{assigned}", headers=auth_headers(app, elsewhere)).status_code == 403
    listed = client.get("/api/v1/reports", headers=auth_headers(app, elsewhere)).get_json()
    assert listed["total"] == 0
    dispatch = act(client, app, elsewhere, assigned, "dispatch", {"department_id": staff["department"].id})
    assert dispatch.status_code == 403 and dispatch.get_json()["error"]["code"] == "not_your_report"


def test_the_department_reads_its_deadline_in_china_time(client, app, staff, assigned):
    act(client, app, staff["near"], assigned, "escalate", {"reason": "需要部门"})
    act(client, app, staff["dispatcher"], assigned, "dispatch",
        {"department_id": staff["department"].id, "due_at": "2099-01-01T12:00:00+08:00"})
    told = client.get("/api/v1/notifications", headers=auth_headers(app, staff["department"])).get_json()
    [dispatched] = [n for n in told["items"] if n["kind"] == "dispatched"]
    assert "01月01日 12:00前处置" in dispatched["body"]
