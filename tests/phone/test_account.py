"""Joining with the secretary's invite link, errors beside their fields, and a disabled account sent
back to the login screen with the reason."""
from __future__ import annotations

from datetime import timedelta

import jwt
from flask_jwt_extended import create_access_token
from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db
from tests.factories import auth_headers, make_user
from tests.mapdata import COMMUNITY
from tests.phone.conftest import log_in


def test_invite_link_registration_then_disabled_account_goes_to_login(phone, app, client, world):
    secretary = make_user(app, Role.SECRETARY, area_code=COMMUNITY)
    invite = client.post(f"/api/v1/communities/{COMMUNITY}/invites", json={"max_uses": 5},
                         headers=auth_headers(app, secretary)).json["invite_code"]
    page = phone
    page.goto(f"/app?invite={invite}")
    assert page.input_value("input[name=invite_code]") == invite

    page.fill("input[name=name]", "刘骑手")
    page.fill("input[name=phone]", "1380013")
    page.fill("input[name=password]", "short")
    page.get_by_role("button", name="注册").tap()
    assert "11位手机号" in page.inner_text("[data-field=phone] .gs-error")
    assert "至少8位" in page.inner_text("[data-field=password] .gs-error")
    with app.app_context():
        assert db.session.scalar(select(User).where(User.name == "刘骑手")) is None  # nothing was sent

    page.fill("input[name=phone]", "13800138123")
    page.fill("input[name=password]", "Qishou2026")
    page.get_by_role("button", name="注册").tap()
    page.get_by_role("button", name="上报").wait_for()  # active at once, logged in, on the report screen
    with app.app_context():
        rider = db.session.scalar(select(User).where(User.phone == "13800138123"))
        assert rider.status == "active" and rider.area_code == COMMUNITY

    assert client.post(f"/api/v1/users/{rider.id}/disable", headers=auth_headers(app, secretary)).status_code == 200
    page.get_by_role("link", name="记录").tap()
    page.get_by_role("button", name="登录").wait_for()
    assert page.locator(".gs-flash--error").inner_text() != ""  # the API's reason, not a blank screen
    assert page.locator("#tabs").is_hidden()


def test_an_access_token_about_to_expire_is_refreshed_first(phone, app, world):
    page = phone
    log_in(page, world["rider"])
    page.get_by_role("button", name="上报").wait_for()
    session = page.evaluate("JSON.parse(localStorage.getItem('gridsnap.session'))")
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    with app.app_context():  # the same login, but its access token has 60 s left
        short = create_access_token(identity=claims["sub"], expires_delta=timedelta(seconds=60),
                                    additional_claims={"sid": claims["sid"], "role": claims["role"]})
    # Listen before the token is swapped in: a background call (the stream, the outbox) may be the
    # first to notice it is about to expire.
    with page.expect_request("**/api/v1/auth/refresh") as refresh:
        page.evaluate("token => { const s = JSON.parse(localStorage.getItem('gridsnap.session'));"
                      " s.access_token = token; localStorage.setItem('gridsnap.session', JSON.stringify(s)); }",
                      short)
        page.get_by_role("link", name="积分").tap()
    assert refresh.value.headers["authorization"] == f"Bearer {session['refresh_token']}"
    page.wait_for_selector("#balance")  # the screen loaded with the new token
    renewed = page.evaluate("JSON.parse(localStorage.getItem('gridsnap.session')).access_token")
    assert renewed not in (short, session["access_token"])
