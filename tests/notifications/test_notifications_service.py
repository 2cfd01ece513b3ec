"""The outbox: notify() writes in the caller's transaction and queues one Web Push per live device."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from app.auth.models import Role, User, UserStatus
from app.extensions import db
from app.notifications import service
from app.notifications.endpoints import parse_allow_list
from app.notifications.models import Notification, PushDelivery, PushSubscription
from tests.factories import make_user
from tests.support.push_server import Subscriber


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


EXAMPLE_PUSH = parse_allow_list("push.example.net")


def _subscribe_directly(user_id: int, name: str) -> None:
    subscriber = Subscriber(endpoint=f"https://push.example.net/{name}")
    service.save_subscription(user_id=user_id, endpoint=subscriber.endpoint,
                              p256dh=subscriber.p256dh, auth=subscriber.auth, allowed=EXAMPLE_PUSH)


def test_notify_commits_with_the_callers_transaction(app_ctx, worker, report_id):
    note = service.notify(user_id=worker.id, kind="assigned", title="新任务", body="飞线充电，距你 120 米",
                          report_id=report_id, data={"distance_m": 120})
    note_id = note.id
    assert note_id is not None  # flushed: the caller may refer to it before committing
    db.session.commit()
    db.session.remove()
    stored = db.session.get(Notification, note_id)
    assert (stored.user_id, stored.kind, stored.report_id, stored.data) == (worker.id, "assigned", report_id,
                                                                          {"distance_m": 120})
    assert stored.created_at.tzinfo is not None


def test_rolled_back_event_leaves_no_notification_and_no_delivery(app_ctx, worker, report_id):
    _subscribe_directly(worker.id, "w1")
    service.notify(user_id=worker.id, kind="assigned", title="新任务", body="…", report_id=report_id)
    assert _count(Notification) == 1 and _count(PushDelivery) == 1  # visible inside the transaction
    db.session.rollback()  # the event that caused it failed
    assert _count(Notification) == 0 and _count(PushDelivery) == 0


def test_notify_never_commits_by_itself(app, worker):
    with app.app_context():
        service.notify(user_id=worker.id, kind="assigned", title="t", body="b")
        db.session.remove()  # the request ends without a commit
    with app.app_context():
        assert _count(Notification) == 0


def test_notify_many_once_per_user(app_ctx, worker, rider, report_id):
    dispatcher = make_user(app_ctx, Role.DISPATCHER)
    rows = service.notify_many(user_ids=[worker.id, dispatcher.id, worker.id], kind="escalated",
                               title="上报升级", body="需要区指挥中心处理", report_id=report_id)
    db.session.commit()
    assert sorted(r.user_id for r in rows) == sorted([worker.id, dispatcher.id])
    assert service.notify_many(user_ids=[], kind="escalated", title="t", body="b") == []


def test_one_delivery_per_live_subscription_of_an_active_user(app_ctx, worker, rider):
    _subscribe_directly(worker.id, "phone")
    _subscribe_directly(worker.id, "tablet")
    _subscribe_directly(rider.id, "rider-phone")
    db.session.execute(update(User).where(User.id == rider.id).values(status=UserStatus.DISABLED))
    db.session.commit()
    worker_note = service.notify(user_id=worker.id, kind="assigned", title="t", body="b")
    service.notify(user_id=rider.id, kind="status_changed", title="t", body="b")
    db.session.commit()
    deliveries = db.session.scalars(select(PushDelivery)).all()
    assert {d.notification_id for d in deliveries} == {worker_note.id}
    assert len(deliveries) == 2 and {d.status for d in deliveries} == {"pending"}


@pytest.mark.parametrize("kind", ["", "Assigned", "status-changed", "x" * 33, "1st", None])
def test_bad_kind_is_a_programming_error(app_ctx, worker, kind):
    with pytest.raises(ValueError):
        service.notify(user_id=worker.id, kind=kind, title="t", body="b")


def test_long_texts_are_clipped_not_refused(app_ctx, worker):
    note = service.notify(user_id=worker.id, kind="status_changed", title="标" * 300, body="长" * 2000)
    db.session.commit()
    assert len(note.title) == 120 and note.title.endswith("…")
    assert len(note.body) == 500


def test_data_must_be_a_small_json_object(app_ctx, worker):
    with pytest.raises(TypeError):
        service.notify(user_id=worker.id, kind="assigned", title="t", body="b", data=["not", "a", "dict"])
    with pytest.raises(ValueError):
        service.notify(user_id=worker.id, kind="assigned", title="t", body="b", data={"blob": "x" * 5000})
    with pytest.raises(TypeError):
        service.notify(user_id=worker.id, kind="assigned", title="t", body="b", data={"at": object()})


def test_same_endpoint_changes_owner_and_drops_the_previous_owners_pending_pushes(app_ctx, worker, rider):
    subscriber = Subscriber(endpoint="https://push.example.net/shared-phone")
    first, created = service.save_subscription(user_id=rider.id, endpoint=subscriber.endpoint,
                                               p256dh=subscriber.p256dh, auth=subscriber.auth, allowed=EXAMPLE_PUSH)
    assert created
    service.notify(user_id=rider.id, kind="status_changed", title="私人", body="骑手的消息")
    db.session.commit()
    again, created = service.save_subscription(user_id=worker.id, endpoint=subscriber.endpoint,
                                               p256dh=subscriber.p256dh, auth=subscriber.auth, allowed=EXAMPLE_PUSH)
    assert not created and again.id == first.id and again.user_id == worker.id
    assert _count(PushSubscription) == 1
    assert _count(PushDelivery) == 0
