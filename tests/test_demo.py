"""`flask seed demo`: a believable world, loaded once, in which a report finds a worker."""
from __future__ import annotations

import io

from tests.images import jpeg_bytes


def test_seed_demo_once_then_a_demo_rider_reports(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    assert "Demo1234" in first.output and "MCY2026A" in first.output
    again = runner.invoke(args=["seed", "demo"])
    assert "already loaded" in again.output

    located = client.get("/api/v1/areas/locate?lat=38.48&lon=106.22",
                         headers=_login(client, "13900000101"))
    names = [a["name"] for a in located.get_json()["areas"]]
    assert "满春园社区" in names and "金凤区" in names

    rider = _login(client, "13900000101")
    report = client.post("/api/v1/reports", headers=rider, content_type="multipart/form-data",
                         data={"category": "streetlight_out", "lat": "38.48", "lon": "106.22",
                               "photos": [(io.BytesIO(jpeg_bytes(gps=(38.48, 106.22))), "p.jpg")]})
    assert report.status_code == 201, report.get_json()
    assert report.get_json()["status"] == "assigned"  # a demo grid worker is on duty nearby

    joined = client.post("/api/v1/auth/register", json={
        "phone": "13800009999", "password": "abc12345", "name": "新骑手", "invite_code": "MCY2026A"})
    assert joined.get_json()["status"] == "active"


def _login(client, phone: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": "Demo1234"})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def test_demo_has_the_other_hats_in_manchunyuan(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    assert "already loaded" in runner.invoke(args=["seed", "demo"]).output  # once, not twice
    rider = _login(client, "13900000101")
    near = client.get("/api/v1/stations?lat=38.48&lon=106.222", headers=rider).get_json()["items"]
    assert len(near) == 2
    campaigns = client.get("/api/v1/campaigns", headers=rider).get_json()["items"]
    assert [c["title"] for c in campaigns] == ["居民医保缴费提醒"]
    mine = client.get("/api/v1/suggestions", headers=rider).get_json()["items"]
    assert len(mine) == 1 and mine[0]["status"] == "replied" and mine[0]["adopted"] is True
    points = client.get("/api/v1/me/points", headers=rider).get_json()
    assert any(entry["reason"] == "suggestion_adopted" for entry in points["entries"])
    secretary = _login(client, "13900000001")
    reach = client.get(f"/api/v1/campaigns/{campaigns[0]['id']}", headers=secretary).get_json()
    # Five deliveries by the two other riders on past days; 25 in one day is credited up to the cap.
    assert (reach["deliveries"], reach["leaflets"], reach["riders"]) == (5, 61, 2)
    assert reach["points"] == 56 and reach["grids_reached"] == 3
    assert campaigns[0]["today"] == {"count": 0, "credited": 0}  # the first rider's day is untouched
