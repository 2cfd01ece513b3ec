"""A believable demo grid map: Yinchuan's 金凤区 and Tongxin's 豫海镇, down to micro-grids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LonLat = tuple[float, float]
# Corners in order south-west, south-east, north-east, north-west, as (lon, lat).
Quad = tuple[LonLat, LonLat, LonLat, LonLat]

# 7 decimals ≈ 1 cm: enough for a map, and equal inputs round to equal outputs so shared
# borders stay exactly shared.
PRECISION = 7


@dataclass(frozen=True)
class WorkerPost:
    """Where the demo seed places one grid worker: their community, grid and a point inside it."""

    community_code: str
    grid_code: str
    lat: float
    lon: float


def split_quad(quad: Quad, columns: int, rows: int) -> list[Quad]:
    """Cut a convex quadrilateral into columns × rows cells that share their borders exactly."""
    south_west, south_east, north_east, north_west = quad

    def at(i: int, j: int) -> LonLat:
        u, v = i / columns, j / rows
        weights = ((1 - u) * (1 - v), u * (1 - v), u * v, (1 - u) * v)
        corners = (south_west, south_east, north_east, north_west)
        lon = sum(w * corner[0] for w, corner in zip(weights, corners, strict=True))
        lat = sum(w * corner[1] for w, corner in zip(weights, corners, strict=True))
        return (round(lon, PRECISION), round(lat, PRECISION))

    return [
        (at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1))
        for j in range(rows)
        for i in range(columns)
    ]


def quad_center(quad: Quad) -> LonLat:
    """The mean of a quad's corners (inside it, since the quads here are convex)."""
    return (
        round(sum(corner[0] for corner in quad) / 4, PRECISION),
        round(sum(corner[1] for corner in quad) / 4, PRECISION),
    )


def feature(
    code: str, name: str, level: str, parent_code: str | None, quad: Quad
) -> dict[str, Any]:
    """One GeoJSON Feature of the map, with the four properties the importer reads."""
    ring = [list(corner) for corner in (*quad, quad[0])]
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent_code": parent_code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


@dataclass(frozen=True)
class _Community:
    code: str
    name: str
    quad: Quad


@dataclass(frozen=True)
class _Place:
    district: tuple[str, str, Quad]
    street: tuple[str, str, Quad]
    community_names: tuple[str, ...]

    def communities(self) -> tuple[_Community, ...]:
        code, _name, quad = self.street
        cells = split_quad(quad, len(self.community_names), 1)
        return tuple(
            _Community(f"{code}{index:03d}", name, cell)
            for index, (name, cell) in enumerate(
                zip(self.community_names, cells, strict=True), start=1
            )
        )


# 满春园社区 sits around 38.48 N, 106.22 E; 富兴社区 around 36.98 N, 105.91 E.
_PLACES = (
    _Place(
        district=(
            "640106",
            "金凤区",
            ((106.080, 38.400), (106.300, 38.395), (106.310, 38.580), (106.070, 38.570)),
        ),
        street=(
            "640106001",
            "满城北街街道",
            ((106.2125, 38.4680), (106.2575, 38.4690), (106.2565, 38.4920), (106.2118, 38.4912)),
        ),
        community_names=("满春园社区", "丽子园社区", "阅景园社区"),
    ),
    _Place(
        district=(
            "640324",
            "同心县",
            ((105.500, 36.600), (106.300, 36.620), (106.280, 37.300), (105.520, 37.280)),
        ),
        street=(
            "640324100",
            "豫海镇",
            ((105.8950, 36.9680), (105.9370, 36.9690), (105.9360, 36.9930), (105.8945, 36.9920)),
        ),
        community_names=("富兴社区", "西关社区"),
    ),
)
GRIDS_PER_SIDE = 2
MICRO_GRIDS_PER_SIDE = 2


def build_demo_map() -> dict[str, Any]:
    """The whole demo map as one GeoJSON FeatureCollection (stable codes, same every time)."""
    features: list[dict[str, Any]] = []
    for place in _PLACES:
        district_code, district_name, district_quad = place.district
        street_code, street_name, street_quad = place.street
        features.append(feature(district_code, district_name, "district", None, district_quad))
        features.append(feature(street_code, street_name, "street", district_code, street_quad))
        for community in place.communities():
            features.extend(_community_features(community, street_code))
    return {"type": "FeatureCollection", "features": features}


def _community_features(community: _Community, street_code: str) -> list[dict[str, Any]]:
    features = [feature(community.code, community.name, "community", street_code, community.quad)]
    grids = split_quad(community.quad, GRIDS_PER_SIDE, GRIDS_PER_SIDE)
    for grid_index, grid_quad in enumerate(grids, start=1):
        grid_code = f"{community.code}{grid_index:02d}"
        features.append(
            feature(
                grid_code, f"{community.name}第{grid_index}网格", "grid", community.code, grid_quad
            )
        )
        micro_grids = split_quad(grid_quad, MICRO_GRIDS_PER_SIDE, MICRO_GRIDS_PER_SIDE)
        for micro_index, micro_quad in enumerate(micro_grids, start=1):
            features.append(
                feature(
                    f"{grid_code}{micro_index:02d}",
                    f"{community.name}第{grid_index}网格{micro_index}号微网格",
                    "micro_grid",
                    grid_code,
                    micro_quad,
                )
            )
    return features


def worker_posts() -> list[WorkerPost]:
    """One post per demo grid (one grid, one worker), at the grid's centre."""
    posts = []
    for place in _PLACES:
        for community in place.communities():
            grids = split_quad(community.quad, GRIDS_PER_SIDE, GRIDS_PER_SIDE)
            for grid_index, grid_quad in enumerate(grids, start=1):
                lon, lat = quad_center(grid_quad)
                posts.append(
                    WorkerPost(community.code, f"{community.code}{grid_index:02d}", lat, lon)
                )
    return posts


def spread(total: int, parts: int) -> list[int]:
    """total split into parts counts that differ by at most one (larger ones first)."""
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def build_tiled_map(
    *,
    communities: int,
    grids: int,
    micro_grids: int,
    origin: LonLat = (106.0, 38.3),
    community_size: LonLat = (0.01, 0.008),
    code: str = "649901",
) -> dict[str, Any]:
    """A synthetic district tiled into streets (rows), communities, grids and micro-grids.

    For benchmarks and tests at real scale (Shizuishan: 122 communities, 738 grids, 2,316
    micro-grids); every level tiles its parent exactly, so borders are shared.
    """
    rows = max(1, round(communities**0.5))
    per_row = spread(communities, rows)
    lon0, lat0 = origin
    width, height = max(per_row) * community_size[0], rows * community_size[1]
    district = (
        (lon0, lat0),
        (lon0 + width, lat0),
        (lon0 + width, lat0 + height),
        (lon0, lat0 + height),
    )
    features = [feature(code, "示例区", "district", None, district)]
    community_quads = []
    for row, street_quad in enumerate(split_quad(district, 1, rows), start=1):
        street_code = f"{code}{row:03d}"
        features.append(feature(street_code, f"第{row}街道", "street", code, street_quad))
        for index, quad in enumerate(split_quad(street_quad, per_row[row - 1], 1), start=1):
            community_quads.append((f"{street_code}{index:03d}", street_code, quad))
    grid_counts = spread(grids, communities)
    micro_counts = iter(spread(micro_grids, grids))
    for (community_code, street_code, quad), grid_count in zip(
        community_quads, grid_counts, strict=True
    ):
        features.append(
            feature(community_code, f"{community_code}社区", "community", street_code, quad)
        )
        for g, grid_quad in enumerate(split_quad(quad, grid_count, 1), start=1):
            grid_code = f"{community_code}{g:02d}"
            features.append(feature(grid_code, f"第{g}网格", "grid", community_code, grid_quad))
            for m, micro_quad in enumerate(split_quad(grid_quad, 1, next(micro_counts)), start=1):
                features.append(
                    feature(
                        f"{grid_code}{m:02d}",
                        f"第{g}网格{m}号微网格",
                        "micro_grid",
                        grid_code,
                        micro_quad,
                    )
                )
    return {"type": "FeatureCollection", "features": features}
