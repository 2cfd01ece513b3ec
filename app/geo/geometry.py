"""Pure GeoJSON rules of the grid map: validate a map file, bounding boxes, point lookup."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import Point, shape

from app.errors import ValidationFailed
from app.geo.models import LEVEL_ORDER

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
MAX_CODE_LENGTH = 32
MAX_NAME_LENGTH = 100
# Bad features listed in one error; past this a client has enough to fix and the body stays small.
MAX_LISTED_FEATURES = 200
LEVEL_DEPTH: dict[str, int] = {level.value: depth for depth, level in enumerate(LEVEL_ORDER)}
# Tiles halve lon and lat at each zoom; at 20 a tile is ~30 m × 20 m, below any micro-grid.
# Only every third zoom is used: 8 zooms keep a point's key list short (≤ 29 keys) while a
# tile holds at most ~8 × 8 boxes of its size class.
TILE_ZOOMS = (20, 17, 14, 11, 8, 5, 2, 0)
# A box's tile is at least this much wider than the box, so float rounding never matters.
TILE_MARGIN_DEG = 1e-9


@dataclass(frozen=True)
class BBox:
    """A lon/lat bounding box in degrees."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass(frozen=True)
class AreaRecord:
    """One validated feature of a map file, ready to be written as an area."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: dict[str, Any]
    bbox: BBox


@dataclass
class _Problems:
    """Problems found in one feature, reported under its index and code."""

    index: int
    code: str | None = None
    items: list[dict[str, str]] = field(default_factory=list)

    def add(self, problem: str, message: str) -> None:
        self.items.append({"code": problem, "message": message})


def load_json(raw: bytes | str) -> Any:
    """Decode a map file's text; a file that is not JSON fails like any other bad map."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _file_error("not_json", f"文件不是有效的 JSON（{exc}）。") from None


def parse_feature_collection(data: Any, *, existing_levels: Mapping[str, str]) -> list[AreaRecord]:
    """Validate a whole FeatureCollection; raise one ValidationFailed listing every bad feature.

    existing_levels maps codes already in the database to their level, so that a feature may
    name a parent that is not in the file. A level given in the file wins over the stored one.
    """
    if not isinstance(data, Mapping) or data.get("type") != "FeatureCollection":
        raise _file_error("not_feature_collection", "文件不是 GeoJSON FeatureCollection。")
    features = data.get("features")
    if not isinstance(features, list):
        raise _file_error("not_feature_collection", "FeatureCollection 缺少 features 列表。")
    if not features:
        raise _file_error("empty", "FeatureCollection 里没有任何要素。")
    parsed = [_parse_feature(index, feature) for index, feature in enumerate(features)]
    _check_duplicates(parsed)
    _check_parents(parsed, existing_levels)
    bad = [problems for problems, _ in parsed if problems.items]
    if bad:
        raise _features_error(bad, total=len(features))
    return [record for _, record in parsed if record is not None]


def _parse_feature(index: int, feature: Any) -> tuple[_Problems, AreaRecord | None]:
    problems = _Problems(index)
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        problems.add("not_a_feature", "这一项不是 GeoJSON Feature。")
        return problems, None
    props = feature.get("properties")
    props = props if isinstance(props, Mapping) else {}
    code = _text(props.get("code"), MAX_CODE_LENGTH, "code", problems)
    problems.code = code
    name = _text(props.get("name"), MAX_NAME_LENGTH, "name", problems)
    level = props.get("level")
    if level not in LEVEL_DEPTH:
        problems.add(
            "unknown_level", f"未知层级 {level!r}，请使用：{'、'.join(LEVEL_DEPTH)}。"
        )
    parent_code = props.get("parent_code")
    if parent_code is not None:
        parent_code = _text(parent_code, MAX_CODE_LENGTH, "parent_code", problems)
    geometry = _parse_geometry(feature.get("geometry"), problems)
    if problems.items or code is None or name is None or geometry is None:
        return problems, None
    record = AreaRecord(code, name, str(level), parent_code, geometry, bbox_of(geometry))
    return problems, record


def _text(value: Any, max_length: int, name: str, problems: _Problems) -> str | None:
    # Codes are often written as numbers (640106); they are still identifiers.
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        problems.add(f"missing_{name}", f"要素缺少 {name}。")
        return None
    if len(value.strip()) > max_length:
        problems.add(f"{name}_too_long", f"{name} 超过{max_length}个字符。")
        return None
    return value.strip()


def _parse_geometry(geometry: Any, problems: _Problems) -> dict[str, Any] | None:
    if not isinstance(geometry, Mapping) or geometry.get("type") not in GEOMETRY_TYPES:
        problems.add("unsupported_geometry", "几何图形必须是 Polygon 或 MultiPolygon。")
        return None
    kind = geometry["type"]
    problems_before = len(problems.items)
    raw = geometry.get("coordinates")
    polygons = [raw] if kind == "Polygon" else raw
    if not isinstance(polygons, list) or not polygons:
        problems.add("bad_coordinates", "几何图形没有坐标。")
        return None
    clean = [_parse_polygon(polygon, problems) for polygon in polygons]
    if len(problems.items) > problems_before or any(polygon is None for polygon in clean):
        return None
    normalized = {"type": kind, "coordinates": clean[0] if kind == "Polygon" else clean}
    reason = shapely.is_valid_reason(shape(normalized))
    if reason != "Valid Geometry":
        problems.add("invalid_polygon", f"多边形无效：{reason}。")
        return None
    return normalized


def _parse_polygon(polygon: Any, problems: _Problems) -> list[list[list[float]]] | None:
    if not isinstance(polygon, list) or not polygon:
        problems.add("bad_coordinates", "多边形必须由闭合环组成。")
        return None
    rings = []
    for ring in polygon:
        positions = _parse_ring(ring, problems)
        if positions is None:
            return None
        rings.append(positions)
    return rings


def _parse_ring(ring: Any, problems: _Problems) -> list[list[float]] | None:
    if not isinstance(ring, list) or len(ring) < 4:
        problems.add("bad_coordinates", "一个闭合环至少需要四个点。")
        return None
    positions = []
    for position in ring:
        if not _is_position(position):
            problems.add("bad_coordinates", f"{position!r} is not a [lon, lat] position.")
            return None
        lon, lat = float(position[0]), float(position[1])
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            problems.add(
                "coordinates_out_of_range",
                f"[{lon}, {lat}] is outside lon -180..180, lat -90..90 (is it [lon, lat]?).",
            )
            return None
        positions.append([lon, lat])
    if positions[0] != positions[-1]:
        problems.add("ring_not_closed", "闭合环的终点必须与起点相同。")
        return None
    return positions


def _is_position(position: Any) -> bool:
    return (
        isinstance(position, list | tuple)
        and len(position) in (2, 3)
        and all(
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            for value in position
        )
    )


def _check_duplicates(parsed: Sequence[tuple[_Problems, AreaRecord | None]]) -> None:
    counts = Counter(problems.code for problems, _ in parsed if problems.code is not None)
    for problems, _ in parsed:
        if problems.code is not None and counts[problems.code] > 1:
            problems.add(
                "duplicate_code", f"编码 {problems.code} 出现了{counts[problems.code]}次。"
            )


def _check_parents(
    parsed: Sequence[tuple[_Problems, AreaRecord | None]], existing_levels: Mapping[str, str]
) -> None:
    levels = dict(existing_levels)
    levels.update((record.code, record.level) for _, record in parsed if record is not None)
    for problems, record in parsed:
        if record is None:
            continue
        message = _parent_problem(record, levels)
        if message is not None:
            problems.add(*message)


def _parent_problem(record: AreaRecord, levels: Mapping[str, str]) -> tuple[str, str] | None:
    depth = LEVEL_DEPTH[record.level]
    if depth == 0:
        if record.parent_code is not None:
            return "unexpected_parent", "区县是最上层，不能有上级。"
        return None
    if record.parent_code is None:
        return "missing_parent", f"{record.level} 需要填写上级编码（parent_code）。"
    if record.parent_code == record.code:
        return "level_order", "区域不能是自己的上级。"
    parent_level = levels.get(record.parent_code)
    if parent_level is None:
        return (
            "missing_parent",
            f"上级 {record.parent_code} 既不在文件中，也不在系统里。",
        )
    if LEVEL_DEPTH.get(parent_level) != depth - 1:
        expected = LEVEL_ORDER[depth - 1].value
        return (
            "level_order",
            f"{record.level} 的上级必须是 {expected}，而 {record.parent_code} 是 {parent_level}。",
        )
    return None


def _file_error(problem: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        message, code="invalid_geojson", details={"file": [{"code": problem, "message": message}]}
    )


def _features_error(bad: Sequence[_Problems], *, total: int) -> ValidationFailed:
    listed = [
        {"index": problems.index, "code": problems.code, "problems": problems.items}
        for problems in bad[:MAX_LISTED_FEATURES]
    ]
    details = {"features": listed, "bad_features": len(bad), "total_features": total}
    message = f"{total}个要素中有{len(bad)}个无效，未导入任何内容。"
    return ValidationFailed(message, code="invalid_geojson", details=details)


def bbox_of(geometry: Mapping[str, Any]) -> BBox:
    """The bounding box of a Polygon or MultiPolygon (outer rings suffice)."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    lons = [position[0] for polygon in polygons for position in polygon[0]]
    lats = [position[1] for polygon in polygons for position in polygon[0]]
    return BBox(min(lons), min(lats), max(lons), max(lats))


def tile_of(box: BBox) -> str:
    """The index key ("zoom/x/y") of a box: the tile of its south-west corner at the deepest
    zoom of TILE_ZOOMS whose tiles are larger than the box (a "loose" quadtree).

    So a box spans at most two tiles per axis there, and a point inside it lies in that tile or
    the next one east and/or north: tiles_near_point lists exactly those candidates.
    """
    zoom = next(
        zoom
        for zoom in TILE_ZOOMS
        if 360.0 / 2**zoom >= box.max_lon - box.min_lon + TILE_MARGIN_DEG
        and 180.0 / 2**zoom >= box.max_lat - box.min_lat + TILE_MARGIN_DEG
        or zoom == 0
    )
    x, y = _tile_xy(box.min_lon, box.min_lat, zoom)
    return f"{zoom}/{x}/{y}"


def tiles_near_point(lat: float, lon: float) -> list[str]:
    """Every key tile_of may give a box holding this point: its tile and the ones west and south,
    at each zoom of TILE_ZOOMS."""
    keys = []
    for zoom in TILE_ZOOMS:
        x, y = _tile_xy(lon, lat, zoom)
        keys.extend(
            f"{zoom}/{x - dx}/{y - dy}" for dx in (0, 1) for dy in (0, 1) if x >= dx and y >= dy
        )
    return keys


def _tile_xy(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    # Tile sizes are 360 and 180 over powers of two, so the divisions are exact and floor()
    # keeps the order of coordinates.
    count = 2**zoom
    x = min(int(math.floor((lon + 180.0) / (360.0 / count))), count - 1)
    y = min(int(math.floor((lat + 90.0) / (180.0 / count))), count - 1)
    return x, y


def most_specific_covering(
    lat: float, lon: float, candidates: Iterable[tuple[str, str, Mapping[str, Any]]]
) -> str | None:
    """The code of the deepest area (code, level, geometry) covering the point, or None.

    Border rule: a point on a border (or in an overlap) belongs to every area that covers it;
    the deepest level wins, and within that level the smallest code (string order) wins. The
    answer therefore never depends on the order in which candidates arrive.
    """
    point = Point(lon, lat)
    ordered = sorted(candidates, key=lambda item: (-LEVEL_DEPTH.get(item[1], -1), item[0]))
    for code, _level, geometry in ordered:
        if shape(geometry).covers(point):
            return code
    return None
