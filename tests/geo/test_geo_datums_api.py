"""coord_sys on the map and presence endpoints: locate, import, area geometry, duty and location."""
from __future__ import annotations

import json

import pytest
from geopy.distance import geodesic

from app.auth.models import Role
from app.dispatch.models import WorkerPresence
from app.extensions import db
from app.geo.datums import from_wgs84, geometry_from_wgs84
from app.geo.models import Area
from tests.factories import auth_headers, make_user
from tests.mapdata import COMMUNITY, DISTRICT, GRID_WEST, load_small_map, small_map

# In the west grid, ~260 m from its eastern edge: GCJ-02 / BD-09 numbers of it lie in the east grid.
NEAR_BORDER = (38.480, 106.217)


def metres(a, b) -> float:
    return geodesic(a, b).m


@pytest.fixture
def mapped(app):
    load_small_map(app)


@pytest.fixture
def admin_headers(app):
    return auth_headers(app, make_user(app, Role.ADMIN))


@pytest.fixture
def worker(app, mapped):
    return make_user(app, Role.GRID_WORKER, area_code=COMMUNITY)


@pytest.mark.parametrize("coord_sys", ["gcj02", "bd09"])
def test_locate_converts_the_point_first(client, app, mapped, coord_sys):
    headers = auth_headers(app, make_user(app, Role.RIDER, area_code=COMMUNITY))
    lat, lon = from_wgs84(*NEAR_BORDER, coord_sys)
    misread = client.get(f"/api/v1/areas/locate?lat={lat}&lon={lon}", headers=headers).get_json()
    assert misread["areas"][0]["code"] != GRID_WEST and misread["coord_sys"] == "wgs84"
    located = client.get(f"/api/v1/areas/locate?lat={lat}&lon={lon}&coord_sys={coord_sys}",
                         headers=headers).get_json()
    assert located["areas"][0]["code"] == GRID_WEST and located["coord_sys"] == coord_sys


def test_duty_and_location_in_gcj02_are_stored_as_wgs84(client, app, worker):
    headers = auth_headers(app, worker)
    shown = from_wgs84(*NEAR_BORDER, "gcj02")
    answer = client.put("/api/v1/me/duty", headers=headers,
                        json={"on_duty": True, "lat": shown[0], "lon": shown[1], "coord_sys": "gcj02"})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["coord_sys"] == "gcj02" and (body["lat"], body["lon"]) == pytest.approx(shown, abs=1e-7)
    with app.app_context():
        row = db.session.get(WorkerPresence, worker.id)
        assert metres((row.lat, row.lon), NEAR_BORDER) < 0.05

    moved = from_wgs84(NEAR_BORDER[0] + 0.001, NEAR_BORDER[1], "bd09")
    answer = client.post("/api/v1/me/location", headers=headers,
                         json={"lat": moved[0], "lon": moved[1], "coord_sys": "bd09"})
    assert answer.status_code == 200 and answer.get_json()["coord_sys"] == "bd09"
    state = client.get("/api/v1/me/duty", headers=headers).get_json()
    assert state["coord_sys"] == "wgs84"
    assert metres((state["lat"], state["lon"]), (NEAR_BORDER[0] + 0.001, NEAR_BORDER[1])) < 0.05
    in_gcj = client.get("/api/v1/me/duty?coord_sys=gcj02", headers=headers).get_json()
    expected = from_wgs84(NEAR_BORDER[0] + 0.001, NEAR_BORDER[1], "gcj02")
    assert in_gcj["coord_sys"] == "gcj02" and metres((in_gcj["lat"], in_gcj["lon"]), expected) < 0.05


def test_off_duty_answer_has_no_point_to_convert(client, app, worker):
    answer = client.put("/api/v1/me/duty", headers=auth_headers(app, worker),
                        json={"on_duty": False, "coord_sys": "bd09"})
    assert answer.status_code == 200
    assert answer.get_json()["lat"] is None and answer.get_json()["coord_sys"] == "bd09"


def gcj_drawn_map() -> dict:
    """The small test map as someone would trace it on AMap: every vertex in GCJ-02."""
    collection = small_map()
    for feature in collection["features"]:
        feature["geometry"] = geometry_from_wgs84(feature["geometry"], "gcj02")
    return collection


def test_import_of_a_map_drawn_on_amap_stores_wgs84(client, app, admin_headers):
    response = client.post("/api/v1/areas/import?coord_sys=gcj02", headers=admin_headers,
                           data=json.dumps(gcj_drawn_map()), content_type="application/geo+json")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 5
    want = {f["properties"]["code"]: f["geometry"] for f in small_map()["features"]}
    with app.app_context():
        for code, geometry in want.items():
            stored = db.session.get(Area, code).geometry["coordinates"][0]
            for (lon, lat), (want_lon, want_lat) in zip(stored, geometry["coordinates"][0], strict=True):
                assert metres((lat, lon), (want_lat, want_lon)) < 0.05
    # Importing the same drawing again changes nothing.
    again = client.post("/api/v1/areas/import?coord_sys=gcj02", headers=admin_headers,
                        data=json.dumps(gcj_drawn_map()), content_type="application/geo+json")
    assert again.get_json() == {"created": 0, "updated": 0, "unchanged": 5}


def test_area_geometry_is_given_in_the_datum_asked_for(client, app, mapped):
    headers = auth_headers(app, make_user(app, Role.RIDER, area_code=COMMUNITY))
    plain = client.get(f"/api/v1/areas/{DISTRICT}", headers=headers).get_json()
    assert plain["coord_sys"] == "wgs84" and plain["bbox"] == [106.19, 38.45, 106.25, 38.51]
    drawn = client.get(f"/api/v1/areas/{DISTRICT}?coord_sys=gcj02", headers=headers).get_json()
    assert drawn["coord_sys"] == "gcj02"
    corner_lon, corner_lat = drawn["geometry"]["coordinates"][0][0]
    assert metres((corner_lat, corner_lon), from_wgs84(38.45, 106.19, "gcj02")) < 0.05
    assert drawn["bbox"][0] == pytest.approx(corner_lon) and drawn["bbox"][1] == pytest.approx(corner_lat)


@pytest.mark.parametrize("bad", ["wgs-84", "GCJ", "baidu", "null"])
def test_unknown_datum_is_400_everywhere_and_changes_nothing(client, app, admin_headers, worker, bad):
    headers = auth_headers(app, worker)
    assert client.put("/api/v1/me/duty", headers=headers,
                      json={"on_duty": True, "lat": 38.48, "lon": 106.215}).status_code == 200
    with app.app_context():
        before = db.session.get(WorkerPresence, worker.id).located_at
    calls = [
        client.put("/api/v1/me/duty", headers=headers,
                   json={"on_duty": False, "coord_sys": bad}),
        client.post("/api/v1/me/location", headers=headers,
                    json={"lat": 38.0, "lon": 106.0, "coord_sys": bad}),
        client.get(f"/api/v1/me/duty?coord_sys={bad}", headers=headers),
        client.get(f"/api/v1/areas/locate?lat=38.48&lon=106.215&coord_sys={bad}", headers=headers),
        client.get(f"/api/v1/areas/{DISTRICT}?coord_sys={bad}", headers=headers),
        client.post(f"/api/v1/areas/import?coord_sys={bad}", headers=admin_headers,
                    data=json.dumps(gcj_drawn_map()), content_type="application/geo+json"),
    ]
    for response in calls:
        assert response.status_code == 400, response.request.path
        assert response.get_json()["error"]["code"] == "validation_failed"
    with app.app_context():
        row = db.session.get(WorkerPresence, worker.id)
        assert row.on_duty and row.located_at == before and (row.lat, row.lon) == (38.48, 106.215)
        stored = db.session.get(Area, DISTRICT).geometry
        assert stored == small_map()["features"][0]["geometry"]


def test_the_import_command_takes_the_datum_too(app, tmp_path):
    drawn = tmp_path / "amap.geojson"
    drawn.write_text(json.dumps(gcj_drawn_map()), encoding="utf-8")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["areas", "import", str(drawn), "--coord-sys", "mars"])
    assert refused.exit_code != 0
    result = runner.invoke(args=["areas", "import", str(drawn), "--coord-sys", "gcj02"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        lon, lat = db.session.get(Area, DISTRICT).geometry["coordinates"][0][0]
        assert metres((lat, lon), (38.45, 106.19)) < 0.05
