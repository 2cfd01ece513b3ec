"""Maps and charts drawn on the server as SVG: no tiles, no script, nothing fetched (intranets)."""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAP_WIDTH = 960


@dataclass(frozen=True)
class Projection:
    """Lon/lat to SVG pixels: equirectangular, x shrunk by cos(latitude) so shapes keep their look."""

    min_lon: float
    max_lat: float
    scale: float
    shrink: float
    width: int
    height: int

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        return (round((lon - self.min_lon) * self.shrink * self.scale, 1),
                round((self.max_lat - lat) * self.scale, 1))


def fit(boxes: Iterable[tuple[float, float, float, float]], *, width: int = MAP_WIDTH,
        margin: int = 12) -> Projection:
    """The projection that fits these (min_lon, min_lat, max_lon, max_lat) boxes into `width` pixels."""
    boxes = list(boxes) or [(0.0, 0.0, 1.0, 1.0)]
    min_lon, min_lat = min(b[0] for b in boxes), min(b[1] for b in boxes)
    max_lon, max_lat = max(b[2] for b in boxes), max(b[3] for b in boxes)
    shrink = math.cos(math.radians((min_lat + max_lat) / 2))
    span = max((max_lon - min_lon) * shrink, 1e-9)
    scale = (width - 2 * margin) / span
    height = int((max_lat - min_lat) * scale) + 2 * margin
    pad = margin / scale
    return Projection(min_lon - pad / shrink, max_lat + pad, scale, shrink, width, height)


def area_shapes(areas: Iterable[Any]) -> tuple[Projection, list[dict[str, Any]]]:
    """The projection fitting these areas, and each one with a geometry as an SVG path and label point."""
    areas = list(areas)
    projection = fit([(a.min_lon, a.min_lat, a.max_lon, a.max_lat) for a in areas if a.min_lon is not None])
    return projection, [{"area": a, "path": polygon_path(a.geometry, projection),
                         "label": label_point(a.geometry, projection)} for a in areas if a.geometry]


def polygon_path(geometry: dict[str, Any] | None, projection: Projection) -> str:
    """An SVG path of a GeoJSON Polygon or MultiPolygon (holes included, drawn even-odd)."""
    if not geometry:
        return ""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    parts = []
    for rings in polygons:
        for ring in rings:
            points = [projection.point(lon, lat) for lon, lat, *_ in ring]
            parts.append("M" + "L".join(f"{x},{y}" for x, y in points) + "Z")
    return "".join(parts)


def centre(path_points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    xs, ys = [p[0] for p in path_points], [p[1] for p in path_points]
    return (sum(xs) / len(xs), sum(ys) / len(ys))


def label_point(geometry: dict[str, Any] | None, projection: Projection) -> tuple[float, float] | None:
    """Where an area's name goes: the middle of its outer ring's points."""
    if not geometry:
        return None
    rings = geometry["coordinates"][0] if geometry["type"] == "MultiPolygon" else geometry["coordinates"]
    return centre([projection.point(lon, lat) for lon, lat, *_ in rings[0][:-1] or rings[0]])
