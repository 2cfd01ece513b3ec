"""The whole loop through HTTP, the way the apps talk: submit → assign → decline → reassign →
accept → escalate → dispatch → resolve with a photo → evaluate → closed."""
from __future__ import annotations

import io

import pytest

from app.auth.models import Role
from tests.factories import PASSWORD, make_user
from tests.images import jpeg_bytes
from tests.mapdata import COMMUNITY, DISTRICT, IN_WEST, load_small_map


def _login(client, user) -> dict[str, str]:
    tokens = client.post("/api/v1/auth/login", json={"phone": user.phone, "password": PASSWORD})
    assert tokens.status_code == 200
    return {"Authorization": f"Bearer {tokens.get_json()['access_token']}"}


def _inbox(client, headers, after=0):
    response = client.get(f"/api/v1/notifications?after={after}", headers=headers)
    assert response.status_code == 200
    return response.get_json()["items"]


@pytest.fixture
def people(app):
    load_small_map(app)
    lat, lon = IN_WEST
    workers = {name: make_user(app, Role.GRID_WORKER, area_code=COMMUNITY, name=name)
               for name in ("王网格", "李网格", "赵网格")}
    return {
        "rider": make_user(app, Role.RIDER, area_code=COMMUNITY, name="张骑手", platform="meituan"),
        "workers": workers,
        # ~56 m, ~111 m and ~222 m north of the hazard
        "posts": {"王网格": (lat + 0.0005, lon), "李网格": (lat + 0.001, lon), "赵网格": (lat + 0.002, lon)},
        "dispatcher": make_user(app, Role.DISPATCHER, area_code=DISTRICT, name="区指挥中心"),
        "department": make_user(app, Role.DEPARTMENT, area_code=DISTRICT, name="城管局"),
    }


def test_the_whole_loop(client, app, people):
    rider = _login(client, people["rider"])
    worker = {name: _login(client, user) for name, user in people["workers"].items()}
    for name, (lat, lon) in people["posts"].items():
        duty = client.put("/api/v1/me/duty", json={"on_duty": True, "lat": lat, "lon": lon},
                          headers=worker[name])
        assert duty.status_code == 200, duty.get_json()

    submitted = client.post(
        "/api/v1/reports", headers={**rider, "Idempotency-Key": "loop-report-0001"},
        content_type="multipart/form-data",
        data={"category": "flying_lead_charging", "lat": str(IN_WEST[0]), "lon": str(IN_WEST[1]),
              "description": "三楼窗户飞线充电", "photos": [(io.BytesIO(jpeg_bytes(96, 72, gps=IN_WEST)), "a.jpg")]})
    assert submitted.status_code == 201, submitted.get_json()
    report = submitted.get_json()
    report_id = report["id"]
    assert report["status"] == "assigned"
    assert report["assigned_to"]["name"] == "王网格"
    assert report["distance_m"] == pytest.approx(55.5, abs=1)
    assert [n["kind"] for n in _inbox(client, worker["王网格"])] == ["assigned"]
    assert _inbox(client, worker["李网格"]) == []

    declined = client.post(f"/api/v1/reports/{report_id}/decline", json={"reason": "正在处理另一起"},
                           headers=worker["王网格"])
    assert declined.status_code == 200
    assert declined.get_json()["assigned_to"]["name"] == "李网格"
    assert declined.get_json()["status"] == "assigned"
    assert [n["kind"] for n in _inbox(client, worker["李网格"])] == ["assigned"]

    assert client.post(f"/api/v1/reports/{report_id}/accept", headers=worker["王网格"]).status_code == 403
    accepted = client.post(f"/api/v1/reports/{report_id}/accept", headers=worker["李网格"])
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "accepted"

    escalated = client.post(f"/api/v1/reports/{report_id}/escalate",
                            json={"reason": "需要供电部门断电处置"}, headers=worker["李网格"])
    assert escalated.get_json()["status"] == "escalated"
    dispatcher = _login(client, people["dispatcher"])
    assert [n["kind"] for n in _inbox(client, dispatcher)] == ["escalated"]

    dispatched = client.post(f"/api/v1/reports/{report_id}/dispatch",
                             json={"department_id": people["department"].id}, headers=dispatcher)
    assert dispatched.status_code == 200, dispatched.get_json()
    assert dispatched.get_json()["status"] == "dispatched" and dispatched.get_json()["due_at"]
    department = _login(client, people["department"])
    assert [n["kind"] for n in _inbox(client, department)] == ["dispatched"]

    after_photo = jpeg_bytes(96, 72, gps=IN_WEST, seed=99)
    resolved = client.post(f"/api/v1/reports/{report_id}/resolve", headers=department,
                           content_type="multipart/form-data",
                           data={"note": "已拆除飞线，劝导住户", "photo": [(io.BytesIO(after_photo), "after.jpg")]})
    assert resolved.status_code == 200, resolved.get_json()
    assert resolved.get_json()["status"] == "resolved"
    assert resolved.get_json()["actions"] == []  # the department has nothing left to do

    mine = client.get(f"/api/v1/reports/{report_id}", headers=rider).get_json()
    assert set(mine["actions"]) == {"evaluate", "reopen"}
    closed = client.post(f"/api/v1/reports/{report_id}/evaluate", json={"rating": 5, "comment": "很及时"},
                         headers=rider)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert closed.get_json()["rating"] == 5

    timeline = client.get(f"/api/v1/reports/{report_id}", headers=rider).get_json()["timeline"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in timeline] == [
        ("submit", None, "submitted"),
        ("assign", "submitted", "assigned"),
        ("decline", "assigned", "submitted"),
        ("assign", "submitted", "assigned"),
        ("accept", "assigned", "accepted"),
        ("escalate", "accepted", "escalated"),
        ("dispatch", "escalated", "dispatched"),
        ("resolve", "dispatched", "resolved"),
        ("evaluate", "resolved", "closed"),
    ]
    assert timeline[2]["note"] == "正在处理另一起" and timeline[2]["actor"]["name"] == "王网格"
    assert timeline[7]["photo"]["url"] and client.get(timeline[7]["photo"]["url"]).status_code == 200
    rider_news = [n["kind"] for n in _inbox(client, rider)]
    assert rider_news.count("status_changed") >= 4

    points = client.get("/api/v1/me/points", headers=rider).get_json()
    assert points["balance"] > 0
    awarded = [e for e in points["entries"] if e["report_id"] == report_id]
    assert awarded and all(e["delta"] > 0 for e in awarded)

    # The district's statistics followed every step, from its monthly totals.
    stats = client.get("/api/v1/stats", headers=dispatcher).get_json()
    assert (stats["total"], stats["by_status"]["closed"], stats["deadline"]["resolved"]) == (1, 1, 1)
    assert stats["median_minutes_to_accept"] is not None
    verify = app.test_cli_runner().invoke(args=["stats", "verify"])
    assert verify.exit_code == 0, verify.output


def test_points_are_awarded_once_and_the_first_reporter_keeps_the_credit(client, app, people):
    """Two riders report one hazard; the resolve is retried and raced; the leaderboard shows it."""
    import threading

    first_rider = _login(client, people["rider"])
    second = make_user(app, Role.RIDER, area_code=COMMUNITY, name="刘骑手", platform="eleme")
    second_rider = _login(client, second)
    worker = _login(client, people["workers"]["王网格"])
    lat, lon = people["posts"]["王网格"]
    client.put("/api/v1/me/duty", json={"on_duty": True, "lat": lat, "lon": lon}, headers=worker)

    def report(headers, seed):  # type: ignore[no-untyped-def]
        response = client.post("/api/v1/reports", headers=headers, content_type="multipart/form-data",
                               data={"category": "flying_lead_charging", "lat": str(IN_WEST[0]),
                                     "lon": str(IN_WEST[1]),
                                     "photos": [(io.BytesIO(jpeg_bytes(gps=IN_WEST, seed=seed)), "p.jpg")]})
        assert response.status_code == 201
        return response.get_json()

    original = report(first_rider, 1)
    duplicate = report(second_rider, 2)
    assert duplicate["duplicate_of"] == original["id"]
    assert client.post(f"/api/v1/reports/{original['id']}/accept", headers=worker).status_code == 200

    photo = jpeg_bytes(gps=IN_WEST, seed=3)
    codes: list[int] = []
    barrier = threading.Barrier(4)

    def resolve() -> None:
        own = app.test_client()
        barrier.wait()
        codes.append(own.post(f"/api/v1/reports/{original['id']}/resolve", headers=worker,
                              content_type="multipart/form-data",
                              data={"photo": [(io.BytesIO(photo), "after.jpg")]}).status_code)

    threads = [threading.Thread(target=resolve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200, 409, 409, 409]

    mine = client.get("/api/v1/me/points", headers=first_rider).get_json()
    theirs = client.get("/api/v1/me/points", headers=second_rider).get_json()
    assert mine["balance"] > theirs["balance"] >= 0
    reasons = sorted(e["reason"] for e in mine["entries"])
    assert len(reasons) == len(set(reasons))  # no reason awarded twice for the report

    secretary = make_user(app, Role.SECRETARY, area_code=COMMUNITY)
    from tests.factories import auth_headers

    board = client.get(f"/api/v1/leaderboards?scope=community&area={COMMUNITY}&period=all",
                       headers=auth_headers(app, secretary)).get_json()
    assert board["rows"][0]["rider"]["name"] == "张骑手" and board["rows"][0]["points"] == mine["balance"]
    csv = client.get(f"/api/v1/leaderboards/export.csv?scope=community&area={COMMUNITY}&period=all",
                     headers=auth_headers(app, secretary))
    assert csv.data.startswith("\ufeff".encode()) and "张骑手" in csv.data.decode("utf-8-sig")
    verify = app.test_cli_runner().invoke(args=["points", "verify"])
    assert verify.exit_code == 0, verify.output
    verify = app.test_cli_runner().invoke(args=["stats", "verify"])
    assert verify.exit_code == 0, verify.output
