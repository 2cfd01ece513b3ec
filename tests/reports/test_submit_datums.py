"""Reports sent from Chinese map SDKs (GCJ-02, BD-09) land, route and screen as where the rider stood."""
from __future__ import annotations

import io
from typing import Any

import pytest
from geopy.distance import geodesic

from app.auth.models import Role
from app.geo.datums import from_wgs84
from app.geo.service import import_areas
from tests.factories import auth_headers, make_user
from tests.reports.conftest import count_reports, phone_photo

# Where the rider and the hazard really are (WGS-84), across Ningxia.
NINGXIA = {
    "银川": (38.4872, 106.2309), "石嘴山": (39.0133, 106.3765), "吴忠": (37.9975, 106.1987),
    "固原": (36.0160, 106.2425), "中卫": (37.5149, 105.1896),
}
# The worker who should get it stands this far north of the hazard.
NEAR_WORKER_M = 80


def _square(lat: float, lon: float, half: float, *, west: float | None = None,
            east: float | None = None) -> dict[str, Any]:
    w, e = west if west is not None else lon - half, east if east is not None else lon + half
    s, n = lat - half, lat + half
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def city_map(lat: float, lon: float) -> tuple[dict[str, Any], dict[str, str]]:
    """District → street → community → grid → two micro-grids split ~175 m east of the hazard, so a
    point read in the wrong datum (300–1,200 m east of it) falls in the eastern micro-grid."""
    codes = {"district": "640100", "street": "640100001", "community": "640100001001",
             "grid": "640100001001001", "west": "640100001001001001", "east": "640100001001001002"}
    split = lon + 0.002
    shapes = [("district", None, _square(lat, lon, 0.05)), ("street", "district", _square(lat, lon, 0.04)),
              ("community", "street", _square(lat, lon, 0.03)), ("grid", "community", _square(lat, lon, 0.02)),
              ("west", "grid", _square(lat, lon, 0.02, east=split)),
              ("east", "grid", _square(lat, lon, 0.02, west=split))]
    levels = {"district": "district", "street": "street", "community": "community", "grid": "grid",
              "west": "micro_grid", "east": "micro_grid"}
    features = [{"type": "Feature", "geometry": shape,
                 "properties": {"code": codes[key], "name": f"{key}区域", "level": levels[key],
                                "parent_code": codes[parent] if parent else None}}
                for key, parent, shape in shapes]
    return {"type": "FeatureCollection", "features": features}, codes


@pytest.fixture
def world(app, client):
    """Build the map and people around one city's hazard."""

    def _build(city: str, coord_sys: str) -> dict[str, Any]:
        lat, lon = NINGXIA[city]
        collection, codes = city_map(lat, lon)
        with app.app_context():
            import_areas(source=collection)
        rider = make_user(app, Role.RIDER, area_code=codes["community"], name="王骑手")
        near = make_user(app, Role.GRID_WORKER, area_code=codes["community"], name="近网格员")
        decoy = make_user(app, Role.GRID_WORKER, area_code=codes["community"], name="诱饵网格员")
        near_at = (lat + NEAR_WORKER_M / 111_000, lon)
        # The near worker's phone runs Tencent's SDK (GCJ-02); the decoy stands where the report's
        # numbers would be if they were misread as WGS-84.
        shown = from_wgs84(*near_at, "gcj02")
        duty = client.put("/api/v1/me/duty", headers=auth_headers(app, near),
                          json={"on_duty": True, "lat": shown[0], "lon": shown[1], "coord_sys": "gcj02"})
        assert duty.status_code == 200, duty.get_json()
        misread = from_wgs84(lat, lon, coord_sys)
        duty = client.put("/api/v1/me/duty", headers=auth_headers(app, decoy),
                          json={"on_duty": True, "lat": misread[0], "lon": misread[1]})
        assert duty.status_code == 200, duty.get_json()
        return {"codes": codes, "rider": rider, "near": near, "decoy": decoy, "near_at": near_at,
                "hazard": (lat, lon)}

    return _build


def post_report(client, headers, *, lat: float, lon: float, exif_at: tuple[float, float],
                **extra: str):
    form = {"category": "flying_lead_charging", "lat": repr(lat), "lon": repr(lon),
            "photos": [(io.BytesIO(phone_photo(at=exif_at)), "IMG_0001.jpg")], **extra}
    return client.post("/api/v1/reports", data=form, content_type="multipart/form-data",
                       headers=headers)


@pytest.mark.parametrize("city", sorted(NINGXIA))
@pytest.mark.parametrize("coord_sys", ["gcj02", "bd09"])
def test_mini_program_report_lands_routes_and_screens_where_the_rider_stood(client, app, world, city,
                                                                           coord_sys):
    w = world(city, coord_sys)
    sent = from_wgs84(*w["hazard"], coord_sys)  # what WeChat / Baidu hands the app
    headers = auth_headers(app, w["rider"])
    response = post_report(client, headers, lat=sent[0], lon=sent[1], exif_at=w["hazard"],
                           coord_sys=coord_sys)
    assert response.status_code == 201, response.get_json()
    report = response.get_json()

    assert report["area"][0]["code"] == w["codes"]["west"]
    assert report["assigned_to"]["id"] == w["near"].id
    assert report["distance_m"] == pytest.approx(geodesic(w["hazard"], w["near_at"]).m, abs=1.0)
    assert "exif_far_from_claim" not in report["flags"]
    # The answer speaks the datum it was asked in: the app draws it where the rider tapped.
    assert report["coord_sys"] == coord_sys
    assert (report["lat"], report["lon"]) == pytest.approx(sent, abs=1e-7)

    stored = client.get(f"/api/v1/reports/{report['id']}", headers=headers).get_json()
    assert stored["coord_sys"] == "wgs84"
    assert geodesic((stored["lat"], stored["lon"]), w["hazard"]).m < 1.0
    in_baidu = client.get(f"/api/v1/reports/{report['id']}?coord_sys=bd09", headers=headers).get_json()
    assert in_baidu["coord_sys"] == "bd09"
    assert geodesic((in_baidu["lat"], in_baidu["lon"]), from_wgs84(*w["hazard"], "bd09")).m < 1.0
    listed = client.get("/api/v1/reports?coord_sys=gcj02", headers=headers).get_json()["items"]
    assert geodesic((listed[0]["lat"], listed[0]["lon"]), from_wgs84(*w["hazard"], "gcj02")).m < 1.0


def test_wgs84_stays_the_default(client, app, world):
    w = world("银川", "gcj02")
    response = post_report(client, auth_headers(app, w["rider"]), lat=w["hazard"][0],
                           lon=w["hazard"][1], exif_at=w["hazard"])
    report = response.get_json()
    assert response.status_code == 201 and report["coord_sys"] == "wgs84"
    assert report["area"][0]["code"] == w["codes"]["west"] and report["flags"] == []
    assert (report["lat"], report["lon"]) == pytest.approx(w["hazard"], abs=1e-9)


@pytest.mark.parametrize("bad", ["WGS84x", "gps", "null", "bd-09", "gcj02 "])
def test_unknown_datum_is_refused_and_nothing_is_created(client, app, world, bad):
    w = world("银川", "gcj02")
    response = post_report(client, auth_headers(app, w["rider"]), lat=w["hazard"][0],
                           lon=w["hazard"][1], exif_at=w["hazard"], coord_sys=bad)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and "coord_sys" in error["details"]["fields"]
    assert count_reports(app) == 0


def test_reading_with_an_unknown_datum_is_refused(client, app, world):
    w = world("银川", "gcj02")
    headers = auth_headers(app, w["rider"])
    report = post_report(client, headers, lat=w["hazard"][0], lon=w["hazard"][1],
                         exif_at=w["hazard"]).get_json()
    for path in (f"/api/v1/reports/{report['id']}?coord_sys=mars", "/api/v1/reports?coord_sys=mars"):
        response = client.get(path, headers=headers)
        assert response.status_code == 400, path
        assert response.get_json()["error"]["code"] == "validation_failed"
