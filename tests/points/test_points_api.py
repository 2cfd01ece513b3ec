"""Points endpoints: my points, leaderboards (ranks, ties, masking, me), CSV export, adjustments."""
from __future__ import annotations

import csv
import io

import pytest

from app.auth.models import Role
from app.points import rules
from tests.factories import auth_headers, make_user
from tests.points.conftest import ledger
from tests.points.factories import (
    ACROSS,
    DISTRICT,
    FAR,
    HOME,
    NEIGHBOUR,
    OTHER_DISTRICT,
    OTHER_STREET,
    STREET,
    adjust,
    confirm,
    make_report,
    make_rider,
    reject,
)


@pytest.fixture
def staff(app, world):
    return {
        "admin": make_user(app, Role.ADMIN),
        "secretary": make_user(app, Role.SECRETARY, area_code=HOME, name="王书记"),
        "other_secretary": make_user(app, Role.SECRETARY, area_code=NEIGHBOUR),
        "dispatcher": make_user(app, Role.DISPATCHER, area_code=DISTRICT),
        "far_dispatcher": make_user(app, Role.DISPATCHER, area_code=OTHER_DISTRICT),
        "grid_worker": make_user(app, Role.GRID_WORKER, area_code=HOME),
    }


@pytest.fixture
def board(app, staff, now):
    """Five riders of HOME with 30, 20, 20, 10 and 5 points this month (ties at 20), one of NEIGHBOUR."""
    names = ("张三丰", "李四", "王五", "赵六", "钱七")
    riders = [make_rider(app, name, platform="eleme") for name in names]
    for rider, points in zip(riders, (30, 20, 20, 10, 5), strict=True):
        adjust(app, staff["secretary"], rider, points, "社区志愿服务")
    neighbour = make_rider(app, "孙八", community=NEIGHBOUR)
    adjust(app, staff["admin"], neighbour, 25, "跨社区支援")
    return {"riders": riders, "neighbour": neighbour}


def _get(client, app, user, path, **params):
    return client.get(path, query_string=params, headers=auth_headers(app, user))


# --- my points -------------------------------------------------------------------------------

def test_my_points_shows_balance_month_ranks_level_and_readable_entries(client, app, staff, now):
    rider = make_rider(app)
    rival = make_rider(app, "李四")
    adjust(app, staff["secretary"], rival, 80, "防汛值守")
    now.advance(days=-40)  # last month
    confirm(app, make_report(app, rider, category="flying_lead_charging"))
    now.advance(days=40)
    confirm(app, make_report(app, rider, community=ACROSS))
    adjust(app, staff["secretary"], rider, 40, "协助排查隐患")
    body = _get(client, app, rider, "/api/v1/me/points").get_json()
    assert body["balance"] == 15 + 4 + 40 == 59
    assert body["month_points"] == 44
    assert body["rank"] == {"community": 2, "overall": 2}  # home board: 55 (HOME only) vs 80
    assert body["level"]["code"] == "bronze" and body["level"]["next_at"] == 200
    first = body["entries"][0]
    assert (first["delta"], first["reason"], first["note"]) == (40, "adjustment", "协助排查隐患")
    assert first["reason_text"] == {"zh": "社区调整", "en": "Adjustment by your community"}
    assert [e["reason"] for e in body["entries"]] == ["adjustment", "report_confirmed", "urgent_bonus",
                                                      "report_confirmed"]
    assert body["entries"][1]["report_id"] is not None and body["total"] == 4
    page = _get(client, app, rider, "/api/v1/me/points", per_page=1, page=2).get_json()
    assert [e["reason"] for e in page["entries"]] == ["report_confirmed"]


def test_a_new_rider_has_zero_and_no_rank(client, app, staff):
    body = _get(client, app, make_rider(app), "/api/v1/me/points").get_json()
    assert (body["balance"], body["rank"], body["entries"]) == (0, {"community": None, "overall": None}, [])
    assert body["level"]["code"] == "trainee"


@pytest.mark.parametrize("role", ["secretary", "admin", "dispatcher"])
def test_my_points_is_for_riders(client, app, staff, role):
    assert _get(client, app, staff[role], "/api/v1/me/points").status_code == 403


# --- leaderboards ----------------------------------------------------------------------------

def test_the_community_board_ranks_with_shared_ranks_for_ties(client, app, staff, board):
    response = _get(client, app, staff["secretary"], "/api/v1/leaderboards", scope="community",
                    period="month")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["scope"], body["period"], body["area"]["code"], body["me"]) == (
        "community", "month", HOME, None)
    assert [(r["rank"], r["points"]) for r in body["rows"]] == [(1, 30), (2, 20), (2, 20), (4, 10), (5, 5)]
    assert body["rows"][0]["rider"] == {"id": board["riders"][0].id, "name": "张三丰", "platform": "eleme"}


def test_riders_see_others_masked_and_their_own_row_outside_the_top(client, app, staff, board):
    me = board["riders"][4]  # 5 points, rank 5
    body = _get(client, app, me, "/api/v1/leaderboards", scope="community", period="month",
                limit=2).get_json()
    assert [r["rider"]["name"] for r in body["rows"]] == ["张**", "王*"]  # ties: newer rider first
    assert body["me"] == {"rank": 5, "rider": {"id": me.id, "name": "钱七", "platform": "eleme"},
                          "points": 5, "reports": 0, "valid_reports": 0}
    inside = _get(client, app, board["riders"][1], "/api/v1/leaderboards", period="month").get_json()
    own = [r for r in inside["rows"] if r["rider"]["id"] == board["riders"][1].id]
    assert own[0]["rider"]["name"] == "李四" and inside["me"]["rank"] == 2


def test_a_rider_without_points_gets_an_unranked_me_row(client, app, staff, board):
    newcomer = make_rider(app, "周九")
    body = _get(client, app, newcomer, "/api/v1/leaderboards", period="week").get_json()
    assert body["me"]["rank"] is None and body["me"]["points"] == 0


def test_street_district_and_everyone_boards_gather_their_communities(client, app, staff, board):
    street = _get(client, app, staff["secretary"], "/api/v1/leaderboards", scope="street",
                  period="all").get_json()
    assert street["area"]["code"] == STREET
    assert [r["points"] for r in street["rows"]] == [30, 25, 20, 20, 10, 5]
    # the secretary sees her own riders' names, a neighbour community's rider masked
    assert street["rows"][1]["rider"]["name"] == "孙*"
    district = _get(client, app, staff["dispatcher"], "/api/v1/leaderboards", scope="district",
                    period="year").get_json()
    assert len(district["rows"]) == 6 and district["rows"][1]["rider"]["name"] == "孙八"
    everyone = _get(client, app, board["riders"][0], "/api/v1/leaderboards", scope="all").get_json()
    assert everyone["area"] is None and everyone["me"]["rank"] == 1


def test_boards_count_reports_and_valid_reports(client, app, staff, now):
    rider = make_rider(app)
    confirm(app, make_report(app, rider))
    reject(app, make_report(app, rider))
    row = _get(client, app, staff["secretary"], "/api/v1/leaderboards", period="week").get_json()["rows"][0]
    assert (row["points"], row["reports"], row["valid_reports"]) == (4, 2, 1)


def test_periods_follow_china_time(client, app, staff, now):
    rider = make_rider(app)
    now.at = now.at.replace(day=16, hour=15, minute=59)  # Monday 23:59 in China: this week
    confirm(app, make_report(app, rider))
    now.at = now.at.replace(day=15, hour=15, minute=59)  # Sunday 23:59 in China: last week
    confirm(app, make_report(app, rider))
    now.at = now.at.replace(day=18)
    points = {period: _get(client, app, staff["admin"], "/api/v1/leaderboards", scope="community",
                           area=HOME, period=period).get_json()["rows"][0]["points"]
              for period in ("week", "month", "year", "all")}
    assert points == {"week": 4, "month": 8, "year": 8, "all": 8}


@pytest.mark.parametrize("actor, params, status", [
    ("secretary", {"scope": "community", "area": NEIGHBOUR}, 403),
    ("secretary", {"scope": "street", "area": OTHER_STREET}, 403),
    ("secretary", {"scope": "district"}, 403),
    ("secretary", {"scope": "all"}, 403),
    ("dispatcher", {"scope": "community", "area": ACROSS}, 200),
    ("dispatcher", {"scope": "community", "area": FAR}, 403),
    ("dispatcher", {"scope": "all"}, 403),
    ("far_dispatcher", {"scope": "district", "area": DISTRICT}, 403),
    ("rider", {"scope": "community", "area": NEIGHBOUR}, 403),
    ("rider", {"scope": "district", "area": OTHER_DISTRICT}, 403),
    ("rider", {"scope": "all"}, 200),
    ("grid_worker", {"scope": "community"}, 403),
    ("admin", {"scope": "community", "area": FAR}, 200),
    ("admin", {"scope": "community"}, 400),  # which community?
    ("admin", {"scope": "all", "area": HOME}, 400),
    ("admin", {"scope": "community", "area": STREET}, 422),  # a street is not a community
    ("admin", {"scope": "street", "area": "999999"}, 422),
    ("admin", {"scope": "county"}, 400),
    ("admin", {"scope": "all", "period": "decade"}, 400),
    ("admin", {"scope": "all", "limit": 0}, 400),
    ("admin", {"scope": "all", "limit": 201}, 400),
])
def test_who_may_see_which_board(client, app, staff, actor, params, status):
    user = staff.get(actor) or make_rider(app)
    response = _get(client, app, user, "/api/v1/leaderboards", **params)
    assert response.status_code == status, response.get_json()
    if status >= 400:
        assert response.get_json()["error"]["code"]


# --- CSV export ------------------------------------------------------------------------------

def test_the_csv_export_opens_in_excel_with_chinese_names(client, app, staff, board):
    response = _get(client, app, staff["secretary"], "/api/v1/leaderboards/export.csv", period="month")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "charset=utf-8" in response.content_type
    assert response.headers["Content-Disposition"].startswith('attachment; filename="leaderboard-community-')
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "名次 rank"
    assert rows[1][:5] == ["1", str(board["riders"][0].id), "张三丰", "eleme", "30"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "2", "4", "5"]


def test_the_csv_quotes_names_excel_would_run_as_formulas(client, app, staff, now):
    rider = make_rider(app, "=HYPERLINK(1)")
    adjust(app, staff["secretary"], rider, 5)
    response = _get(client, app, staff["admin"], "/api/v1/leaderboards/export.csv", scope="all")
    assert "'=HYPERLINK(1)" in response.data.decode("utf-8-sig")


@pytest.mark.parametrize("role", ["dispatcher", "grid_worker"])
def test_only_secretaries_and_admins_export(client, app, staff, role):
    assert _get(client, app, staff[role], "/api/v1/leaderboards/export.csv").status_code == 403
    assert _get(client, app, make_rider(app), "/api/v1/leaderboards/export.csv").status_code == 403


# --- adjustments -----------------------------------------------------------------------------

def _adjust(client, app, actor, **body):
    return client.post("/api/v1/points/adjustments", json=body, headers=auth_headers(app, actor))


def test_a_secretary_adjusts_a_rider_of_her_community(client, app, staff, now):
    rider = make_rider(app)
    response = _adjust(client, app, staff["secretary"], rider_id=rider.id, delta=-12, reason="照片与现场不符")
    assert response.status_code == 201
    entry = response.get_json()
    assert (entry["rider_id"], entry["delta"], entry["reason"], entry["note"], entry["created_by_id"],
            entry["community_code"]) == (rider.id, -12, "adjustment", "照片与现场不符",
                                         staff["secretary"].id, HOME)
    assert entry["reason_text"]["zh"] == "社区调整"
    assert _get(client, app, rider, "/api/v1/me/points").get_json()["balance"] == -12
    assert _adjust(client, app, staff["admin"], rider_id=rider.id, delta=rules.MAX_ADJUSTMENT,
                   reason="平台奖励").status_code == 201


@pytest.mark.parametrize("body", [
    {"delta": 5},
    {"delta": 5, "reason": "x"},
    {"delta": 5, "reason": "   "},
    {"delta": 5, "reason": "长" * 201},
    {"delta": 0, "reason": "没有变化"},
    {"delta": 101, "reason": "太多了"},
    {"delta": -101, "reason": "太多了"},
    {"delta": "5", "reason": "字符串"},
    {"reason": "没有分数"},
])
def test_an_adjustment_needs_a_reason_and_a_bounded_delta(client, app, staff, body):
    rider = make_rider(app)
    response = _adjust(client, app, staff["secretary"], rider_id=rider.id, **body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"
    assert ledger(app) == []


@pytest.mark.parametrize("actor, target, status", [
    ("other_secretary", "rider", 403),  # a rider of another community
    ("dispatcher", "rider", 403),
    ("grid_worker", "rider", 403),
    ("rider", "rider", 403),
    ("secretary", "grid_worker", 422),
    ("secretary", "nobody", 404),
])
def test_who_may_adjust_whom(client, app, staff, actor, target, status):
    rider = make_rider(app)
    people = {**staff, "rider": rider}
    target_id = 999_999 if target == "nobody" else people[target].id
    response = _adjust(client, app, people[actor], rider_id=target_id, delta=5, reason="合理理由")
    assert response.status_code == status
    assert ledger(app) == []


def test_adjustments_are_new_entries_never_edits(client, app, staff, now):
    rider = make_rider(app)
    for delta in (10, -3):
        _adjust(client, app, staff["secretary"], rider_id=rider.id, delta=delta, reason="两次调整")
        now.advance(minutes=1)
    assert [delta for *_rest, delta in ledger(app)] == [10, -3]
    assert _get(client, app, rider, "/api/v1/me/points").get_json()["balance"] == 7
