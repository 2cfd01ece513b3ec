"""Joining with the secretary's invite link, errors beside their fields, and a disabled account sent
back to the login screen with the reason."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db
from tests.factories import auth_headers, make_user
from tests.mapdata import COMMUNITY


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
