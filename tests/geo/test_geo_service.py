"""Grid map rules through the service: import, locate, responsible workers."""

from __future__ import annotations

import copy

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from app.auth.models import Role, UserStatus
from app.errors import Forbidden, NotFound, Unprocessable, ValidationFailed
from app.extensions import db
from app.geo import service
from app.geo.demo_map import build_demo_map, build_tiled_map, feature, split_quad
from app.geo.models import Area
from tests.factories import make_area, make_community, make_user
from tests.geo.conftest import DISTRICT, FUXING, GRID, LIZI, MANCHUN, MICRO, OTHER_GRID, STREET


def area_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Area))


# --- import ----------------------------------------------------------------------------------


def test_import_creates_everything_then_reimport_is_a_no_op(app_ctx):
    data = build_demo_map()
    first = service.import_areas(source=data)
    assert (first.created, first.updated, first.unchanged) == (len(data["features"]), 0, 0)
    stamp = db.session.get(Area, MICRO).updated_at
    db.session.remove()
    again = service.import_areas(source=data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(data["features"]))
    assert db.session.get(Area, MICRO).updated_at == stamp


def test_changed_features_update_in_place(app_ctx):
    data = build_demo_map()
    service.import_areas(source=data)
    changed = copy.deepcopy(data)
    by_code = {f["properties"]["code"]: f for f in changed["features"]}
    by_code[MANCHUN]["properties"]["name"] = "满春园社区（新）"
    ring = by_code[MICRO]["geometry"]["coordinates"][0]
    ring[2] = [ring[2][0] + 0.0001, ring[2][1] + 0.0001]
    result = service.import_areas(source=changed)
    assert (result.created, result.updated) == (0, 2)
    db.session.remove()
    assert db.session.get(Area, MANCHUN).name == "满春园社区（新）"
    micro = db.session.get(Area, MICRO)
    assert micro.geometry["coordinates"][0][2] == ring[2]
    assert micro.max_lat == pytest.approx(max(p[1] for p in ring))
    assert area_count() == len(data["features"])


def test_import_of_a_file_in_json_text(app_ctx):
    import json

    result = service.import_areas(source=json.dumps(build_demo_map()).encode())
    assert result.created == len(build_demo_map()["features"])


def test_a_file_may_hang_under_areas_already_known(app, app_ctx):
    make_community(app, MANCHUN)
    quad = ((106.21, 38.47), (106.22, 38.47), (106.22, 38.48), (106.21, 38.48))
    grid = feature("G-NEW", "新网格", "grid", MANCHUN, quad)
    result = service.import_areas(source={"type": "FeatureCollection", "features": [grid]})
    assert result.created == 1
    assert [a.code for a in service.area_chain(code="G-NEW")] == [
        "G-NEW",
        MANCHUN,
        STREET,
        DISTRICT,
    ]


def test_bad_file_writes_nothing(app_ctx):
    service.import_areas(source=build_demo_map())
    data = build_demo_map()
    data["features"][5]["properties"]["name"] = "被改的名字"
    data["features"].append(
        feature(
            "X",
            "坏的",
            "grid",
            "nowhere",
            split_quad(((106.0, 38.0), (106.1, 38.0), (106.1, 38.1), (106.0, 38.1)), 1, 1)[0],
        )
    )
    with pytest.raises(ValidationFailed):
        service.import_areas(source=data)
    db.session.remove()
    assert area_count() == len(build_demo_map()["features"])
    code = data["features"][5]["properties"]["code"]
    assert db.session.get(Area, code).name != "被改的名字"


def test_level_change_that_would_strand_children_is_refused(app_ctx):
    service.import_areas(source=build_demo_map())
    street = next(f for f in build_demo_map()["features"] if f["properties"]["code"] == STREET)
    street["properties"]["level"] = "community"
    street["properties"]["parent_code"] = None
    with pytest.raises(ValidationFailed) as info:
        service.import_areas(source={"type": "FeatureCollection", "features": [street]})
    codes = {entry["code"] for entry in info.value.details["features"]}
    assert STREET in codes


def test_thousands_of_features_import_and_reimport(app_ctx):
    data = build_tiled_map(communities=20, grids=120, micro_grids=1200)
    total = len(data["features"])
    assert total > 2 * service.CODES_PER_QUERY
    assert service.import_areas(source=data).created == total
    db.session.remove()
    assert service.import_areas(source=data).unchanged == total


# --- reading and locating --------------------------------------------------------------------


def test_locate_gives_the_chain_most_specific_first(app_ctx, demo_map):
    chain = service.locate(lat=38.48, lon=106.22)
    assert [a.level for a in chain] == ["micro_grid", "grid", "community", "street", "district"]
    assert chain[2].code == MANCHUN
    assert service.community_of(chain).name == "满春园社区"
    tongxin = service.locate(lat=36.98, lon=105.91)
    assert tongxin[2].code == FUXING


def test_area_chains_use_the_areas_already_loaded(app_ctx, demo_map):
    from sqlalchemy import event

    located = service.locate(lat=38.48, lon=106.22)
    expected = {code: [a.code for a in chain] for code, chain in service.area_chains(codes=[MICRO, GRID]).items()}
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        whole = service.area_chains(codes=[located[0].code], loaded=located)
        partial = service.area_chains(codes=[MICRO, GRID], loaded=located[2:])  # knows community and up
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert [a.code for a in whole[located[0].code]] == [a.code for a in located]
    assert {code: [a.code for a in chain] for code, chain in partial.items()} == expected
    # The located chain needed no query; the partial one one query, for the two missing areas.
    assert len(statements) == 1


def test_locate_outside_every_area_is_empty(app_ctx, demo_map):
    assert service.locate(lat=0.0, lon=0.0) == []
    # Inside the district's box but outside every street: the district alone.
    assert [a.code for a in service.locate(lat=38.41, lon=106.1)] == [DISTRICT]


def test_point_on_a_border_between_communities_resolves_by_smallest_code(app_ctx, demo_map):
    micro_grids = db.session.scalars(service.list_areas(level="micro_grid")).all()

    def corners(prefix):
        return {
            tuple(p)
            for a in micro_grids
            if a.code.startswith(prefix)
            for p in a.geometry["coordinates"][0]
        }

    shared = sorted(corners(MANCHUN) & corners(LIZI))
    assert len(shared) >= 3  # the common edge of the two communities, vertex by vertex
    for lon, lat in shared:
        covering = sorted(a.code for a in micro_grids if shape(a.geometry).covers(Point(lon, lat)))
        assert any(c.startswith(LIZI) for c in covering)
        chains = {tuple(a.code for a in service.locate(lat=lat, lon=lon)) for _ in range(3)}
        assert len(chains) == 1
        (chain,) = chains
        assert chain[0] == covering[0] and chain[0].startswith(MANCHUN)
        assert chain[2] == MANCHUN


def test_areas_without_geometry_are_never_located(app, app_ctx):
    make_area(app, "Z1", "district")
    assert service.locate(lat=38.48, lon=106.22) == []


def test_list_and_get(app_ctx, demo_map):
    grids = db.session.scalars(service.list_areas(level="grid", parent_code=MANCHUN)).all()
    assert [g.code for g in grids] == [MANCHUN + f"{i:02d}" for i in range(1, 5)]
    assert service.get_area(code=GRID).geometry["type"] == "Polygon"
    with pytest.raises(NotFound):
        service.get_area(code="nope")


# --- responsible workers ---------------------------------------------------------------------


@pytest.fixture
def people(app, demo_map):
    return {
        "admin": make_user(app, Role.ADMIN),
        "secretary": make_user(app, Role.SECRETARY, area_code=MANCHUN),
        "other_secretary": make_user(app, Role.SECRETARY, area_code=LIZI),
        "worker": make_user(app, Role.GRID_WORKER, area_code=MANCHUN),
        "worker2": make_user(app, Role.GRID_WORKER, area_code=MANCHUN),
        "neighbour": make_user(app, Role.GRID_WORKER, area_code=LIZI),
        "disabled": make_user(app, Role.GRID_WORKER, area_code=MANCHUN, status=UserStatus.DISABLED),
        "rider": make_user(app, Role.RIDER, area_code=MANCHUN),
    }


def test_set_workers_replaces_the_set(app_ctx, people):
    secretary, worker, worker2 = people["secretary"], people["worker"], people["worker2"]
    service.set_area_workers(
        actor=secretary, code=GRID, user_ids=[worker.id, worker2.id, worker.id]
    )
    assert [u.id for u in service.list_area_workers(actor=secretary, code=GRID)] == sorted(
        [worker.id, worker2.id]
    )
    service.set_area_workers(actor=people["admin"], code=GRID, user_ids=[worker2.id])
    assert [u.id for u in service.list_area_workers(actor=secretary, code=GRID)] == [worker2.id]
    service.set_area_workers(actor=secretary, code=GRID, user_ids=[])
    assert service.list_area_workers(actor=secretary, code=GRID) == []


@pytest.mark.parametrize("who", ["neighbour", "disabled", "rider", "secretary"])
def test_only_active_grid_workers_of_the_community(app_ctx, people, who):
    with pytest.raises(ValidationFailed) as info:
        service.set_area_workers(actor=people["admin"], code=GRID, user_ids=[people[who].id, 99999])
    assert set(info.value.details["user_ids"]) == {str(people[who].id), "99999"}


def test_secretary_of_another_community_is_refused(app_ctx, people):
    with pytest.raises(Forbidden):
        service.set_area_workers(actor=people["other_secretary"], code=GRID, user_ids=[])
    service.set_area_workers(
        actor=people["other_secretary"], code=OTHER_GRID, user_ids=[people["neighbour"].id]
    )


def test_workers_are_set_on_grids_only(app_ctx, people):
    with pytest.raises(Unprocessable):
        service.set_area_workers(actor=people["admin"], code=MANCHUN, user_ids=[])


def test_responsible_worker_prefers_the_micro_grid_then_the_grid(app_ctx, people, monkeypatch):
    from types import SimpleNamespace

    from app.dispatch import assignment

    worker, worker2 = people["worker"], people["worker2"]
    chain = service.locate(lat=38.48, lon=106.22)
    report = SimpleNamespace(area_code=chain[0].code)
    assert assignment.responsible_worker(report) is None
    service.set_area_workers(
        actor=people["admin"], code=chain[1].code, user_ids=[worker.id, worker2.id]
    )
    assert assignment.responsible_worker(report).id == min(worker.id, worker2.id)
    busy = {min(worker.id, worker2.id): 3}
    monkeypatch.setattr(assignment, "open_caseload", lambda ids: busy)
    assert assignment.responsible_worker(report).id == max(worker.id, worker2.id)
    monkeypatch.undo()
    service.set_area_workers(actor=people["admin"], code=chain[0].code, user_ids=[worker2.id])
    assert assignment.responsible_worker(report).id == worker2.id
