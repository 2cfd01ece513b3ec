"""Grid map rules: import the map, find areas, locate a point, set the workers of a grid."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.auth.models import Role, User, UserStatus
from app.common import clock
from app.errors import Conflict, Forbidden, NotFound, Unprocessable, ValidationFailed
from app.extensions import db
from app.geo.datums import CoordSys, geometry_to_wgs84
from app.geo.demo_map import build_demo_map
from app.geo.geometry import (
    LEVEL_DEPTH,
    AreaRecord,
    BBox,
    load_json,
    most_specific_covering,
    parse_feature_collection,
    tile_of,
    tiles_near_point,
)
from app.geo.models import Area, AreaWorker, Level

GRID_LEVELS = (Level.GRID.value, Level.MICRO_GRID.value)
MAX_WORKERS_PER_AREA = 50
# Rows per IN (...) list: well under SQLite's bound-parameter limit.
CODES_PER_QUERY = 500


@dataclass(frozen=True)
class ImportResult:
    """How many features of a map file were new, changed in place, or already as given."""

    created: int
    updated: int
    unchanged: int


# --- import ----------------------------------------------------------------------------------


def import_areas(*, source: bytes | str | Mapping[str, Any], coord_sys: str = CoordSys.WGS84) -> ImportResult:
    """Import a GeoJSON FeatureCollection (drawn in `coord_sys`, stored as WGS-84): validate it all,
    then create/update areas in place."""
    data = source if isinstance(source, Mapping) else load_json(source)
    if coord_sys != CoordSys.WGS84:
        data = _features_to_wgs84(data, coord_sys)
    existing_levels: dict[str, str] = dict(db.session.execute(select(Area.code, Area.level)).all())
    records = parse_feature_collection(data, existing_levels=existing_levels)
    _check_level_changes(records, existing_levels)
    stored = _stored_rows([record.code for record in records])
    new = [record for record in records if record.code not in stored]
    changed = [r for r in records if r.code in stored and _row_of(r) != stored[r.code]]
    now = clock.utcnow()
    try:
        # Parents before children: the foreign key is checked row by row on PostgreSQL.
        for record in sorted(new, key=lambda r: LEVEL_DEPTH[r.level]):
            db.session.execute(
                insert(Area), [_row_of(record) | {"created_at": now, "updated_at": now}]
            )
        if changed:
            db.session.execute(update(Area), [_row_of(r) | {"updated_at": now} for r in changed])
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "导入时地图被他人修改了，请重新导入文件。",
            code="import_conflict",
        ) from None
    return ImportResult(len(new), len(changed), len(records) - len(new) - len(changed))


def _features_to_wgs84(data: Mapping[str, Any], coord_sys: str) -> Mapping[str, Any]:
    """The collection with each feature's geometry converted; anything malformed is left as it is
    for parse_feature_collection to refuse."""
    features = data.get("features") if isinstance(data, Mapping) else None
    if not isinstance(features, list):
        return data
    converted = [
        {**f, "geometry": geometry_to_wgs84(f["geometry"], coord_sys)}
        if isinstance(f, Mapping) and isinstance(f.get("geometry"), Mapping) else f
        for f in features
    ]
    return {**data, "features": converted}


def load_demo_map() -> ImportResult:
    """Import the demo map (金凤区 and 同心县 down to micro-grids); safe to run again."""
    return import_areas(source=build_demo_map())


def _row_of(record: AreaRecord) -> dict[str, Any]:
    box = record.bbox
    return {
        "code": record.code,
        "name": record.name,
        "level": record.level,
        "parent_code": record.parent_code,
        "geometry": record.geometry,
        "min_lon": box.min_lon,
        "min_lat": box.min_lat,
        "max_lon": box.max_lon,
        "max_lat": box.max_lat,
        "tile": tile_of(box),
    }


IMPORTED_COLUMNS = tuple(_row_of(AreaRecord("", "", "", None, {}, BBox(0, 0, 0, 0))))


def _stored_rows(codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored values of exactly the columns _row_of writes, by code."""
    columns = [getattr(Area, name) for name in IMPORTED_COLUMNS]
    rows: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), CODES_PER_QUERY):
        chunk = codes[start : start + CODES_PER_QUERY]
        for row in db.session.execute(select(*columns).where(Area.code.in_(chunk))).mappings():
            rows[row["code"]] = dict(row)
    return rows


def _check_level_changes(records: Sequence[AreaRecord], existing_levels: Mapping[str, str]) -> None:
    """A changed level must not strand children that stay in the database at the old order."""
    moved = {r.code: r.level for r in records if existing_levels.get(r.code, r.level) != r.level}
    if not moved:
        return
    in_file = {record.code for record in records}
    stranded = db.session.execute(
        select(Area.code, Area.parent_code).where(Area.parent_code.in_(list(moved)))
    ).all()
    bad = sorted({parent for code, parent in stranded if code not in in_file})
    if bad:
        raise ValidationFailed(
            f"有{len(bad)}个区域改变了层级，但它们的下级区域不在文件中。",
            code="invalid_geojson",
            details={
                "features": [
                    {
                        "code": code,
                        "problems": [
                            {
                                "code": "level_change_strands_children",
                                "message": "请把它的下级区域也放进文件。",
                            }
                        ],
                    }
                    for code in bad
                ]
            },
        )


# --- reading the map -------------------------------------------------------------------------


def list_areas(*, level: str | None = None, parent_code: str | None = None) -> Select[tuple[Area]]:
    """Areas filtered by level and/or parent, ordered by code (to be paginated by the caller)."""
    stmt = select(Area).order_by(Area.code)
    if level is not None:
        stmt = stmt.where(Area.level == level)
    if parent_code is not None:
        stmt = stmt.where(Area.parent_code == parent_code)
    return stmt


def get_area(*, code: str) -> Area:
    """One area by code, or NotFound."""
    area = db.session.get(Area, code)
    if area is None:
        raise NotFound("没有这个编码的区域。", code="area_not_found")
    return area


def area_with_descendants(*, code: str, down_to: str) -> list[Area]:
    """The area and every area under it, level by level, down to (and including) `down_to`."""
    levels = [str(level) for level in Level]
    area = get_area(code=code)
    found, parents = [area], [area.code]
    for level in levels[levels.index(area.level) + 1: levels.index(down_to) + 1]:
        children = list(db.session.scalars(select(Area).where(Area.parent_code.in_(parents),
                                                              Area.level == level).order_by(Area.code)))
        found.extend(children)
        parents = [child.code for child in children]
    return found


def area_chain(*, code: str) -> list[Area]:
    """The area and its ancestors, most specific first."""
    return _with_ancestors(get_area(code=code), {})


def area_chains(*, codes: Iterable[str], loaded: Iterable[Area] = ()) -> dict[str, list[Area]]:
    """The chains of many areas at once (one query per level of the tree, for what `loaded` lacks);
    unknown codes are left out."""
    codes = set(codes)
    known: dict[str, Area] = {area.code: area for area in loaded}
    wanted = _still_wanted(codes, known)
    for _ in LEVEL_DEPTH:
        if not wanted:
            break
        found = db.session.scalars(select(Area).where(Area.code.in_(wanted))).all()
        known.update((area.code, area) for area in found)
        wanted = {area.parent_code for area in found if area.parent_code and area.parent_code not in known}
    return {code: _with_ancestors(known[code], known) for code in codes if code in known}


def _still_wanted(codes: set[str], known: Mapping[str, Area]) -> set[str]:
    """The codes, and the ancestors of known ones, that are not known yet (where the walk starts)."""
    wanted: set[str] = set()
    for code in codes:
        for _ in LEVEL_DEPTH:  # bounded by the tree's depth, like _with_ancestors
            if code not in known:
                wanted.add(code)
                break
            code = known[code].parent_code
            if code is None:
                break
    return wanted


# Built once: each call then only expands the tile list (a fresh in_() costs more than the query).
_LOCATE_CANDIDATES = select(Area).where(
    Area.tile.in_(bindparam("tiles", expanding=True)),
    Area.min_lat <= bindparam("lat"),
    Area.max_lat >= bindparam("lat"),
    Area.min_lon <= bindparam("lon"),
    Area.max_lon >= bindparam("lon"),
)


def locate(*, lat: float, lon: float) -> list[Area]:
    """The areas containing the point, most specific first; [] when it lies in none.

    Bounding boxes are matched in SQL (the point's tiles on an index, then the box itself),
    then shapely decides on the few candidates; a point on a shared border goes to the
    smallest code of the deepest level.
    """
    params = {"tiles": tiles_near_point(lat, lon), "lat": lat, "lon": lon}
    candidates = db.session.scalars(_LOCATE_CANDIDATES, params).all()
    by_code = {area.code: area for area in candidates}
    code = most_specific_covering(
        lat, lon, ((area.code, area.level, area.geometry) for area in candidates if area.geometry)
    )
    return [] if code is None else _with_ancestors(by_code[code], by_code)


def community_of(chain: Iterable[Area]) -> Area | None:
    """The community in a chain of areas (from locate or area_chain), if there is one."""
    return next((area for area in chain if area.level == Level.COMMUNITY), None)


def _with_ancestors(area: Area, known: Mapping[str, Area]) -> list[Area]:
    chain = [area]
    # Bounded by the tree's depth; also stops on a (corrupt) cycle.
    while chain[-1].parent_code is not None and len(chain) < len(LEVEL_DEPTH):
        parent_code = chain[-1].parent_code
        parent = known.get(parent_code) or db.session.get(Area, parent_code)
        if parent is None:
            break
        chain.append(parent)
    return chain


# --- responsible workers ---------------------------------------------------------------------


def set_area_workers(*, actor: User, code: str, user_ids: Sequence[int]) -> list[User]:
    """Replace the grid workers responsible for a grid or micro-grid (admin, or its secretary)."""
    area = _locked_area(code)
    if area.level not in GRID_LEVELS:
        raise Unprocessable(
            "只能为网格和微网格指定责任网格员。",
            code="not_a_grid",
            details={"code": code, "level": area.level},
        )
    community = community_of(_with_ancestors(area, {}))
    _require_map_keeper(actor, community)
    workers = _grid_workers_of(community, sorted(set(user_ids)))
    db.session.execute(delete(AreaWorker).where(AreaWorker.area_code == code))
    now = clock.utcnow()
    db.session.add_all(AreaWorker(area_code=code, user_id=w.id, created_at=now) for w in workers)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("刚才有人修改了这些网格员，请再试一次。") from None
    return workers


def list_area_workers(*, actor: User, code: str) -> list[User]:
    """The grid workers responsible for an area (admin, or the secretary of its community)."""
    area = get_area(code=code)
    _require_map_keeper(actor, community_of(_with_ancestors(area, {})))
    return list(responsible_workers(code=code))


def responsible_workers(*, code: str) -> Sequence[User]:
    """The active grid workers responsible for a grid or micro-grid, by id."""
    return db.session.scalars(
        select(User)
        .join(AreaWorker, AreaWorker.user_id == User.id)
        .where(
            AreaWorker.area_code == code,
            User.role == Role.GRID_WORKER,
            User.status == UserStatus.ACTIVE,
        )
        .order_by(User.id)
    ).all()


def _locked_area(code: str) -> Area:
    # Row lock on PostgreSQL serialises two edits of one area; SQLite's writer lock already does.
    area = db.session.scalar(select(Area).where(Area.code == code).with_for_update())
    if area is None:
        raise NotFound("没有这个编码的区域。", code="area_not_found")
    return area


def _require_map_keeper(actor: User, community: Area | None) -> None:
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.SECRETARY and community is not None and actor.area_code == community.code:
        return
    raise Forbidden("这个网格不在你的社区。", code="outside_your_area")


def _grid_workers_of(community: Area | None, user_ids: Sequence[int]) -> list[User]:
    if len(user_ids) > MAX_WORKERS_PER_AREA:
        raise ValidationFailed(f"每个网格最多{MAX_WORKERS_PER_AREA}名网格员。")
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    community_code = community.code if community is not None else None
    reasons = {user_id: _why_not_worker(users.get(user_id), community_code) for user_id in user_ids}
    bad = {user_id: reason for user_id, reason in reasons.items() if reason is not None}
    if bad:
        raise ValidationFailed(
            "其中有人不能负责这个网格。",
            code="invalid_workers",
            details={"user_ids": {str(user_id): reason for user_id, reason in bad.items()}},
        )
    return [users[user_id] for user_id in user_ids]


def _why_not_worker(user: User | None, community_code: str | None) -> str | None:
    # Community first: nothing is said about the role or status of people outside it.
    if user is None or community_code is None or user.area_code != community_code:
        return "不是本社区的网格员。"
    if user.role != Role.GRID_WORKER:
        return "不是网格员。"
    if user.status != UserStatus.ACTIVE:
        return "账号未启用。"
    return None
