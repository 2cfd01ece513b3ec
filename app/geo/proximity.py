"""Geodesic distances, and lon/lat boxes sure to hold every point within a given distance."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from geopy.distance import geodesic

from app.geo.geometry import BBox

# The smallest radius of curvature of the WGS84 ellipsoid (meridian at the equator, 6,335,439 m).
# Metres turned into angles with it overestimate every angle: a box is too big, never too small.
SMALLEST_EARTH_RADIUS_M = 6_335_000.0
SAFETY_FACTOR = 1.01
# A sphere of the mean radius is off the WGS84 geodesic by at most ~0.56 % (its radii of
# curvature span 6,335 to 6,400 km); 1 % makes the cheap distance a safe lower bound.
MEAN_EARTH_RADIUS_M = 6_371_008.8
SPHERE_ERROR = 0.01


@dataclass(frozen=True)
class Candidate:
    """A worker who may take a report: where they are and how many open reports they hold."""

    user_id: int
    lat: float
    lon: float
    caseload: int


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The WGS84 geodesic distance in metres (geopy)."""
    return geodesic((lat1, lon1), (lat2, lon2)).meters


def great_circle_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on the mean sphere: ~1 µs, within SPHERE_ERROR of the geodesic."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def circle_bbox(lat: float, lon: float, radius_m: float) -> BBox | None:
    """A box holding every point within radius_m of (lat, lon); None when only the globe does."""
    angle = radius_m / SMALLEST_EARTH_RADIUS_M * SAFETY_FACTOR
    if angle >= math.pi / 2:
        return None
    dlat = math.degrees(angle)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90.0 or max_lat >= 90.0:
        # The circle holds a pole: every longitude is inside.
        return BBox(-180.0, max(min_lat, -90.0), 180.0, min(max_lat, 90.0))
    # Widest longitude of a small circle on the sphere; the pole test above keeps asin's input < 1.
    dlon = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(lat))))
    if lon - dlon < -180.0 or lon + dlon > 180.0:
        # Across the antimeridian: every longitude rather than two boxes (rare, still correct).
        return BBox(-180.0, min_lat, 180.0, max_lat)
    return BBox(lon - dlon, min_lat, lon + dlon, max_lat)


def rank_key(distance_m: float, candidate: Candidate) -> tuple[float, int, int]:
    """Nearer first; at equal distance the smaller caseload, then the smaller id (determinism)."""
    return (distance_m, candidate.caseload, candidate.user_id)


def nearest_by_scan(
    lat: float, lon: float, candidates: Iterable[Candidate]
) -> tuple[Candidate, float] | None:
    """The nearest candidate by exact geodesic distance over all of them (the reference answer)."""
    best: tuple[tuple[float, int, int], Candidate, float] | None = None
    for candidate in candidates:
        distance = geodesic_m(lat, lon, candidate.lat, candidate.lon)
        key = rank_key(distance, candidate)
        if best is None or key < best[0]:
            best = (key, candidate, distance)
    return None if best is None else (best[1], best[2])


def nearest_pruned(
    lat: float, lon: float, candidates: Iterable[Candidate]
) -> tuple[Candidate, float] | None:
    """The same answer as nearest_by_scan, with geodesics only where they can still win.

    Candidates are visited by cheap sphere distance; once even the most generous lower bound of
    the next one exceeds the best geodesic so far, no later one can beat (or tie) it.
    """
    by_sphere = sorted(
        ((great_circle_m(lat, lon, c.lat, c.lon), c) for c in candidates), key=lambda item: item[0]
    )
    best: tuple[tuple[float, int, int], Candidate, float] | None = None
    for sphere_m, candidate in by_sphere:
        if best is not None and sphere_m * (1 - SPHERE_ERROR) > best[2]:
            break
        distance = geodesic_m(lat, lon, candidate.lat, candidate.lon)
        key = rank_key(distance, candidate)
        if best is None or key < best[0]:
            best = (key, candidate, distance)
    return None if best is None else (best[1], best[2])
