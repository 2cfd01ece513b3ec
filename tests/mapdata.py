"""A small real map for tests: one district, street, community, two grids side by side."""
from __future__ import annotations

from typing import Any

from flask import Flask

# Around 满春园社区, Yinchuan: 38.48 N, 106.22 E. Each grid is ~0.01° wide (~870 m east-west).
CENTER = (38.480, 106.220)
DISTRICT, STREET, COMMUNITY = "640106", "640106001", "640106001001"
GRID_WEST, GRID_EAST = "640106001001001", "640106001001002"
IN_WEST = (38.480, 106.215)
IN_EAST = (38.480, 106.225)
OUTSIDE = (36.000, 100.000)


def _square(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict[str, Any]:
    ring = [[min_lon, min_lat], [max_lon, min_lat], [max_lon, max_lat], [min_lon, max_lat],
            [min_lon, min_lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _feature(code: str, name: str, level: str, parent: str | None, geometry: dict[str, Any]):
    return {"type": "Feature", "geometry": geometry,
            "properties": {"code": code, "name": name, "level": level, "parent_code": parent}}


def small_map() -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [
        _feature(DISTRICT, "金凤区", "district", None, _square(106.19, 38.45, 106.25, 38.51)),
        _feature(STREET, "满城北街街道", "street", DISTRICT, _square(106.20, 38.47, 106.24, 38.49)),
        _feature(COMMUNITY, "满春园社区", "community", STREET, _square(106.21, 38.475, 106.23, 38.485)),
        _feature(GRID_WEST, "满春园一网格", "grid", COMMUNITY, _square(106.21, 38.475, 106.22, 38.485)),
        _feature(GRID_EAST, "满春园二网格", "grid", COMMUNITY, _square(106.22, 38.475, 106.23, 38.485)),
    ]}


def load_small_map(app: Flask) -> None:
    from app.geo.service import import_areas

    with app.app_context():
        import_areas(source=small_map())


# A wider map: a second community in the same street, and a second district with one community.
OTHER_COMMUNITY, OTHER_COMMUNITY_GRID = "640106001002", "640106001002001"
OTHER_DISTRICT, OTHER_DISTRICT_STREET = "640105", "640105001"
FAR_COMMUNITY, FAR_COMMUNITY_GRID = "640105001001", "640105001001001"
IN_OTHER_COMMUNITY = (38.480, 106.235)
IN_FAR_COMMUNITY = (38.480, 106.320)


def wider_map() -> dict[str, Any]:
    beside = _square(106.23, 38.475, 106.24, 38.485)
    far = _square(106.31, 38.47, 106.33, 38.49)
    return {"type": "FeatureCollection", "features": [
        *small_map()["features"],
        _feature(OTHER_COMMUNITY, "春园社区", "community", STREET, beside),
        _feature(OTHER_COMMUNITY_GRID, "春园一网格", "grid", OTHER_COMMUNITY, beside),
        _feature(OTHER_DISTRICT, "兴庆区", "district", None, _square(106.30, 38.45, 106.36, 38.51)),
        _feature(OTHER_DISTRICT_STREET, "兴庆街道", "street", OTHER_DISTRICT, _square(106.30, 38.45, 106.36, 38.51)),
        _feature(FAR_COMMUNITY, "兴庆社区", "community", OTHER_DISTRICT_STREET, far),
        _feature(FAR_COMMUNITY_GRID, "兴庆一网格", "grid", FAR_COMMUNITY, far),
    ]}


def load_wider_map(app: Flask) -> None:
    from app.geo.service import import_areas

    with app.app_context():
        import_areas(source=wider_map())
