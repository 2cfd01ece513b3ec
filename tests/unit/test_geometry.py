"""Map-file validation, bounding boxes and the border rule of point lookup — no database."""

from __future__ import annotations

import copy
import random

import pytest

from app.errors import ValidationFailed
from app.geo.demo_map import build_demo_map, feature, split_quad
from app.geo.geometry import (
    BBox,
    load_json,
    most_specific_covering,
    parse_feature_collection,
    tile_of,
    tiles_near_point,
)

SQUARE = ((106.0, 38.0), (106.1, 38.0), (106.1, 38.1), (106.0, 38.1))


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def district(code="640106", quad=SQUARE):
    return feature(code, "金凤区", "district", None, quad)


def problems_by_code(exc: ValidationFailed) -> dict[str | None, set[str]]:
    found: dict[str | None, set[str]] = {}
    for entry in exc.details["features"]:
        found.setdefault(entry["code"], set()).update(p["code"] for p in entry["problems"])
    return found


def rejected(data, existing_levels=None) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        parse_feature_collection(data, existing_levels=existing_levels or {})
    assert info.value.code == "invalid_geojson"
    return info.value


def test_demo_map_parses_into_records_with_bounding_boxes():
    records = parse_feature_collection(build_demo_map(), existing_levels={})
    by_code = {record.code: record for record in records}
    assert by_code["640106"].level == "district"
    assert by_code["640106001001"].name == "满春园社区"
    assert by_code["640106001001"].parent_code == "640106001"
    box = by_code["640106"].bbox
    assert box == BBox(106.07, 38.395, 106.31, 38.58)


def test_parent_may_be_already_known_instead_of_in_the_file():
    grid = feature("G1", "网格", "grid", "C1", SQUARE)
    (record,) = parse_feature_collection(collection(grid), existing_levels={"C1": "community"})
    assert record.parent_code == "C1"


def test_level_in_the_file_wins_over_the_stored_one():
    street = feature("S1", "街道", "street", "D1", SQUARE)
    community = feature("C1", "社区", "community", "S1", SQUARE)
    records = parse_feature_collection(
        collection(street, community), existing_levels={"D1": "district", "S1": "grid"}
    )
    assert [r.code for r in records] == ["S1", "C1"]


def test_numeric_codes_are_read_as_text():
    data = collection(district())
    data["features"][0]["properties"]["code"] = 640106
    (record,) = parse_feature_collection(data, existing_levels={})
    assert record.code == "640106"


def test_multipolygon_is_accepted_and_its_box_spans_all_parts():
    far = [[[107.0, 39.0], [107.1, 39.0], [107.1, 39.1], [107.0, 39.0]]]
    data = collection(district())
    geometry = data["features"][0]["geometry"]
    data["features"][0]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [geometry["coordinates"], far],
    }
    (record,) = parse_feature_collection(data, existing_levels={})
    assert record.bbox == BBox(106.0, 38.0, 107.1, 39.1)


@pytest.mark.parametrize(
    "data",
    [
        [],
        {},
        "text",
        {"type": "Feature"},
        {"type": "FeatureCollection"},
        {"type": "FeatureCollection", "features": {}},
    ],
)
def test_not_a_feature_collection(data):
    error = rejected(data)
    assert error.details["file"][0]["code"] == "not_feature_collection"


def test_empty_collection_is_rejected():
    assert rejected(collection()).details["file"][0]["code"] == "empty"


def test_not_json_at_all():
    with pytest.raises(ValidationFailed) as info:
        load_json(b"\x89PNG not json")
    assert info.value.details["file"][0]["code"] == "not_json"


def test_every_bad_feature_is_listed_by_code_with_all_its_problems():
    bowtie = [[[106.0, 38.0], [106.1, 38.1], [106.1, 38.0], [106.0, 38.1], [106.0, 38.0]]]
    swapped = [[[38.0, 106.0], [38.1, 106.0], [38.1, 106.1], [38.0, 106.0]]]
    open_ring = [[[106.0, 38.0], [106.1, 38.0], [106.1, 38.1], [106.0, 38.1]]]
    features = [
        district("D1"),
        feature("X1", "?", "province", None, SQUARE),
        feature("C9", "社区", "community", "NOPE", SQUARE),
        feature("G1", "网格", "grid", "D1", SQUARE),
        feature("D2", "区", "district", "D1", SQUARE),
        feature("S1", "街道", "street", "D1", SQUARE),
        feature("S1", "街道", "street", "D1", SQUARE),
        {
            **feature("S2", "街道", "street", "D1", SQUARE),
            "geometry": {"type": "Polygon", "coordinates": bowtie},
        },
        {
            **feature("S3", "街道", "street", "D1", SQUARE),
            "geometry": {"type": "Polygon", "coordinates": swapped},
        },
        {
            **feature("S4", "街道", "street", "D1", SQUARE),
            "geometry": {"type": "Polygon", "coordinates": open_ring},
        },
        {
            **feature("S5", "街道", "street", "D1", SQUARE),
            "geometry": {"type": "Point", "coordinates": [106, 38]},
        },
        {
            "type": "Feature",
            "properties": {"name": "无码", "level": "street", "parent_code": "D1"},
            "geometry": district()["geometry"],
        },
        "not a feature",
    ]
    error = rejected(collection(*features))
    found = problems_by_code(error)
    assert found == {
        "X1": {"unknown_level"},
        "C9": {"missing_parent"},
        "G1": {"level_order"},
        "D2": {"unexpected_parent"},
        "S1": {"duplicate_code"},
        "S2": {"invalid_polygon"},
        "S3": {"coordinates_out_of_range"},
        "S4": {"ring_not_closed"},
        "S5": {"unsupported_geometry"},
        None: {"missing_code", "not_a_feature"},
    }
    assert error.details["bad_features"] == 12
    assert error.details["total_features"] == 13
    assert "未导入任何内容" in error.message
    self_intersection = next(e for e in error.details["features"] if e["code"] == "S2")
    assert "Self-intersection" in self_intersection["problems"][0]["message"]


def test_one_feature_reports_all_of_its_problems_at_once():
    bad = feature("S1", "", "planet", "D404", SQUARE)
    bad["geometry"]["coordinates"] = [[[200.0, 38.0], [106.1, 38.0], [106.1, 38.1], [200.0, 38.0]]]
    error = rejected(collection(bad))
    assert problems_by_code(error)["S1"] == {
        "missing_name",
        "unknown_level",
        "coordinates_out_of_range",
    }


def test_parent_problems_are_found_even_when_the_parent_itself_is_fine_but_absent():
    error = rejected(collection(feature("M1", "微网格", "micro_grid", "G404", SQUARE)))
    assert problems_by_code(error) == {"M1": {"missing_parent"}}


def test_input_is_not_modified():
    data = build_demo_map()
    before = copy.deepcopy(data)
    parse_feature_collection(data, existing_levels={})
    assert data == before


# --- point lookup -------------------------------------------------------------------------

CELLS = split_quad(((106.0, 38.0), (106.2, 38.0), (106.2, 38.2), (106.0, 38.2)), 2, 2)
# Codes chosen so that string order differs from list order.
CELL_CODES = ["M4", "M2", "M3", "M1"]


def cells_as_candidates():
    return [
        (code, "micro_grid", feature(code, code, "micro_grid", "G", cell)["geometry"])
        for code, cell in zip(CELL_CODES, CELLS, strict=True)
    ]


def test_point_inside_one_cell():
    assert most_specific_covering(38.05, 106.05, cells_as_candidates()) == "M4"


def test_point_outside_everything_is_none():
    assert most_specific_covering(10.0, 10.0, cells_as_candidates()) is None


@pytest.mark.parametrize(
    ("lat", "lon", "expected"),
    [
        (38.05, 106.1, "M2"),  # border of M4|M2 → smaller code
        (38.1, 106.05, "M3"),  # border of M4|M3
        (38.1, 106.1, "M1"),  # corner shared by all four
        (38.0, 106.0, "M4"),  # outer corner, one cell only
    ],
)
def test_border_points_go_to_the_smallest_code_whatever_the_order(lat, lon, expected):
    candidates = cells_as_candidates()
    for seed in range(10):
        random.Random(seed).shuffle(candidates)
        assert most_specific_covering(lat, lon, candidates) == expected


def test_deepest_level_wins_over_its_containers():
    big = feature("C1", "社区", "community", "S", ((105, 37), (107, 37), (107, 39), (105, 39)))
    candidates = [*cells_as_candidates(), ("C1", "community", big["geometry"])]
    assert most_specific_covering(38.05, 106.05, candidates) == "M4"
    assert most_specific_covering(38.5, 106.5, candidates) == "C1"


# --- tile keys ----------------------------------------------------------------------------


def test_every_point_of_a_box_finds_the_box_tile():
    rng = random.Random(3)
    for _ in range(3000):
        size = 10 ** rng.uniform(-6, 1)
        min_lon, min_lat = rng.uniform(-180, 180 - size), rng.uniform(-90, 90 - size)
        box = BBox(min_lon, min_lat, min_lon + size, min_lat + size * rng.random())
        tile = tile_of(box)
        for lon, lat in [
            (box.min_lon, box.min_lat),
            (box.max_lon, box.max_lat),
            (box.min_lon, box.max_lat),
            (rng.uniform(box.min_lon, box.max_lon), rng.uniform(box.min_lat, box.max_lat)),
        ]:
            assert tile in tiles_near_point(lat, lon)


def test_tiles_follow_the_size_of_the_box_not_where_it_lies():
    micro = BBox(106.2200, 38.4800, 106.2215, 38.4810)
    assert tile_of(micro).startswith("17/")
    # Straddling the prime meridian does not push a small box up to the world tile.
    assert tile_of(BBox(-0.0001, 10.0, 0.0001, 10.0001)).startswith("20/")
    assert tile_of(BBox(-180, -90, 180, 90)) == "0/0/0"
    assert len(tiles_near_point(38.48, 106.22)) == 1 + 7 * 4
    assert tiles_near_point(-90.0, -180.0)[0] == "20/0/0"
