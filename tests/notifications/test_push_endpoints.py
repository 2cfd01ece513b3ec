"""Web Push endpoints cannot aim the deliverer at our own network: only allow-listed push services,
on public addresses, checked at registration and again when the deliverer connects."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.delivery import DeliveryPolicy, deliver_due
from app.notifications.endpoints import parse_allow_list
from app.notifications.models import PushDelivery, PushSubscription
from app.notifications.push import WebPushSender
from tests.factories import auth_headers
from tests.notifications.conftest import in_app
from tests.support.push_server import Subscriber

# Ways of writing the loopback address that the C resolver (and so the deliverer) accepts.
LOOPBACK_NOTATIONS = ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "localhost.", "LOCALHOST",
                      "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "127.0.0.1"]


@pytest.fixture
def loopback_names_allowed(app, monkeypatch, push_config):
    """The allow-list also names `localhost` as if it were a push service's host: it must still be
    refused, for what it resolves to."""
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS", f"{app.config['PUSH_ALLOWED_HOSTS']},localhost")


def _endpoint(host: str, port: int, name: str = "x") -> str:
    return f"https://{host}:{port}/push/{name}"


def _stored_endpoints(app) -> list[str]:
    return in_app(app, lambda: list(db.session.scalars(select(PushSubscription.endpoint))))


@pytest.mark.parametrize("host", LOOPBACK_NOTATIONS)
def test_registration_refuses_every_notation_of_loopback(client, app, rider, push_server, loopback_names_allowed,
                                                         host):
    body = Subscriber(endpoint=_endpoint(host, push_server.port)).subscription_json()
    response = client.post("/api/v1/push-subscriptions", json=body, headers=auth_headers(app, rider))
    assert response.status_code == 400, response.get_json()
    assert "endpoint" in response.get_json()["error"]["details"]["fields"]
    assert _stored_endpoints(app) == []


def test_registration_refuses_an_allowed_name_that_resolves_to_loopback(client, app, rider, push_server,
                                                                       loopback_names_allowed):
    body = Subscriber(endpoint=_endpoint("localhost", push_server.port)).subscription_json()
    response = client.post("/api/v1/push-subscriptions", json=body, headers=auth_headers(app, rider))
    assert response.status_code == 400
    assert _stored_endpoints(app) == []


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com.evil.example/x", "https://evilfcm.googleapis.com/x", "https://10.0.0.5/x",
    "https://169.254.169.254/latest", "https://[fe80::1]/x", "https://224.0.0.1/x", "https://0.0.0.0/x",
    "http://fcm.googleapis.com/fcm/send/x",  # a known service, but not over https
])
def test_registration_refuses_what_is_not_a_known_push_service(client, app, rider, push_config, endpoint):
    body = Subscriber(endpoint=endpoint).subscription_json()
    assert client.post("/api/v1/push-subscriptions", json=body, headers=auth_headers(app, rider)).status_code == 400


@pytest.mark.parametrize("endpoint", ["https://fcm.googleapis.com/fcm/send/a1", "https://web.push.apple.com/QG",
                                      "https://db5p.notify.windows.com/w/?token=x",
                                      "https://updates.push.services.mozilla.com/wpush/v2/y"])
def test_the_known_push_services_are_accepted(client, app, rider, push_config, monkeypatch, endpoint):
    from app.notifications import endpoints

    monkeypatch.setattr(endpoints, "resolve_host", lambda host, port: ["52.1.2.3"])  # a public address
    body = Subscriber(endpoint=endpoint).subscription_json()
    assert client.post("/api/v1/push-subscriptions", json=body, headers=auth_headers(app, rider)).status_code == 201


def _deliver(app):
    sender = WebPushSender(private_key=app.config["VAPID_PRIVATE_KEY"], subject="mailto:ops@gridsnap.example",
                           ttl_seconds=60, timeout_seconds=5,
                           allowed=parse_allow_list(app.config["PUSH_ALLOWED_HOSTS"]))
    policy = DeliveryPolicy(max_attempts=3, retry_base_seconds=30, retry_max_seconds=60, lease_seconds=60)
    return in_app(app, lambda: deliver_due(sender=sender, max_batch=50, policy=policy))


def _store_directly(app, user_id: int, endpoints: list[str]) -> None:
    """Subscriptions as rows stored before these checks existed (or while a name still resolved
    elsewhere): the deliverer must check again."""
    def insert():
        for endpoint in endpoints:
            subscriber = Subscriber(endpoint=endpoint)
            db.session.add(PushSubscription(user_id=user_id, endpoint=endpoint, p256dh=subscriber.p256dh,
                                            auth=subscriber.auth))
        db.session.commit()
    in_app(app, insert)


def test_the_deliverer_never_connects_to_loopback_in_any_notation(app, rider, notify, push_server,
                                                                 loopback_names_allowed):
    endpoints = [_endpoint(host, push_server.port, f"n{i}") for i, host in enumerate(LOOPBACK_NOTATIONS)]
    endpoints.append(_endpoint("localhost", push_server.port, "by-name"))  # allowed name, loopback address
    _store_directly(app, rider.id, endpoints)
    notify(rider.id)
    result = _deliver(app)
    assert result.claimed == len(endpoints) and result.counts == {"failed": len(endpoints)}
    assert push_server.connections == 0 and push_server.received == []
    errors = in_app(app, lambda: list(db.session.scalars(select(PushDelivery.last_error))))
    assert all(error.startswith("refused endpoint") for error in errors)


def test_a_name_that_rebinds_to_loopback_after_the_check_is_not_connected(app, rider, notify, push_server,
                                                                         push_config, monkeypatch):
    from app.notifications import endpoints

    system = endpoints.resolve_host
    answers = iter([["93.184.216.34"]])  # public when checked; then what the system says: 127.0.0.1
    monkeypatch.setattr(endpoints, "resolve_host", lambda host, port: next(answers, None) or system(host, port))
    monkeypatch.setitem(app.config, "PUSH_ALLOWED_HOSTS", "localhost")
    _store_directly(app, rider.id, [f"https://localhost:{push_server.port}/push/phone"])
    notify(rider.id)
    result = _deliver(app)
    assert result.counts == {"retry": 1}  # the connection itself refused the address it was given
    assert push_server.connections == 0


def test_the_loopback_push_service_the_allow_list_names_is_reached(app, rider, notify, subscribe, push_server):
    phone = push_server.subscriber("phone")
    subscribe(auth_headers(app, rider), phone)
    notify(rider.id)
    assert _deliver(app).counts == {"delivered": 1}
    assert len(push_server.requests_to(phone)) == 1


@pytest.mark.parametrize("entry", ["ftp://push.example.net", "http://", "https://push.example.net/path"])
def test_a_malformed_allow_list_stops_the_start(entry):
    from config import TestingConfig

    class Misconfigured(TestingConfig):
        PUSH_ALLOWED_HOSTS = f"fcm.googleapis.com,{entry}"

    with pytest.raises(ValueError, match="PUSH_ALLOWED_HOSTS"):
        Misconfigured.check()
