"""Routing: nearest under the cap (also under concurrent submissions), fallbacks, escalation."""
from __future__ import annotations

import io
import threading

from app.auth.models import Role
from tests.factories import auth_headers, make_user
from tests.images import jpeg_bytes
from tests.mapdata import GRID_WEST, IN_WEST, OUTSIDE
from tests.reports.conftest import act, phone_photo
from tests.support.policy import use_policy


def _point(i: int) -> tuple[float, float]:
    return IN_WEST[0] + 0.0008 * (i % 5), IN_WEST[1] + 0.0008 * (i // 5)  # ~90 m apart: no duplicates


def test_concurrent_submissions_never_push_a_worker_over_the_cap(app, mapped, rider_headers, put_on_duty,
                                                                 monkeypatch):
    use_policy(monkeypatch, app, caseload_cap=2)
    worker = make_user(app, Role.GRID_WORKER, area_code=mapped)
    put_on_duty(worker, IN_WEST)
    statuses: list[str] = []
    barrier = threading.Barrier(6)

    def submit(i: int) -> None:
        client = app.test_client()
        lat, lon = _point(i)
        barrier.wait()
        response = client.post("/api/v1/reports", headers=rider_headers, content_type="multipart/form-data",
                               data={"category": "garbage", "lat": str(lat), "lon": str(lon),
                                     "photos": [(io.BytesIO(phone_photo(seed=i, at=(lat, lon))), "p.jpg")]})
        assert response.status_code == 201, response.get_json()
        statuses.append(response.get_json()["status"])

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == ["assigned"] * 2 + ["escalated"] * 4
    mine = app.test_client().get("/api/v1/reports?mine=true", headers=auth_headers(app, worker)).get_json()
    assert mine["total"] == 2


def test_the_nearest_worker_going_off_duty_while_the_photo_decodes_is_passed_over(app, submit, staff,
                                                                                    monkeypatch):
    # The nearest worker is looked up while the photo decodes, before the write transaction; they
    # go off duty in between: the report goes to the next one, not to someone no longer on duty.
    from app.auth.models import User
    from app.dispatch.presence import set_duty
    from app.extensions import db
    from app.photos import background
    from app.reports import service

    looked_up = threading.Event()
    real_candidate, real_decode = service.nearest_candidate, background.decode_photo

    def candidate_noting_it(**kwargs):
        found = real_candidate(**kwargs)
        assert found is not None and found[0].id == staff["near"].id
        looked_up.set()
        return found

    def decode_after_the_worker_left(data, **kwargs):
        assert looked_up.wait(timeout=10)
        with app.app_context():
            set_duty(worker=db.session.get(User, staff["near"].id), on_duty=False)
        return real_decode(data, **kwargs)

    monkeypatch.setattr(service, "nearest_candidate", candidate_noting_it)
    monkeypatch.setattr(background, "decode_photo", decode_after_the_worker_left)
    report = submit().get_json()
    assert looked_up.is_set()
    assert report["status"] == "assigned" and report["assigned_to"]["id"] == staff["far"].id


def test_a_candidate_found_early_is_still_held_to_the_cap(app, submit, staff, monkeypatch):
    from app.auth.models import User
    from app.extensions import db
    from app.reports import service

    use_policy(monkeypatch, app, caseload_cap=1)
    first = submit().get_json()
    assert first["assigned_to"]["id"] == staff["near"].id
    with app.app_context():
        near = db.session.get(User, staff["near"].id)
        db.session.expunge(near)
    # As if the search had run before the first report took the near worker's only place.
    monkeypatch.setattr(service, "nearest_candidate", lambda **kwargs: (near, 55.0))
    second = submit(at=(IN_WEST[0] + 0.001, IN_WEST[1]),
                    photos=[(phone_photo(seed=3, at=(IN_WEST[0] + 0.001, IN_WEST[1])), "b.jpg")]).get_json()
    assert second["assigned_to"]["id"] == staff["far"].id


def test_no_one_on_duty_goes_to_the_grids_responsible_worker(app, client, mapped, submit):
    responsible = make_user(app, Role.GRID_WORKER, area_code=mapped, name="责任网格员")
    admin = make_user(app, Role.ADMIN)
    put = client.put(f"/api/v1/areas/{GRID_WEST}/workers", json={"user_ids": [responsible.id]},
                     headers=auth_headers(app, admin))
    assert put.status_code == 200, put.get_json()
    report = submit().get_json()
    assert report["status"] == "assigned" and report["assigned_to"]["id"] == responsible.id
    assert report["distance_m"] is None
    inbox = client.get("/api/v1/notifications?after=0", headers=auth_headers(app, responsible)).get_json()
    assert [n["kind"] for n in inbox["items"]] == ["assigned"]


def test_a_point_outside_every_grid_goes_to_the_dispatchers(app, client, submit, staff):
    report = submit(at=OUTSIDE, photos=[(phone_photo(at=OUTSIDE), "p.jpg")]).get_json()
    assert report["status"] == "escalated" and report["assigned_to"] is None
    assert "outside_service_area" in report["flags"]
    inbox = client.get("/api/v1/notifications?after=0", headers=auth_headers(app, staff["dispatcher"]))
    assert [n["kind"] for n in inbox.get_json()["items"]] == ["escalated"]
    queue = client.get("/api/v1/reports?status=escalated", headers=auth_headers(app, staff["dispatcher"]))
    assert [r["id"] for r in queue.get_json()["items"]] == [report["id"]]
    dispatched = act(client, app, staff["dispatcher"], report["id"], "dispatch",
                     {"department_id": staff["department"].id})
    assert dispatched.status_code == 200 and dispatched.get_json()["status"] == "dispatched"


def test_declined_by_everyone_it_goes_up(app, client, submit, staff, monkeypatch):
    use_policy(monkeypatch, app, max_attempts=3)
    report = submit().get_json()
    first = act(client, app, staff["near"], report["id"], "decline", {"reason": "忙"}).get_json()
    assert first["assigned_to"]["id"] == staff["far"].id
    second = act(client, app, staff["far"], report["id"], "decline", {"reason": "不在附近"}).get_json()
    assert second["status"] == "escalated"  # nobody left who has not declined
    assert [e["action"] for e in second["timeline"]] == [
        "submit", "assign", "decline", "assign", "decline", "escalate"]


def test_a_duplicate_follows_its_original_and_closes_with_it(app, client, submit, staff, rider):
    original = submit(photos=[(phone_photo(seed=1), "a.jpg")]).get_json()
    other_rider = make_user(app, Role.RIDER, area_code=rider.area_code, name="刘骑手")
    duplicate = client.post(
        "/api/v1/reports", headers=auth_headers(app, other_rider), content_type="multipart/form-data",
        data={"category": "flying_lead_charging", "lat": str(IN_WEST[0]), "lon": str(IN_WEST[1]),
              "photos": [(io.BytesIO(phone_photo(seed=2)), "b.jpg")]}).get_json()
    assert duplicate["duplicate_of"] == original["id"] and duplicate["status"] == "submitted"
    assert duplicate["assigned_to"] is None and duplicate["original"]["status"] == "assigned"
    seen_by_worker = client.get(f"/api/v1/reports/{original['id']}", headers=auth_headers(app, staff["near"]))
    assert seen_by_worker.get_json()["confirmations"] == [duplicate["id"]]
    follower = auth_headers(app, other_rider)
    assert client.get(f"/api/v1/reports/{original['id']}", headers=follower).status_code == 200

    act(client, app, staff["near"], original["id"], "accept")
    act(client, app, staff["near"], original["id"], "resolve",
        data={"photo": [(io.BytesIO(jpeg_bytes(seed=7)), "after.jpg")]})
    assert act(client, app, rider, original["id"], "evaluate", {"rating": 5}).status_code == 200
    after = client.get(f"/api/v1/reports/{duplicate['id']}", headers=follower).get_json()
    assert after["status"] == "closed"
    kinds = [n["kind"] for n in client.get("/api/v1/notifications?after=0", headers=follower).get_json()["items"]]
    assert kinds.count("status_changed") >= 3  # accepted, resolved, closed
