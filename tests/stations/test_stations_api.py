"""红色驿站 through HTTP: secretaries add their community's stations; anyone signed in finds the nearest."""
from __future__ import annotations

import pytest

from app.auth.models import Role
from app.extensions import db
from app.geo.datums import from_wgs84
from app.stations.models import Station
from tests.factories import auth_headers, make_community, make_user

MANCHUNYUAN = "640104001001"
OTHER = "640104001002"


@pytest.fixture
def desk(app):
    make_community(app, MANCHUNYUAN)
    make_community(app, OTHER)
    secretary = make_user(app, Role.SECRETARY, area_code=MANCHUNYUAN)
    rider = make_user(app, Role.RIDER, area_code=MANCHUNYUAN)
    admin = make_user(app, Role.ADMIN)
    return {"secretary": auth_headers(app, secretary), "rider": auth_headers(app, rider),
            "admin": auth_headers(app, admin)}


def _station(**over):
    return {"name": "满春园红色驿站", "lat": 38.4800, "lon": 106.2300, "hours": "8:00-22:00",
            "services": ["饮水", "充电", "休息"], **over}


def _count(app) -> int:
    with app.app_context():
        return db.session.query(Station).count()


def test_secretary_adds_a_station_of_her_community(client, desk):
    response = client.post("/api/v1/stations", json=_station(), headers=desk["secretary"])
    assert response.status_code == 201, response.json
    assert response.json["area_code"] == MANCHUNYUAN
    assert response.json["services"] == ["饮水", "充电", "休息"]


@pytest.mark.parametrize("bad", [
    {"name": ""}, {"name": "驿" * 61}, {"hours": "x" * 61}, {"services": []}, {"services": ["按摩"]},
    {"lat": 91}, {"lon": "东边"}, {"coord_sys": "mars"},
])
def test_bad_station_is_refused_and_nothing_written(app, client, desk, bad):
    response = client.post("/api/v1/stations", json=_station(**bad), headers=desk["secretary"])
    assert response.status_code in (400, 422)
    assert _count(app) == 0


def test_secretary_cannot_add_to_another_community(app, client, desk):
    response = client.post("/api/v1/stations", json=_station(area_code=OTHER), headers=desk["secretary"])
    assert response.status_code == 403
    assert response.json["error"]["code"] == "outside_your_area"
    assert _count(app) == 0


def test_admin_names_the_community(app, client, desk):
    assert client.post("/api/v1/stations", json=_station(), headers=desk["admin"]).status_code == 400
    response = client.post("/api/v1/stations", json=_station(area_code=OTHER), headers=desk["admin"])
    assert response.status_code == 201
    assert response.json["area_code"] == OTHER


def test_a_rider_cannot_add_a_station(app, client, desk):
    assert client.post("/api/v1/stations", json=_station(), headers=desk["rider"]).status_code == 403
    assert _count(app) == 0


def test_nearest_first_with_distance(client, desk):
    for name, lat in (("远的", 38.50), ("近的", 38.481), ("中间", 38.49)):
        client.post("/api/v1/stations", json=_station(name=name, lat=lat), headers=desk["secretary"])
    response = client.get("/api/v1/stations", query_string={"lat": 38.48, "lon": 106.23},
                          headers=desk["rider"])
    assert response.status_code == 200
    items = response.json["items"]
    assert [item["name"] for item in items] == ["近的", "中间", "远的"]
    assert 100 < items[0]["distance_m"] < 120
    assert items[0]["distance_m"] < items[1]["distance_m"] < items[2]["distance_m"]


def test_near_point_in_gcj02_is_converted(client, desk):
    client.post("/api/v1/stations", json=_station(), headers=desk["secretary"])
    lat, lon = from_wgs84(38.48, 106.23, "gcj02")
    response = client.get("/api/v1/stations", query_string={"lat": lat, "lon": lon, "coord_sys": "gcj02"},
                          headers=desk["rider"])
    assert response.json["items"][0]["distance_m"] < 5


def test_near_needs_a_point_and_a_login(client, desk):
    assert client.get("/api/v1/stations", headers=desk["rider"]).status_code in (400, 422)
    assert client.get("/api/v1/stations", query_string={"lat": 38.48, "lon": 106.23}).status_code == 401


def _added(client, desk, who="secretary", **over) -> dict:
    response = client.post("/api/v1/stations", json=_station(**over), headers=desk[who])
    assert response.status_code == 201, response.json
    return response.json


def test_secretary_changes_her_station(app, client, desk):
    station = _added(client, desk)
    response = client.patch(f"/api/v1/stations/{station['id']}", headers=desk["secretary"],
                            json={"hours": "全天", "services": ["饮水", "电动车充电", "饮水"]})
    assert response.status_code == 200, response.json
    assert (response.json["hours"], response.json["services"]) == ("全天", ["饮水", "电动车充电"])
    assert response.json["name"] == "满春园红色驿站" and response.json["lat"] == 38.48  # untouched
    with app.app_context():
        assert db.session.get(Station, station["id"]).hours == "全天"


def test_a_moved_station_given_in_gcj02_is_stored_in_wgs84(app, client, desk):
    station = _added(client, desk)
    lat, lon = from_wgs84(38.49, 106.24, "gcj02")
    client.patch(f"/api/v1/stations/{station['id']}", headers=desk["secretary"],
                 json={"lat": lat, "lon": lon, "coord_sys": "gcj02"})
    with app.app_context():
        moved = db.session.get(Station, station["id"])
        assert abs(moved.lat - 38.49) < 1e-5 and abs(moved.lon - 106.24) < 1e-5


@pytest.mark.parametrize("bad", [
    {"name": ""}, {"hours": "x" * 61}, {"services": []}, {"services": ["按摩"]}, {"lat": 38.5},
    {"lat": 91, "lon": 106.2}, {"lon": "东边", "lat": 38.4},
])
def test_a_bad_change_is_refused_and_changes_nothing(app, client, desk, bad):
    station = _added(client, desk)
    response = client.patch(f"/api/v1/stations/{station['id']}", json=bad, headers=desk["secretary"])
    assert response.status_code == 400 and response.json["error"]["message"]
    with app.app_context():
        kept = db.session.get(Station, station["id"])
        assert (kept.name, kept.hours, kept.services, kept.lat) == ("满春园红色驿站", "8:00-22:00",
                                                                    ["饮水", "充电", "休息"], 38.48)


def test_only_the_communitys_secretary_or_an_admin_changes_a_station(app, client, desk):
    other = _added(client, desk, who="admin", area_code=OTHER)
    assert client.patch(f"/api/v1/stations/{other['id']}", json={"hours": "全天"},
                        headers=desk["secretary"]).status_code == 404
    assert client.patch(f"/api/v1/stations/{other['id']}", json={"hours": "全天"},
                        headers=desk["rider"]).status_code == 403
    assert client.patch(f"/api/v1/stations/{other['id']}", json={"hours": "全天"},
                        headers=desk["admin"]).status_code == 200


def test_a_closed_station_is_removed_and_riders_no_longer_find_it(app, client, desk):
    closed = _added(client, desk)
    kept = _added(client, desk, name="福州街爱心驿站", lat=38.4810)
    assert client.delete(f"/api/v1/stations/{closed['id']}", headers=desk["secretary"]).status_code == 204
    near = client.get("/api/v1/stations?lat=38.48&lon=106.23", headers=desk["rider"]).json["items"]
    assert [s["id"] for s in near] == [kept["id"]]
    again = client.delete(f"/api/v1/stations/{closed['id']}", headers=desk["secretary"])
    assert again.status_code == 404 and again.json["error"]["code"] == "station_not_found"


def test_only_the_communitys_secretary_or_an_admin_removes_a_station(app, client, desk):
    other = _added(client, desk, who="admin", area_code=OTHER)
    assert client.delete(f"/api/v1/stations/{other['id']}", headers=desk["secretary"]).status_code == 404
    assert client.delete(f"/api/v1/stations/{other['id']}", headers=desk["rider"]).status_code == 403
    assert _count(app) == 1
    assert client.delete(f"/api/v1/stations/{other['id']}", headers=desk["admin"]).status_code == 204
    assert _count(app) == 0
