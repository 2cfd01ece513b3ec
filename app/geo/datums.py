"""Chinese map datums: points and geometries between WGS-84 (what is stored) and GCJ-02 / BD-09."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

import prcoords


class CoordSys(StrEnum):
    """The datum a point is given or wanted in."""

    WGS84 = "wgs84"  # GNSS, browsers' geolocation, EXIF: what GridSnap stores and compares
    GCJ02 = "gcj02"  # WeChat wx.getLocation(type: gcj02), AMap, Tencent Maps
    BD09 = "bd09"  # Baidu Maps


COORD_SYSTEMS = tuple(c.value for c in CoordSys)

# Exact inverses (fixed-point iteration, ~1 mm here); the one-step inverse is up to ~1 m off in Ningxia.
_TO_WGS84 = {CoordSys.GCJ02: prcoords.gcj_wgs_bored, CoordSys.BD09: prcoords.bd_wgs_bored}
_FROM_WGS84 = {CoordSys.GCJ02: prcoords.wgs_gcj, CoordSys.BD09: prcoords.wgs_bd}


def in_mainland(lat: float, lon: float) -> bool:
    """Whether the datums' offsets apply here (the transform's own box around China)."""
    return prcoords.sanity_in_china_p(prcoords.Coords(lat, lon))


def to_wgs84(lat: float, lon: float, coord_sys: str) -> tuple[float, float]:
    """A point given in `coord_sys` as WGS-84; points outside mainland China are not shifted."""
    convert = _TO_WGS84.get(CoordSys(coord_sys))
    if convert is None or not in_mainland(lat, lon):
        return lat, lon
    # check_china=False: this module decides (prcoords would only warn and return as is).
    point = convert(prcoords.Coords(lat, lon), False)
    return point.lat, point.lon


def from_wgs84(lat: float, lon: float, coord_sys: str) -> tuple[float, float]:
    """A WGS-84 point as `coord_sys` shows it; points outside mainland China are not shifted."""
    convert = _FROM_WGS84.get(CoordSys(coord_sys))
    if convert is None or not in_mainland(lat, lon):
        return lat, lon
    point = convert(prcoords.Coords(lat, lon), False)
    return point.lat, point.lon


def geometry_to_wgs84(geometry: Mapping[str, Any], coord_sys: str) -> dict[str, Any]:
    """A GeoJSON geometry (lon/lat positions) drawn in `coord_sys`, as WGS-84."""
    return _map_positions(geometry, lambda lat, lon: to_wgs84(lat, lon, coord_sys))


def geometry_from_wgs84(geometry: Mapping[str, Any], coord_sys: str) -> dict[str, Any]:
    """A stored WGS-84 GeoJSON geometry, in `coord_sys` (for drawing on a Chinese map)."""
    return _map_positions(geometry, lambda lat, lon: from_wgs84(lat, lon, coord_sys))


def point_fields_from_wgs84(data: dict[str, Any], coord_sys: str) -> dict[str, Any]:
    """A response dict whose `lat`/`lon` (if set) are WGS-84, as `coord_sys`, saying which."""
    if data.get("lat") is not None and data.get("lon") is not None:
        data["lat"], data["lon"] = from_wgs84(data["lat"], data["lon"], coord_sys)
    data["coord_sys"] = str(coord_sys)
    return data


def _map_positions(geometry: Mapping[str, Any], convert: Any) -> dict[str, Any]:
    if not isinstance(geometry, Mapping) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        return dict(geometry) if isinstance(geometry, Mapping) else geometry
    if "coordinates" not in geometry:
        return dict(geometry)
    return {**geometry, "coordinates": _walk(geometry.get("coordinates"), convert)}


def _walk(node: Any, convert: Any) -> Any:
    """Nested lists of [lon, lat(, ...)] positions, converted; anything malformed is left for the
    map's own validation to refuse."""
    if not isinstance(node, list):
        return node
    if len(node) >= 2 and all(_is_number(v) for v in node[:2]):
        lat, lon = convert(float(node[1]), float(node[0]))
        return [lon, lat, *node[2:]]
    return [_walk(child, convert) for child in node]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
