"""The demo map: valid, nested, tiled without gaps, and where the real places are."""

from __future__ import annotations

from shapely.geometry import Point, shape
from shapely.ops import unary_union

from app.geo.demo_map import build_demo_map, worker_posts
from app.geo.geometry import most_specific_covering, parse_feature_collection


def records():
    return {r.code: r for r in parse_feature_collection(build_demo_map(), existing_levels={})}


def candidates():
    return [(r.code, r.level, r.geometry) for r in records().values()]


def test_demo_map_is_the_same_every_time():
    assert build_demo_map() == build_demo_map()


def test_real_places_fall_in_their_named_communities():
    by_code = records()
    yinchuan = most_specific_covering(38.48, 106.22, candidates())
    tongxin = most_specific_covering(36.98, 105.91, candidates())
    assert by_code[yinchuan].level == by_code[tongxin].level == "micro_grid"
    assert by_code[yinchuan[:12]].name == "满春园社区"
    assert by_code[tongxin[:12]].name == "富兴社区"


def test_children_tile_their_parent_and_stay_inside_it():
    by_code = records()
    children: dict[str, list] = {}
    for record in by_code.values():
        if record.level in ("grid", "micro_grid", "community"):
            children.setdefault(record.parent_code, []).append(shape(record.geometry))
    for parent_code, shapes in children.items():
        parent = shape(by_code[parent_code].geometry)
        union = unary_union(shapes)
        assert abs(union.area - parent.area) < parent.area * 1e-5
        assert parent.buffer(1e-7).covers(union)


def test_every_grid_has_a_worker_post_inside_it():
    by_code = records()
    grids = {code for code, r in by_code.items() if r.level == "grid"}
    posts = worker_posts()
    assert {post.grid_code for post in posts} == grids
    for post in posts:
        assert shape(by_code[post.grid_code].geometry).contains(Point(post.lon, post.lat))
        assert post.grid_code.startswith(post.community_code)
