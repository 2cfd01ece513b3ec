"""Boxes that must hold a geodesic circle, and the nearest-worker ranking rule — no database."""

from __future__ import annotations

import random

import pytest
from geopy.distance import geodesic

from app.geo.proximity import (
    SPHERE_ERROR,
    Candidate,
    circle_bbox,
    geodesic_m,
    great_circle_m,
    nearest_by_scan,
    nearest_pruned,
)


def inside(box, lat, lon):
    return box.min_lat <= lat <= box.max_lat and box.min_lon <= lon <= box.max_lon


@pytest.mark.parametrize("seed", range(5))
def test_box_holds_every_point_of_the_circle(seed):
    rng = random.Random(seed)
    for _ in range(400):
        lat, lon = rng.uniform(-85, 85), rng.uniform(-179, 179)
        radius = 10 ** rng.uniform(0, 6.5)  # 1 m .. 3,000 km
        box = circle_bbox(lat, lon, radius)
        for bearing in range(0, 360, 15):
            edge = geodesic(meters=radius).destination((lat, lon), bearing)
            assert box is None or inside(box, edge.latitude, edge.longitude), (lat, lon, radius)


def test_box_is_tight_enough_to_be_useful():
    box = circle_bbox(38.48, 106.22, 1000)
    height_m = geodesic((box.min_lat, 106.22), (box.max_lat, 106.22)).meters
    assert 2000 < height_m < 2100


def test_circle_holding_a_pole_spans_every_longitude():
    box = circle_bbox(89.9, 10.0, 50_000)
    assert (box.min_lon, box.max_lon, box.max_lat) == (-180.0, 180.0, 90.0)


def test_circle_across_the_antimeridian_spans_every_longitude():
    box = circle_bbox(0.0, 179.99, 5_000)
    assert (box.min_lon, box.max_lon) == (-180.0, 180.0)


def test_half_the_globe_needs_no_box():
    assert circle_bbox(0.0, 0.0, 12_000_000) is None


def test_nearest_by_scan_prefers_distance_then_caseload_then_id():
    here = (38.48, 106.22)
    near = Candidate(user_id=9, lat=38.481, lon=106.22, caseload=5)
    far = Candidate(user_id=1, lat=38.49, lon=106.22, caseload=0)
    assert nearest_by_scan(*here, [far, near])[0] == near
    same_spot_busier = Candidate(user_id=2, lat=38.481, lon=106.22, caseload=6)
    same_spot_idle = Candidate(user_id=3, lat=38.481, lon=106.22, caseload=1)
    same_spot_idle_later = Candidate(user_id=4, lat=38.481, lon=106.22, caseload=1)
    pool = [same_spot_idle_later, near, same_spot_busier, same_spot_idle]
    best, distance = nearest_by_scan(*here, pool)
    assert best == same_spot_idle
    assert distance == pytest.approx(geodesic_m(*here, 38.481, 106.22))
    assert 100 < distance < 120


def test_nearest_by_scan_of_nobody_is_none():
    assert nearest_by_scan(38.0, 106.0, []) is None


@pytest.mark.parametrize("seed", range(3))
def test_pruned_search_gives_exactly_the_scan_answer(seed):
    rng = random.Random(seed)
    for _ in range(200):
        lat, lon = rng.uniform(-55, 55), rng.uniform(-140, 140)
        spread = rng.choice([0.001, 0.01, 1.0, 30.0])
        # Few distinct spots and caseloads, so that exact ties happen.
        spots = [
            (lat + rng.uniform(-spread, spread), lon + rng.uniform(-spread, spread))
            for _ in range(5)
        ]
        pool = [Candidate(i, *rng.choice(spots), rng.randint(0, 2)) for i in range(30)]
        assert nearest_pruned(lat, lon, pool) == nearest_by_scan(lat, lon, pool)


def test_sphere_distance_stays_within_its_error_bound():
    rng = random.Random(7)
    for _ in range(2000):
        a = (rng.uniform(-89, 89), rng.uniform(-180, 180))
        b = (rng.uniform(-89, 89), rng.uniform(-180, 180))
        exact = geodesic_m(*a, *b)
        assert abs(great_circle_m(*a, *b) - exact) <= exact * SPHERE_ERROR
