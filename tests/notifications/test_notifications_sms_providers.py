"""Aliyun and Tencent Cloud SMS through the real clients, against loopback services that verify signatures."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import ChannelAttempt, ChannelDelivery
from app.notifications.sms import sms_sender_from
from app.notifications.worker import deliverer_from
from tests.notifications.conftest import in_app
from tests.support.provider_servers import AliyunSmsServer, TencentSmsServer


@pytest.fixture
def aliyun(app, monkeypatch):
    with AliyunSmsServer(access_key_id="LTAI5tTestKey", access_key_secret="aliyun-secret") as server:
        for name, value in {"SMS_PROVIDER": "aliyun", "ALIYUN_ACCESS_KEY_ID": "LTAI5tTestKey",
                            "ALIYUN_ACCESS_KEY_SECRET": "aliyun-secret", "ALIYUN_SMS_ENDPOINT": server.base_url + "/",
                            "SMS_TEMPLATE_ASSIGNED": "SMS_468000001", "PUSH_MAX_ATTEMPTS": 3}.items():
            monkeypatch.setitem(app.config, name, value)
        yield server


@pytest.fixture
def tencent(app, monkeypatch):
    with TencentSmsServer(secret_id="AKIDtest", secret_key="tencent-key") as server:
        for name, value in {"SMS_PROVIDER": "tencent", "TENCENT_SECRET_ID": "AKIDtest",
                            "TENCENT_SECRET_KEY": "tencent-key", "TENCENT_SMS_APP_ID": "1400000001",
                            "TENCENT_SMS_ENDPOINT": server.base_url + "/", "SMS_TEMPLATE_ASSIGNED": "2000001",
                            "PUSH_MAX_ATTEMPTS": 3}.items():
            monkeypatch.setitem(app.config, name, value)
        yield server


@pytest.fixture
def deliver(app):
    """One round of `flask notifications deliver`, built from the app's configuration."""

    def _deliver():
        deliverer = deliverer_from(app.config, max_batch=50)
        return in_app(app, lambda: [r.counts for r in deliverer.run_round()])

    return _deliver


def _history(app):
    def read():
        delivery = db.session.scalars(select(ChannelDelivery)).one()
        attempts = db.session.scalars(select(ChannelAttempt).order_by(ChannelAttempt.id)).all()
        return delivery.status, [(a.provider, a.outcome, a.code) for a in attempts]

    return in_app(app, read)


def test_aliyun_gets_a_signed_sendsms_with_the_template_and_safe_parameters(app, aliyun, sms_worker, rider,
                                                                            assign, deliver):
    assign(sms_worker, category="flying_lead_charging", address=f"正源街{rider.phone}号 {rider.name}家门口")
    assert deliver() == [{"sms sent": 1}]
    [call] = aliyun.calls
    assert call.valid, call.problem
    params = call.params
    assert (params["PhoneNumbers"], params["SignName"], params["TemplateCode"]) == (
        "13912345678", "网格随手拍", "SMS_468000001")
    template = json.loads(params["TemplateParam"])
    assert list(template) == ["category", "distance", "address", "deadline"]
    assert template["category"] == "飞线充电" and template["distance"] == "123"
    assert rider.phone not in params["TemplateParam"] and rider.name not in params["TemplateParam"]
    assert _history(app) == ("sent", [("aliyun", "delivered", "OK")])


def test_aliyun_refuses_a_wrong_signature_and_it_is_not_retried(app, aliyun, sms_worker, assign, deliver,
                                                                 monkeypatch):
    monkeypatch.setitem(app.config, "ALIYUN_ACCESS_KEY_SECRET", "not-the-secret")
    assign(sms_worker, category="flying_lead_charging")
    assert deliver() == [{"sms failed": 1}]
    assert not aliyun.calls[0].valid
    assert _history(app) == ("failed", [("aliyun", "rejected", "SignatureDoesNotMatch")])


def test_aliyun_throttling_and_outages_are_retried_with_backoff(app, aliyun, sms_worker, assign, deliver, now):
    aliyun.answer((503, "ServiceUnavailable"), (200, "isv.BUSINESS_LIMIT_CONTROL"))
    assign(sms_worker, category="flying_lead_charging")
    assert deliver() == [{"sms retry": 1}]
    assert deliver() == [{}]  # waits its backoff
    now.move(31)
    assert deliver() == [{"sms retry": 1}]
    now.move(61)
    assert deliver() == [{"sms sent": 1}]
    assert all(call.valid for call in aliyun.calls) and len(aliyun.calls) == 3
    assert _history(app) == ("sent", [("aliyun", "retry", "ServiceUnavailable"),
                                      ("aliyun", "retry", "isv.BUSINESS_LIMIT_CONTROL"),
                                      ("aliyun", "delivered", "OK")])


def test_aliyun_errors_are_given_up_after_the_last_attempt(app, aliyun, sms_worker, assign, deliver, now):
    aliyun.answer(*[(500, "InternalError")] * 5)
    assign(sms_worker, category="flying_lead_charging")
    outcomes = []
    for _ in range(4):
        outcomes += deliver()
        now.move(7200)
    assert outcomes == [{"sms retry": 1}, {"sms retry": 1}, {"sms failed": 1}, {}]
    status, attempts = _history(app)
    assert status == "failed" and len(attempts) == 3 == len(aliyun.calls)


def test_tencent_gets_a_tc3_signed_sendsms_with_ordered_parameters(app, tencent, sms_worker, assign, deliver):
    assign(sms_worker, category="manhole_cover")
    assert deliver() == [{"sms sent": 1}]
    [call] = tencent.calls
    assert call.valid, call.problem
    assert call.params["PhoneNumberSet"] == ["+8613912345678"]
    assert (call.params["SmsSdkAppId"], call.params["TemplateId"], call.params["SignName"]) == (
        "1400000001", "2000001", "网格随手拍")
    category, distance, address, deadline = call.params["TemplateParamSet"]
    assert (category, distance, address) == ("井盖破损缺失", "123", "金凤区正源街12号")
    assert deadline == "12-07 10:30"  # China time: assigned at 10:00, 30 minutes to accept
    assert _history(app) == ("sent", [("tencent", "delivered", "Ok")])


def test_tencent_refuses_a_wrong_key(app, tencent, sms_worker, assign, deliver, monkeypatch):
    monkeypatch.setitem(app.config, "TENCENT_SECRET_KEY", "wrong")
    assign(sms_worker, category="manhole_cover")
    assert deliver() == [{"sms failed": 1}]
    assert _history(app) == ("failed", [("tencent", "rejected", "AuthFailure.SignatureFailure")])


def test_tencent_internal_errors_are_retried(app, tencent, sms_worker, assign, deliver, now):
    tencent.answer("InternalError.Timeout")
    assign(sms_worker, category="manhole_cover")
    assert deliver() == [{"sms retry": 1}]
    now.move(31)
    assert deliver() == [{"sms sent": 1}]
    assert [a[2] for a in _history(app)[1]] == ["InternalError.Timeout", "Ok"]


def test_an_unreachable_provider_is_retried(app, sms_worker, assign, deliver, monkeypatch):
    for name, value in {"SMS_PROVIDER": "aliyun", "ALIYUN_ACCESS_KEY_ID": "id", "ALIYUN_ACCESS_KEY_SECRET": "s",
                        "ALIYUN_SMS_ENDPOINT": "http://127.0.0.1:9/"}.items():  # nothing listens on port 9
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.config, "SMS_TEMPLATE_ASSIGNED", "SMS_1")
    assign(sms_worker, category="manhole_cover")
    assert deliver() == [{"sms retry": 1}]
    assert _history(app)[1] == [("aliyun", "retry", None)]


def test_without_an_approved_template_a_real_provider_sends_nothing(app, aliyun, sms_worker, assign, deliver,
                                                                    monkeypatch):
    monkeypatch.setitem(app.config, "SMS_TEMPLATE_ASSIGNED", "")
    assign(sms_worker, category="manhole_cover")
    assert deliver() == [{"sms skipped (no_template)": 1}] and aliyun.calls == []


def test_an_unknown_provider_is_a_configuration_error(app):
    with pytest.raises(ValueError, match="SMS_PROVIDER"):
        sms_sender_from({**app.config, "SMS_PROVIDER": "carrier-pigeon"})


@pytest.mark.parametrize("provider, missing", [("aliyun", "ALIYUN_ACCESS_KEY_SECRET"),
                                               ("tencent", "TENCENT_SMS_APP_ID")])
def test_the_worker_refuses_a_provider_without_its_keys(app, monkeypatch, provider, missing):
    monkeypatch.setitem(app.config, "SMS_PROVIDER", provider)
    for name in ("ALIYUN_ACCESS_KEY_ID", "TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "ALIYUN_ACCESS_KEY_SECRET"):
        monkeypatch.setitem(app.config, name, "set")
    monkeypatch.setitem(app.config, missing, "")
    result = app.test_cli_runner().invoke(args=["notifications", "deliver", "--once"])
    assert result.exit_code != 0 and missing in result.output
