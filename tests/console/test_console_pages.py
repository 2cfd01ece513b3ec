"""Console pages through the test client: who may open what, and bad input that changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from app.auth.models import Role, User
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.points.models import LedgerEntry
from tests.console.conftest import (
    ADMIN,
    DEPARTMENT,
    DISPATCHER,
    OTHER_SECRETARY,
    RIDER,
    SECRETARY,
    csrf_token,
    log_in,
    post_form,
)
from tests.factories import make_user

PAGES = ["/console/", "/console/reports", "/console/leaderboard", "/console/riders", "/console/map",
         "/console/stats"]
ALLOWED = {
    SECRETARY: set(PAGES),
    DISPATCHER: set(PAGES) - {"/console/riders"},
    DEPARTMENT: {"/console/", "/console/reports"},
    ADMIN: set(PAGES),
}


def test_each_role_opens_its_pages_and_is_refused_the_others(desk):
    for phone, allowed in ALLOWED.items():
        client = desk(phone)
        for path in PAGES:
            response = client.get(path)
            expected = 200 if path in allowed else 403
            assert response.status_code == expected, (phone, path)
            assert response.mimetype == "text/html"
            if expected == 403:
                assert "不对您的角色开放" in response.get_data(as_text=True)


def test_riders_and_grid_workers_get_no_session(app, client):
    for role in (Role.RIDER, Role.GRID_WORKER):
        user = make_user(app, role, password=DEMO_PASSWORD)
        response = log_in(client, user.phone)
        assert response.status_code == 403
        assert "请使用手机 App" in response.get_data(as_text=True)
        assert client.get("/console/leaderboard").status_code == 302  # still logged out


def test_logging_in_mistakes_are_said_beside_the_field(app, client):
    admin = make_user(app, Role.ADMIN, password=DEMO_PASSWORD)
    assert client.get("/console/riders").location.startswith("/console/?next=")  # not logged in yet
    wrong = log_in(client, admin.phone, password="Wrong1234")
    assert wrong.status_code == 400
    assert 'id="f-password-error">手机号或密码不正确' in wrong.get_data(as_text=True)
    assert 'id="f-phone-error">请输入 11 位手机号' in log_in(client, "12345").get_data(as_text=True)
    pending = make_user(app, Role.RIDER, status="pending", password=DEMO_PASSWORD)
    assert "等待社区审核" in log_in(client, pending.phone).get_data(as_text=True)
    no_token = client.post("/console/login", data={"phone": admin.phone, "password": DEMO_PASSWORD})
    assert no_token.status_code == 400 and "页面已过期" in no_token.get_data(as_text=True)
    assert log_in(client, admin.phone).status_code == 302
    assert client.get("/console/riders").status_code == 200


def test_a_secretary_disables_a_rider_who_then_cannot_log_in(desk, app, client):
    secretary = desk(SECRETARY)
    with app.app_context():
        rider_id = db.session.scalar(select(User.id).where(User.phone == RIDER))
    assert post_form(secretary, f"/console/riders/{rider_id}/disable", {},
                     token_from="/console/riders").status_code == 302
    with app.app_context():
        assert db.session.get(User, rider_id).status == "disabled"
    assert client.post("/api/v1/auth/login", json={"phone": RIDER, "password": "Demo1234"}).status_code == 403


def test_the_json_api_needs_no_csrf_token(app, client):
    admin = make_user(app, Role.ADMIN, password=DEMO_PASSWORD)
    response = client.post("/api/v1/auth/login", json={"phone": admin.phone, "password": DEMO_PASSWORD})
    assert response.status_code == 200


def _ledger_rows(app) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LedgerEntry))


BAD_ADJUSTMENTS = [
    ({"delta": "5", "reason": ""}, "reason", "原因"),
    ({"delta": "0", "reason": "协助巡查"}, "delta", "不为 0"),
    ({"delta": "abc", "reason": "协助巡查"}, "delta", "整数"),
    ({"delta": "99999", "reason": "协助巡查"}, "delta", "整数"),
]


def test_bad_adjustments_are_said_beside_the_field_and_write_nothing(desk, app):
    secretary = desk(SECRETARY)
    with app.app_context():
        rider_id = db.session.scalar(select(User.id).where(User.phone == RIDER))
    before = _ledger_rows(app)
    for form, field, words in BAD_ADJUSTMENTS:
        response = post_form(secretary, f"/console/riders/{rider_id}", form)
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert f'id="f-{field}-error">' in page and words in page.split(f'id="f-{field}-error">')[1][:80]
    assert _ledger_rows(app) == before


def test_another_communitys_rider_cannot_be_adjusted(desk, app):
    other = desk(OTHER_SECRETARY)
    with app.app_context():
        rider_id = db.session.scalar(select(User.id).where(User.phone == RIDER))
    before = _ledger_rows(app)
    response = other.post(f"/console/riders/{rider_id}",
                          data={"delta": "5", "reason": "越权调整", "csrf_token": csrf_token(other)})
    assert response.status_code == 403
    assert "辖区" in response.get_data(as_text=True)
    assert _ledger_rows(app) == before


def test_bad_invite_numbers_and_board_filters_are_said_beside_the_field(desk):
    secretary = desk(SECRETARY)
    response = post_form(secretary, "/console/riders/invites", {"max_uses": "0", "expires_in_days": "30"},
                         token_from="/console/riders")
    assert response.status_code == 400
    assert 'id="f-max_uses-error">可用人数' in response.get_data(as_text=True)
    board = secretary.get("/console/leaderboard?period=decade&scope=galaxy")
    assert board.status_code == 400
    assert "请选择统计周期" in board.get_data(as_text=True)


def test_phone_numbers_show_only_to_admins_and_the_riders_secretary(desk, app):
    with app.app_context():
        rider_id = db.session.scalar(select(User.id).where(User.phone == RIDER))
    assert RIDER in desk(SECRETARY).get(f"/console/riders/{rider_id}").get_data(as_text=True)
    assert RIDER in desk(ADMIN).get(f"/console/riders/{rider_id}").get_data(as_text=True)
    assert RIDER not in desk(DISPATCHER).get(f"/console/riders/{rider_id}").get_data(as_text=True)
    assert desk(OTHER_SECRETARY).get(f"/console/riders/{rider_id}").status_code == 403


def test_the_riders_list_pages_through_a_large_community(desk, app):
    from app.demo import MANCHUNYUAN

    for index in range(55):
        make_user(app, area_code=MANCHUNYUAN, name=f"骑手{index:02d}")
    secretary = desk(SECRETARY)
    first = secretary.get("/console/riders").get_data(as_text=True)
    assert "第 1 / 2 页" in first and "page=2" in first
    second = secretary.get("/console/riders?page=2")
    assert second.status_code == 200 and "第 2 / 2 页" in second.get_data(as_text=True)


def test_login_attempts_share_the_apis_rate_limit(app, client):
    admin = make_user(app, Role.ADMIN, password=DEMO_PASSWORD)
    app.config["RATE_LIMIT_LOGIN"] = "2/minute"
    try:
        for _ in range(2):
            assert log_in(client, admin.phone, password="Wrong1234").status_code == 400
        refused = log_in(client, admin.phone)
        assert refused.status_code == 429
        assert "尝试次数过多" in refused.get_data(as_text=True)
    finally:
        app.config["RATE_LIMIT_LOGIN"] = "1000/minute"


def test_a_dispatcher_narrows_the_board_to_a_community_of_the_district_only(desk):
    from app.demo import FUXING, MANCHUNYUAN

    dispatcher = desk(DISPATCHER)
    own = dispatcher.get(f"/console/leaderboard?period=all&scope=community&area={MANCHUNYUAN}")
    assert own.status_code == 200 and "张骑手" in own.get_data(as_text=True)
    other = dispatcher.get(f"/console/leaderboard?period=all&scope=community&area={FUXING}")
    assert other.status_code == 400
    assert 'id="f-scope-error">这不在您的辖区内' in other.get_data(as_text=True)
    unnamed = dispatcher.get("/console/leaderboard?period=all&scope=community")
    assert 'id="f-area-error">请选择' in unnamed.get_data(as_text=True)
