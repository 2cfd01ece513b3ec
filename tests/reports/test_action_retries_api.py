"""Idempotency-Key on every report action: a retry gets the first answer, never a second effect."""
from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.notifications.models import Notification
from app.points.models import LedgerEntry
from app.reports.models import IdempotencyRecord, ReportEvent
from tests.factories import auth_headers
from tests.images import jpeg_bytes
from tests.reports.conftest import act, phone_photo


def _post(client, app, user, report_id, action, body=None, *, key=None, photo_seed=None):
    headers = {**auth_headers(app, user), **({"Idempotency-Key": key} if key else {})}
    url = f"/api/v1/reports/{report_id}/{action}"
    if photo_seed is not None:
        data = {"note": "已处置", "photo": [(io.BytesIO(jpeg_bytes(80, 60, seed=photo_seed)), "after.jpg")]}
        return client.post(url, headers=headers, data=data, content_type="multipart/form-data")
    return client.post(url, headers=headers, json=body)


def _effects(app, report_id):
    """Everything an action writes: timeline events, notifications, ledger entries, photos."""
    with app.app_context():
        events = db.session.scalars(select(ReportEvent.action).where(ReportEvent.report_id == report_id)
                                    .order_by(ReportEvent.id)).all()
        notes = db.session.scalar(select(func.count()).select_from(Notification))
        ledger = db.session.scalar(select(func.count()).select_from(LedgerEntry))
        return list(events), notes, ledger


@pytest.fixture
def assigned(submit, staff):
    report = submit(photos=[(phone_photo(seed=1), "a.jpg")]).get_json()
    assert report["assigned_to"]["id"] == staff["near"].id
    return report["id"]


def _prepare(client, app, staff, rider, report_id, action):
    """Bring the report to where `action` applies; who acts, with which body."""
    near = staff["near"]
    if action in ("dispatch",):
        assert act(client, app, near, report_id, "escalate", {"reason": "要部门"}).status_code == 200
        return staff["dispatcher"], {"department_id": staff["department"].id}, None
    if action in ("resolve", "evaluate", "reopen"):
        assert act(client, app, near, report_id, "accept").status_code == 200
    if action == "resolve":
        return near, None, 70
    if action in ("evaluate", "reopen"):
        assert _post(client, app, near, report_id, "resolve", photo_seed=71).status_code == 200
        return rider, {"rating": 5} if action == "evaluate" else {"reason": "还在"}, None
    body = {"accept": None, "decline": {"reason": "忙"}, "escalate": {"reason": "要部门"},
            "reject": {"reason": "invalid"}}[action]
    return near, body, None


@pytest.mark.parametrize("action", ["accept", "decline", "escalate", "dispatch", "reject", "resolve",
                                    "evaluate", "reopen"])
def test_a_retried_action_replays_the_first_answer(app, client, staff, rider, assigned, action):
    user, body, photo_seed = _prepare(client, app, staff, rider, assigned, action)
    first = _post(client, app, user, assigned, action, body, key="retry-key-1", photo_seed=photo_seed)
    assert first.status_code == 200, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    after_first = _effects(app, assigned)
    retry = _post(client, app, user, assigned, action, body, key="retry-key-1", photo_seed=photo_seed)
    assert retry.status_code == 200, retry.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json()["id"] == assigned and retry.get_json()["status"] == first.get_json()["status"]
    assert _effects(app, assigned) == after_first  # no second event, notification or award
    assert after_first[0].count(action) == 1
    # Without a key the same request is a second attempt, which the state machine refuses.
    assert _post(client, app, user, assigned, action, body, photo_seed=photo_seed).status_code in (403, 409)


def test_the_same_key_for_another_request_is_422(app, client, staff, assigned):
    first = _post(client, app, staff["near"], assigned, "escalate", {"reason": "甲"}, key="reused-key-1")
    assert first.status_code == 200
    other_body = _post(client, app, staff["near"], assigned, "escalate", {"reason": "乙"}, key="reused-key-1")
    assert other_body.status_code == 422 and other_body.get_json()["error"]["code"] == "idempotency_key_reused"
    other_action = _post(client, app, staff["near"], assigned, "accept", key="reused-key-1")
    assert other_action.status_code == 422


def test_a_failed_attempt_leaves_the_key_free(app, client, staff, assigned):
    act(client, app, staff["near"], assigned, "escalate", {"reason": "要部门"})
    refused = _post(client, app, staff["dispatcher"], assigned, "dispatch", {"department_id": staff["far"].id},
                    key="failing-key-1")
    assert refused.status_code == 422
    again = _post(client, app, staff["dispatcher"], assigned, "dispatch", {"department_id": staff["far"].id},
                  key="failing-key-1")
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "not_a_department"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0


def test_a_retry_while_the_first_is_running_is_409_in_progress(app, client, staff, assigned, monkeypatch):
    from app.reports import handling

    running, go_on = threading.Event(), threading.Event()
    real_transition = handling.transition

    def held_transition(**kwargs):
        running.set()
        assert go_on.wait(30)
        return real_transition(**kwargs)

    monkeypatch.setattr(handling, "transition", held_transition)
    first: dict = {}
    thread = threading.Thread(target=lambda: first.update(
        response=_post(app.test_client(), app, staff["near"], assigned, "accept", key="inflight-key-1")))
    thread.start()
    assert running.wait(30)
    retry = _post(client, app, staff["near"], assigned, "accept", key="inflight-key-1")
    go_on.set()
    thread.join(30)
    assert retry.status_code == 409 and retry.get_json()["error"]["code"] == "idempotency_in_progress"
    assert int(retry.headers["Retry-After"]) > 0
    assert first["response"].status_code == 200
    events, _notes, _ledger = _effects(app, assigned)
    assert events.count("accept") == 1
    replay = _post(client, app, staff["near"], assigned, "accept", key="inflight-key-1")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"


def test_a_claim_left_by_a_dead_process_is_taken_over(app, client, staff, assigned, monkeypatch):
    from datetime import datetime, timezone

    from app.common import clock
    from app.common.idempotency import fingerprint
    from app.reports import idempotency

    with app.app_context():  # what a process killed mid-action leaves: a claim without an answer
        db.session.add(IdempotencyRecord(
            user_id=staff["near"].id, key="orphan-key-1",
            request_hash=fingerprint({"action": "accept", "report_id": assigned})))
        db.session.commit()
    assert _post(client, app, staff["near"], assigned, "accept", key="orphan-key-1").status_code == 409
    later = datetime.now(timezone.utc) + idempotency.ABANDONED_AFTER + timedelta(seconds=1)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    taken = _post(client, app, staff["near"], assigned, "accept", key="orphan-key-1")
    assert taken.status_code == 200 and taken.get_json()["status"] == "accepted"


def test_a_malformed_key_is_400_and_changes_nothing(app, client, staff, assigned):
    response = _post(client, app, staff["near"], assigned, "accept", key="short")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_idempotency_key"
    assert _effects(app, assigned)[0].count("accept") == 0
