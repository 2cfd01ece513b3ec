"""WeChat Official Account: binding by OAuth (state + cookie), template messages, access_token refresh."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import Notification, NotificationPreference
from app.notifications.worker import deliverer_from
from tests.factories import auth_headers
from tests.notifications.conftest import in_app
from tests.support.provider_servers import WechatServer

CALLBACK = "/api/v1/wechat/oauth-callback"


@pytest.fixture
def wechat(app, monkeypatch):
    with WechatServer(app_id="wx1234567890abcdef", app_secret="wechat-secret") as server:
        for name, value in {"WECHAT_APP_ID": "wx1234567890abcdef", "WECHAT_APP_SECRET": "wechat-secret",
                            "WECHAT_API_BASE": server.base_url, "WECHAT_OAUTH_BASE": server.base_url,
                            "WECHAT_TEMPLATE_ASSIGNED": "tmpl-assigned", "WECHAT_TEMPLATE_STATUS": "tmpl-status",
                            "PUBLIC_BASE_URL": "https://grid.example.cn", "SMS_PROVIDER": "",
                            "PUSH_MAX_ATTEMPTS": 3}.items():
            monkeypatch.setitem(app.config, name, value)
        yield server


@pytest.fixture
def deliver(app):
    def _deliver():
        deliverer = deliverer_from(app.config, max_batch=50)
        return in_app(app, lambda: [r.counts for r in deliverer.run_round()])

    return _deliver


def _start(client, headers) -> dict[str, list[str]]:
    response = client.post("/api/v1/me/wechat/bind", headers=headers)
    assert response.status_code == 200, response.get_json()
    url = urlsplit(response.get_json()["authorize_url"])
    assert url.path == "/connect/oauth2/authorize" and url.fragment == "wechat_redirect"
    return parse_qs(url.query)


def bind(client, app, user, wechat, openid: str) -> None:
    """The whole dance: the app asks for the URL, WeChat returns to the callback in the same browser."""
    query = _start(client, auth_headers(app, user))
    code = wechat.issue_code(openid)
    response = client.get(CALLBACK, query_string={"code": code, "state": query["state"][0]})
    assert response.status_code == 302, response.get_json()


def _openid(app, user_id):
    return in_app(app, lambda: db.session.scalar(select(NotificationPreference.wechat_openid)
                                                 .where(NotificationPreference.user_id == user_id)))


def test_binding_through_oauth_snsapi_base(app, client, wechat, sms_worker):
    headers = auth_headers(app, sms_worker)
    query = _start(client, headers)
    assert query["appid"] == ["wx1234567890abcdef"] and query["scope"] == ["snsapi_base"]
    assert query["redirect_uri"] == ["https://grid.example.cn" + CALLBACK]
    response = client.get(CALLBACK, query_string={"code": wechat.issue_code("oWorker1"), "state": query["state"][0]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/app/?wechat=bound")
    assert _openid(app, sms_worker.id) == "oWorker1"
    settings = client.get("/api/v1/me/notification-settings", headers=headers).get_json()
    assert settings["wechat_bound"] is True
    assert client.delete("/api/v1/me/wechat", headers=headers).status_code == 204
    assert _openid(app, sms_worker.id) is None


def test_a_callback_in_another_browser_binds_nothing(app, client, wechat, sms_worker):
    """CSRF: someone else's link opened by the victim (no cookie from starting it) is refused."""
    query = _start(client, auth_headers(app, sms_worker))
    other_browser = app.test_client()
    response = other_browser.get(CALLBACK, query_string={"code": wechat.issue_code("oVictim"),
                                                         "state": query["state"][0]})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "wechat_state_invalid"
    assert _openid(app, sms_worker.id) is None


@pytest.mark.parametrize("state", ["forged", "eyJ1IjoxfQ.bad.sig"])
def test_a_forged_state_binds_nothing(app, client, wechat, sms_worker, state):
    _start(client, auth_headers(app, sms_worker))
    response = client.get(CALLBACK, query_string={"code": wechat.issue_code("oX"), "state": state})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "wechat_state_invalid"
    assert _openid(app, sms_worker.id) is None


def test_a_code_wechat_refuses_is_422(app, client, wechat, sms_worker):
    query = _start(client, auth_headers(app, sms_worker))
    response = client.get(CALLBACK, query_string={"code": "never-issued", "state": query["state"][0]})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "wechat_code_rejected"


def test_missing_callback_parameters_are_400(app, client, wechat):
    assert client.get(CALLBACK).status_code == 400
    assert client.get(CALLBACK, query_string={"code": "x"}).status_code == 400


def test_one_wechat_cannot_be_bound_to_two_accounts(app, client, wechat, sms_worker, rider):
    bind(client, app, sms_worker, wechat, "oShared")
    query = _start(client, auth_headers(app, rider))
    response = client.get(CALLBACK, query_string={"code": wechat.issue_code("oShared"), "state": query["state"][0]})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "wechat_bound_elsewhere"
    assert _openid(app, rider.id) is None and _openid(app, sms_worker.id) == "oShared"


def test_binding_is_refused_when_wechat_is_not_set_up(app, client, sms_worker, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_APP_ID", "")
    response = client.post("/api/v1/me/wechat/bind", headers=auth_headers(app, sms_worker))
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "wechat_not_configured"


def test_an_assignment_goes_out_as_a_template_message_with_a_link_back(app, client, wechat, sms_worker, rider,
                                                                       assign, deliver):
    bind(client, app, sms_worker, wechat, "oWorker1")
    note_id = assign(sms_worker, category="garbage", address=f"正源街 {rider.name} {rider.phone}")
    assert deliver() == [{"wechat sent": 1}]  # at once: no unseen wait for WeChat
    [token_call, send] = [c for c in wechat.calls if c.path.startswith("/cgi-bin")]
    assert token_call.path == "/cgi-bin/token" and send.valid
    message = send.params["json"]
    report_id = in_app(app, lambda: db.session.get(Notification, note_id).report_id)
    assert message["touser"] == "oWorker1" and message["template_id"] == "tmpl-assigned"
    assert message["url"] == f"https://grid.example.cn/app/?report={report_id}"
    assert message["data"]["thing1"] == {"value": "垃圾乱堆"}
    assert message["data"]["time4"] == {"value": "2026年12月07日 12:00"}  # China time: 10:00 + 120 minutes
    text = str(message)
    assert rider.name not in text and rider.phone not in text


def test_the_access_token_is_cached_and_refreshed_once_when_wechat_rejects_it(app, client, wechat, sms_worker,
                                                                              assign, deliver, now):
    bind(client, app, sms_worker, wechat, "oWorker1")
    assign(sms_worker)
    assign(sms_worker)
    assert deliver() == [{"wechat sent": 2}]
    assert wechat.tokens_issued == 1  # cached between messages
    wechat.expire_tokens()  # another process fetched a new one: ours answers 40001
    assign(sms_worker)
    assert deliver() == [{"wechat sent": 1}]
    assert wechat.tokens_issued == 2
    assert [c.problem for c in wechat.calls if c.path == "/cgi-bin/message/template/send"][-2:] == ["40001", "0"]
    now.move(7200)  # past expires_in: renewed before use, without a refused call
    assign(sms_worker)
    assert deliver() == [{"wechat sent": 1}]
    assert wechat.tokens_issued == 3
    assert [c.problem for c in wechat.calls if c.path == "/cgi-bin/message/template/send"][-1] == "0"


def test_a_status_change_reaches_the_rider_on_wechat(app, client, wechat, rider, notify, report_id, deliver):
    bind(client, app, rider, wechat, "oRider")
    notify(rider.id, kind="status_changed", report_id=report_id)
    assert deliver() == [{"wechat sent": 1}]
    send = [c for c in wechat.calls if c.path == "/cgi-bin/message/template/send"][0]
    assert send.params["json"]["template_id"] == "tmpl-status"


def test_wechat_busy_is_retried_and_an_unsubscribed_user_is_given_up(app, client, wechat, sms_worker, assign,
                                                                      deliver, now):
    bind(client, app, sms_worker, wechat, "oWorker1")
    wechat.answer(-1, 43004)
    assign(sms_worker)
    assert deliver() == [{"wechat retry": 1}]
    now.move(31)
    assert deliver() == [{"wechat failed": 1}]


def test_unbound_or_opted_out_users_get_no_wechat(app, client, wechat, sms_worker, assign, deliver):
    assign(sms_worker)
    assert deliver() == [{}]  # not bound: nothing queued
    bind(client, app, sms_worker, wechat, "oWorker1")
    client.put("/api/v1/me/notification-settings", json={"wechat_enabled": False},
               headers=auth_headers(app, sms_worker))
    assign(sms_worker)
    assert deliver() == [{"wechat skipped (opted_out)": 1}]


def test_a_bind_link_older_than_ten_minutes_is_refused(app, client, wechat, sms_worker, monkeypatch):
    import time

    from itsdangerous.timed import TimestampSigner

    query = _start(client, auth_headers(app, sms_worker))
    later = int(time.time()) + 601
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    response = client.get(CALLBACK, query_string={"code": wechat.issue_code("oLate"), "state": query["state"][0]})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "wechat_state_expired"
    assert _openid(app, sms_worker.id) is None
