"""Poll and Web Push subscription endpoints: scoping, resuming, validation, dedupe."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.common.cursors import Position, sign_position
from app.extensions import db
from app.notifications.models import PushSubscription
from tests.factories import auth_headers
from tests.notifications.conftest import in_app
from tests.support.push_server import Subscriber, b64url


def _poll(client, headers, **query):
    return client.get("/api/v1/notifications", query_string=query, headers=headers)


# --- poll ----------------------------------------------------------------------------------------

def test_poll_shows_only_your_own_notifications(client, app, worker, rider, notify, report_id):
    mine = notify(rider.id, 2, report_id=report_id)
    notify(worker.id, 3, kind="assigned")
    items = _poll(client, auth_headers(app, rider)).get_json()["items"]
    assert [i["id"] for i in items] == mine
    first = items[0]
    assert set(first) == {"id", "kind", "report_id", "title", "body", "created_at", "data",
                          "seen_at"}
    assert (first["kind"], first["report_id"], first["title"]) == ("status_changed", report_id, "第1条")
    assert first["created_at"].endswith("+00:00")
    assert all(i["kind"] == "assigned" for i in _poll(client, auth_headers(app, worker)).get_json()["items"])


def test_poll_resumes_after_the_last_seen_id_oldest_first(client, app, rider, notify):
    ids = notify(rider.id, 7)
    headers = auth_headers(app, rider)
    page = _poll(client, headers, limit=3).get_json()["items"]
    assert [i["id"] for i in page] == ids[:3]
    page = _poll(client, headers, after=page[-1]["id"], limit=3).get_json()["items"]
    assert [i["id"] for i in page] == ids[3:6]
    assert [i["id"] for i in _poll(client, headers, after=ids[5]).get_json()["items"]] == ids[6:]
    assert _poll(client, headers, after=ids[-1]).get_json() == {"items": []}


def test_poll_limit_defaults_to_50_and_caps_at_200(client, app, rider, notify):
    notify(rider.id, 60)
    headers = auth_headers(app, rider)
    assert len(_poll(client, headers).get_json()["items"]) == 50
    assert len(_poll(client, headers, limit=200).get_json()["items"]) == 60


@pytest.mark.parametrize("query", [{"after": -1}, {"after": "abc"}, {"limit": 0}, {"limit": 201},
                                   {"limit": "many"}])
def test_poll_bad_arguments_are_400_in_our_shape(client, app, rider, query):
    response = _poll(client, auth_headers(app, rider), **query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"
    assert set(response.get_json()["error"]["details"]["fields"]) <= {"after", "limit"}


# --- pages, newest first, by cursor ---------------------------------------------------------------

def _walk(client, headers, **query) -> tuple[list[list[int]], list[dict]]:
    """Every page's ids, following `next` to the end, and each page's envelope."""
    pages, bodies, cursor = [], [], None
    while True:
        response = _poll(client, headers, **query, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append([item["id"] for item in body["items"]])
        bodies.append(body)
        cursor = body["next"]
        if cursor is None:
            return pages, bodies


def test_pages_come_newest_first_by_cursor_until_next_is_null(client, app, rider, worker, notify):
    ids = notify(rider.id, 7)
    notify(worker.id, 2)
    pages, bodies = _walk(client, auth_headers(app, rider), per_page=3)
    assert pages == [ids[6:3:-1], ids[3:0:-1], ids[:1]]
    assert [b["page"] for b in bodies] == [1, 2, 3] and {b["total"] for b in bodies} == {7}
    assert set(bodies[0]) == {"items", "page", "per_page", "total", "total_capped", "next"}


def test_new_notifications_do_not_shift_the_pages_being_read(client, app, rider, notify):
    ids = notify(rider.id, 4)
    headers = auth_headers(app, rider)
    first = _poll(client, headers, per_page=2).get_json()
    notify(rider.id, 3)  # arrive while the rider reads page 1
    second = _poll(client, headers, per_page=2, cursor=first["next"]).get_json()
    assert [i["id"] for i in first["items"]] == [ids[3], ids[2]]
    assert [i["id"] for i in second["items"]] == [ids[1], ids[0]] and second["next"] is None


def test_a_page_number_still_works_for_old_clients(client, app, rider, notify):
    ids = notify(rider.id, 5)
    body = _poll(client, auth_headers(app, rider), page=2, per_page=2).get_json()
    assert [i["id"] for i in body["items"]] == [ids[2], ids[1]] and body["next"]


@pytest.mark.parametrize("cursor", ["forged", "x" * 512, "eyJhIjoxfQ.abc.def"])
def test_a_forged_cursor_is_400_and_changes_nothing(client, app, rider, notify, cursor):
    notify(rider.id, 2)
    response = _poll(client, auth_headers(app, rider), cursor=cursor)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_cursor"
    assert response.get_json()["error"]["message"]


def test_another_users_cursor_is_400_not_their_notifications(client, app, rider, worker, notify):
    notify(rider.id, 3)
    notify(worker.id, 3)
    theirs = _poll(client, auth_headers(app, worker), per_page=1).get_json()["next"]
    response = _poll(client, auth_headers(app, rider), cursor=theirs)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "foreign_cursor"


def test_a_cursor_of_another_of_your_lists_is_400(client, app, rider, notify):
    ids = notify(rider.id, 3)
    with app.app_context():  # a genuine cursor of the rider's points ledger, at a real id
        ledger = sign_position(Position(at=None, id=ids[1], page=1), binding=f"ledger:{rider.id}")
    response = _poll(client, auth_headers(app, rider), cursor=ledger)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "foreign_cursor"


@pytest.mark.parametrize("query", [{"after": 0, "cursor": "abc"}, {"limit": 5, "per_page": 5},
                                   {"after": 3, "page": 2}])
def test_polling_and_pages_cannot_be_mixed(client, app, rider, query):
    response = _poll(client, auth_headers(app, rider), **query)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"
    fields = response.get_json()["error"]["details"]["fields"]
    assert set(fields) <= {"cursor", "page", "per_page"} and fields


@pytest.mark.parametrize("query", [{"per_page": 0}, {"per_page": 101}, {"page": 0}, {"cursor": ""}])
def test_bad_page_arguments_are_400(client, app, rider, query):
    response = _poll(client, auth_headers(app, rider), **query)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "validation_failed"


def test_poll_needs_a_login(client):
    response = client.get("/api/v1/notifications")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "missing_token"


# --- Web Push subscriptions ----------------------------------------------------------------------

def _post(client, headers, body):
    return client.post("/api/v1/push-subscriptions", json=body, headers=headers)


def test_subscribe_then_same_endpoint_updates_without_duplicates(client, app, rider, push_config):
    headers = auth_headers(app, rider)
    browser = Subscriber(endpoint="https://fcm.googleapis.com/fcm/send/abc123")
    first = _post(client, headers, {**browser.subscription_json(), "expirationTime": 1893456000000})
    assert first.status_code == 201
    assert first.get_json()["endpoint"] == browser.endpoint
    assert first.get_json()["expires_at"].startswith("2030-01-01T00:00:00")
    rotated = Subscriber(endpoint=browser.endpoint)  # the browser rotated its keys
    again = _post(client, headers, rotated.subscription_json())
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]

    def stored():
        rows = db.session.scalars(select(PushSubscription))
        return [(s.endpoint, s.p256dh, s.auth, s.expires_at) for s in rows]

    assert in_app(app, stored) == [(browser.endpoint, rotated.p256dh, rotated.auth, None)]


def test_concurrent_registration_of_one_endpoint_keeps_one_row(client, app, rider, push_config):
    import threading

    headers = auth_headers(app, rider)
    body = Subscriber(endpoint="https://updates.push.services.mozilla.com/wpush/v2/xyz").subscription_json()
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def register():
        barrier.wait()
        response = app.test_client().post("/api/v1/push-subscriptions", json=body, headers=headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=register) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(statuses) == [200] * 5 + [201]
    assert in_app(app, lambda: len(db.session.scalars(select(PushSubscription)).all())) == 1


GOOD = Subscriber(endpoint="https://web.push.apple.com/QGxx")


@pytest.mark.parametrize("body, field", [
    ({"keys": GOOD.subscription_json()["keys"]}, "endpoint"),
    ({**GOOD.subscription_json(), "endpoint": "not a url"}, "endpoint"),
    ({**GOOD.subscription_json(), "endpoint": "ftp://push.example.com/x"}, "endpoint"),
    ({**GOOD.subscription_json(), "endpoint": "http://push.example.com/x"}, "endpoint"),
    ({**GOOD.subscription_json(), "endpoint": "https://10.0.0.5/x"}, "endpoint"),
    ({**GOOD.subscription_json(), "endpoint": "https://169.254.169.254/latest"}, "endpoint"),
    ({**GOOD.subscription_json(), "endpoint": "https://user:pw@push.example.com/x"}, "endpoint"),
    ({**GOOD.subscription_json(), "endpoint": "https://push.example.com/" + "x" * 1100}, "endpoint"),
    ({**GOOD.subscription_json(), "endpoint": 42}, "endpoint"),
    ({"endpoint": GOOD.endpoint}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": {"p256dh": GOOD.p256dh}}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": {"auth": GOOD.auth}}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": {"p256dh": "not base64!", "auth": GOOD.auth}}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": {"p256dh": GOOD.p256dh[:-4], "auth": GOOD.auth}}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": {"p256dh": b64url(b"\x02" + bytes(64)), "auth": GOOD.auth}}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": {"p256dh": b64url(b"\x04" + bytes(64)), "auth": GOOD.auth}}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": {"p256dh": GOOD.p256dh, "auth": b64url(bytes(15))}}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": {"p256dh": GOOD.p256dh, "auth": b64url(bytes(32))}}, "keys"),
    ({"endpoint": GOOD.endpoint, "keys": "p256dh=…"}, "keys"),
    ({**GOOD.subscription_json(), "expirationTime": -5}, "expirationTime"),
])
def test_malformed_subscriptions_are_400(client, app, rider, body, field):
    response = _post(client, auth_headers(app, rider), body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["details"]["fields"]
    assert in_app(app, lambda: db.session.scalars(select(PushSubscription)).all()) == []


def test_loopback_endpoints_only_when_the_allow_list_names_them(client, app, rider, monkeypatch):
    headers = auth_headers(app, rider)
    body = Subscriber(endpoint="http://127.0.0.1:9/push/test").subscription_json()
    assert _post(client, headers, body).status_code == 400
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS", "fcm.googleapis.com,http://127.0.0.1:9")
    assert _post(client, headers, body).status_code == 201
    other_port = Subscriber(endpoint="http://127.0.0.1:10/push/test").subscription_json()
    assert _post(client, headers, other_port).status_code == 400  # exactly the origin named
    outside = Subscriber(endpoint="http://push.example.com/push/test").subscription_json()
    assert _post(client, headers, outside).status_code == 400


def test_unsubscribe_removes_only_your_own(client, app, rider, worker, push_config):
    browser = Subscriber(endpoint="https://fcm.googleapis.com/fcm/send/mine")
    _post(client, auth_headers(app, rider), browser.subscription_json())
    other = client.delete("/api/v1/push-subscriptions", json={"endpoint": browser.endpoint},
                          headers=auth_headers(app, worker))
    assert other.status_code == 204
    assert in_app(app, lambda: len(db.session.scalars(select(PushSubscription)).all())) == 1
    mine = client.delete("/api/v1/push-subscriptions", json={"endpoint": browser.endpoint},
                         headers=auth_headers(app, rider))
    assert mine.status_code == 204
    assert in_app(app, lambda: db.session.scalars(select(PushSubscription)).all()) == []
    again = client.delete("/api/v1/push-subscriptions", json={"endpoint": browser.endpoint},
                          headers=auth_headers(app, rider))
    assert again.status_code == 204  # idempotent: a retried unsubscribe is fine
    missing = client.delete("/api/v1/push-subscriptions", json={}, headers=auth_headers(app, rider))
    assert missing.status_code == 400


def test_subscription_endpoints_need_a_login(client):
    assert client.post("/api/v1/push-subscriptions", json=GOOD.subscription_json()).status_code == 401
    assert client.delete("/api/v1/push-subscriptions", json={"endpoint": GOOD.endpoint}).status_code == 401


def test_vapid_public_key(client, app, push_config, monkeypatch):
    assert client.get("/api/v1/push-subscriptions/vapid-public-key").get_json() == {
        "public_key": push_config["public_key"]}
    monkeypatch.setitem(app.config, "VAPID_PUBLIC_KEY", "")  # derived from the private key when unset
    assert client.get("/api/v1/push-subscriptions/vapid-public-key").get_json() == {
        "public_key": push_config["public_key"]}
    monkeypatch.setitem(app.config, "VAPID_PRIVATE_KEY", "")
    response = client.get("/api/v1/push-subscriptions/vapid-public-key")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "web_push_not_configured"


# --- seen ----------------------------------------------------------------------------------------

def test_seen_marks_only_your_own_up_to_the_id_and_is_idempotent(client, app, worker, rider, notify):
    mine = notify(rider.id, 3)
    theirs = notify(worker.id, 2)
    headers = auth_headers(app, rider)
    seen = client.post("/api/v1/notifications/seen", json={"up_to_id": theirs[-1]}, headers=headers)
    assert seen.status_code == 200 and seen.get_json() == {"marked": 3}
    again = client.post("/api/v1/notifications/seen", json={"up_to_id": theirs[-1]}, headers=headers)
    assert again.get_json() == {"marked": 0}
    assert all(i["seen_at"] for i in _poll(client, headers).get_json()["items"])
    assert not any(i["seen_at"] for i in _poll(client, auth_headers(app, worker)).get_json()["items"])
    assert len(mine) == 3


def test_seen_up_to_an_id_leaves_later_ones_unseen(client, app, rider, notify):
    ids = notify(rider.id, 3)
    headers = auth_headers(app, rider)
    client.post("/api/v1/notifications/seen", json={"up_to_id": ids[1]}, headers=headers)
    assert [bool(i["seen_at"]) for i in _poll(client, headers).get_json()["items"]] == [True, True, False]


@pytest.mark.parametrize("body", [{}, {"up_to_id": 0}, {"up_to_id": -3}, {"up_to_id": "x"},
                                  {"up_to_id": None}, {"up_to_id": 2**70}, [1]])
def test_seen_bad_input_is_400_and_marks_nothing(client, app, rider, notify, body):
    notify(rider.id)
    headers = auth_headers(app, rider)
    response = client.post("/api/v1/notifications/seen", json=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"
    assert not any(i["seen_at"] for i in _poll(client, headers).get_json()["items"])


def test_seen_needs_a_login(client):
    assert client.post("/api/v1/notifications/seen", json={"up_to_id": 1}).status_code == 401
