"""Datum conversion: published reference vectors, exact inverses across Ningxia, nothing shifted abroad."""
from __future__ import annotations

import pytest
from geopy.distance import geodesic

from app.geo import datums

# Public reference vectors of the standard WGS-84 → GCJ-02 transform (Shanghai, Shenzhen, Beijing).
GCJ_VECTORS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
]
NINGXIA = {
    "银川": (38.4872, 106.2309), "石嘴山": (39.0133, 106.3765), "吴忠": (37.9975, 106.1987),
    "固原": (36.0160, 106.2425), "中卫": (37.5149, 105.1896), "同心": (36.9800, 105.9140),
}
ABROAD = {"Paris": (48.8566, 2.3522), "Denver": (39.7392, -104.9903), "Tokyo": (35.6762, 139.6503),
          "Sydney": (-33.8688, 151.2093)}


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return geodesic(a, b).m


@pytest.mark.parametrize("wgs, gcj", GCJ_VECTORS)
def test_forward_transform_matches_published_vectors(wgs, gcj):
    assert datums.from_wgs84(*wgs, "gcj02") == pytest.approx(gcj, abs=1e-9)
    assert metres(datums.to_wgs84(*gcj, "gcj02"), wgs) < 0.05


@pytest.mark.parametrize("city", sorted(NINGXIA))
@pytest.mark.parametrize("coord_sys", ["gcj02", "bd09"])
def test_inverse_is_within_a_centimetre_across_ningxia(city, coord_sys):
    wgs = NINGXIA[city]
    shown = datums.from_wgs84(*wgs, coord_sys)
    assert metres(datums.to_wgs84(*shown, coord_sys), wgs) < 0.01


@pytest.mark.parametrize("city", sorted(NINGXIA))
def test_offsets_across_ningxia_are_the_known_size(city):
    wgs = NINGXIA[city]
    assert 240 < metres(datums.from_wgs84(*wgs, "gcj02"), wgs) < 480
    assert 1_000 < metres(datums.from_wgs84(*wgs, "bd09"), wgs) < 1_300


@pytest.mark.parametrize("place", sorted(ABROAD))
@pytest.mark.parametrize("coord_sys", ["wgs84", "gcj02", "bd09"])
def test_points_outside_mainland_china_are_not_shifted(place, coord_sys):
    point = ABROAD[place]
    assert datums.to_wgs84(*point, coord_sys) == point
    assert datums.from_wgs84(*point, coord_sys) == point


def test_wgs84_is_left_as_it_is():
    assert datums.to_wgs84(*NINGXIA["银川"], "wgs84") == NINGXIA["银川"]


def test_unknown_datum_is_refused():
    with pytest.raises(ValueError):
        datums.to_wgs84(38.0, 106.0, "wgs-84")


def test_polygon_round_trips_and_keeps_extra_members():
    ring = [[106.21, 38.475], [106.23, 38.475], [106.23, 38.485, 1111.0], [106.21, 38.475]]
    polygon = {"type": "Polygon", "coordinates": [ring], "note": "kept"}
    shown = datums.geometry_from_wgs84(polygon, "gcj02")
    assert shown["note"] == "kept" and shown["coordinates"][0][2][2] == 1111.0
    assert shown["coordinates"][0][0] != ring[0]
    back = datums.geometry_to_wgs84(shown, "gcj02")
    for got, want in zip(back["coordinates"][0], ring, strict=True):
        assert metres((got[1], got[0]), (want[1], want[0])) < 0.01


def test_multipolygon_positions_are_converted():
    square = [[[106.0, 38.0], [106.1, 38.0], [106.1, 38.1], [106.0, 38.0]]]
    shown = datums.geometry_from_wgs84({"type": "MultiPolygon", "coordinates": [square]}, "bd09")
    lon, lat = shown["coordinates"][0][0][0]
    assert metres((lat, lon), (38.0, 106.0)) > 1_000


@pytest.mark.parametrize("geometry", [
    {"type": "Polygon", "coordinates": "nonsense"},
    {"type": "Polygon", "coordinates": [[["a", "b"], [True, False]]]},
    {"type": "Point", "coordinates": [106.0, 38.0]},
    {"type": "Polygon"},
])
def test_malformed_geometry_is_left_for_validation(geometry):
    assert datums.geometry_to_wgs84(geometry, "gcj02") == geometry
