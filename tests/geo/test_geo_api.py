"""Grid map and presence endpoints: bad input, permissions, shapes, the CLI."""

from __future__ import annotations

import copy
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.dispatch.models import WorkerPresence
from app.extensions import db
from app.geo.cli import areas_cli
from app.geo.demo_map import build_demo_map, feature
from app.geo.models import Area, AreaWorker
from tests.factories import auth_headers, make_user
from tests.geo.conftest import GRID, LIZI, MANCHUN, MICRO, OTHER_GRID

ROLES = [role.value for role in Role]
SQUARE = ((106.0, 38.0), (106.1, 38.0), (106.1, 38.1), (106.0, 38.1))


@pytest.fixture
def people(app, demo_map):
    return {
        "admin": make_user(app, Role.ADMIN),
        "secretary": make_user(app, Role.SECRETARY, area_code=MANCHUN),
        "grid_worker": make_user(app, Role.GRID_WORKER, area_code=MANCHUN),
        "rider": make_user(app, Role.RIDER, area_code=MANCHUN),
        "dispatcher": make_user(app, Role.DISPATCHER, area_code="640106"),
        "department": make_user(app, Role.DEPARTMENT, area_code="640106"),
    }


@pytest.fixture
def as_(app, people):
    return lambda role: auth_headers(app, people[role])


def snapshot(app):
    """Every area row as stored, to prove a refused import wrote nothing."""
    with app.app_context():
        rows = db.session.execute(
            select(
                Area.code, Area.name, Area.level, Area.parent_code, Area.geometry, Area.updated_at
            ).order_by(Area.code)
        ).all()
        return [tuple(row) for row in rows]


# --- import ----------------------------------------------------------------------------------


def test_import_json_body_then_again_is_a_no_op(app, client):
    admin = make_user(app, Role.ADMIN)
    data = build_demo_map()
    first = client.post("/api/v1/areas/import", json=data, headers=auth_headers(app, admin))
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"created": len(data["features"]), "updated": 0, "unchanged": 0}
    again = client.post("/api/v1/areas/import", json=data, headers=auth_headers(app, admin))
    assert again.get_json() == {"created": 0, "updated": 0, "unchanged": len(data["features"])}


def test_import_multipart_file_updates_in_place(client, as_, app):
    data = build_demo_map()
    data["features"][0]["properties"]["name"] = "金凤区（改）"
    body = {"file": (io.BytesIO(json.dumps(data).encode()), "map.geojson")}
    response = client.post(
        "/api/v1/areas/import", data=body, headers=as_("admin"), content_type="multipart/form-data"
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["updated"] == 1
    assert (
        client.get("/api/v1/areas/640106", headers=as_("rider")).get_json()["name"]
        == "金凤区（改）"
    )


def _bad_feature(**changes):
    good = feature("BAD1", "坏", "grid", MANCHUN, SQUARE)
    good["properties"].update(changes.pop("properties", {}))
    good.update(changes)
    return good


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[106.0, 38.0], [106.1, 38.1], [106.1, 38.0], [106.0, 38.1], [106.0, 38.0]]],
}
SWAPPED = {
    "type": "Polygon",
    "coordinates": [[[38.0, 106.0], [38.1, 106.0], [38.1, 106.1], [38.0, 106.0]]],
}


@pytest.mark.parametrize(
    ("features", "problem"),
    [
        ([_bad_feature(properties={"level": "province"})], "unknown_level"),
        ([_bad_feature(properties={"parent_code": "640106999999"})], "missing_parent"),
        ([_bad_feature(properties={"level": "micro_grid"})], "level_order"),
        ([_bad_feature(geometry=BOWTIE)], "invalid_polygon"),
        ([_bad_feature(geometry=SWAPPED)], "coordinates_out_of_range"),
        ([_bad_feature(), _bad_feature()], "duplicate_code"),
        (
            [_bad_feature(geometry={"type": "Point", "coordinates": [106.0, 38.0]})],
            "unsupported_geometry",
        ),
    ],
)
def test_bad_features_are_listed_by_code_and_nothing_is_written(
    client, as_, app, features, problem
):
    before = snapshot(app)
    fine = copy.deepcopy(build_demo_map())
    fine["features"][3]["properties"]["name"] = "不该写入"
    fine["features"].extend(features)
    response = client.post("/api/v1/areas/import", json=fine, headers=as_("admin"))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_geojson"
    listed = {
        (entry["code"], p["code"])
        for entry in error["details"]["features"]
        for p in entry["problems"]
    }
    assert ("BAD1", problem) in listed
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("body", "content_type", "problem"),
    [
        (b"this is not json", "application/json", "not_json"),
        (b"", "application/json", "not_json"),
        (b'{"type": "Feature", "geometry": null}', "application/json", "not_feature_collection"),
        (b"[1, 2, 3]", "application/geo+json", "not_feature_collection"),
        (b'{"type": "FeatureCollection", "features": []}', "application/json", "empty"),
    ],
)
def test_files_that_are_not_a_feature_collection(client, as_, app, body, content_type, problem):
    before = snapshot(app)
    response = client.post(
        "/api/v1/areas/import", data=body, headers=as_("admin"), content_type=content_type
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["file"][0]["code"] == problem
    assert snapshot(app) == before


def test_multipart_without_file(client, as_):
    response = client.post(
        "/api/v1/areas/import",
        data={"other": "x"},
        headers=as_("admin"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_import(client, as_, role):
    response = client.post("/api/v1/areas/import", json=build_demo_map(), headers=as_(role))
    assert response.status_code == (200 if role == "admin" else 403)


def test_import_needs_a_login(client):
    assert client.post("/api/v1/areas/import", json=build_demo_map()).status_code == 401


# --- reading ---------------------------------------------------------------------------------


def test_locate(client, as_):
    response = client.get("/api/v1/areas/locate?lat=38.48&lon=106.22", headers=as_("rider"))
    assert response.status_code == 200
    areas = response.get_json()["areas"]
    assert [a["level"] for a in areas] == ["micro_grid", "grid", "community", "street", "district"]
    assert areas[2] == {
        "code": MANCHUN,
        "name": "满春园社区",
        "level": "community",
        "parent_code": "640106001",
    }
    assert "geometry" not in areas[0]


def test_locate_outside_is_an_empty_list(client, as_):
    response = client.get("/api/v1/areas/locate?lat=10&lon=10", headers=as_("rider"))
    assert response.status_code == 200 and response.get_json()["areas"] == []


@pytest.mark.parametrize("query", ["lat=91&lon=106", "lat=38&lon=181", "lat=x&lon=1", "lat=38"])
def test_locate_rejects_bad_coordinates(client, as_, query):
    response = client.get(f"/api/v1/areas/locate?{query}", headers=as_("rider"))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_list_filters_and_pages(client, as_):
    response = client.get(
        f"/api/v1/areas?level=grid&parent={MANCHUN}&per_page=3", headers=as_("grid_worker")
    )
    page = response.get_json()
    assert page["total"] == 4 and page["per_page"] == 3
    assert [a["code"] for a in page["items"]] == [MANCHUN + f"{i:02d}" for i in (1, 2, 3)]
    second = client.get(
        f"/api/v1/areas?level=grid&parent={MANCHUN}&per_page=3&page=2", headers=as_("grid_worker")
    ).get_json()
    assert [a["code"] for a in second["items"]] == [MANCHUN + "04"]
    assert client.get("/api/v1/areas?level=city", headers=as_("rider")).status_code == 400


def test_get_one_with_geometry(client, as_):
    area = client.get(f"/api/v1/areas/{MICRO}", headers=as_("rider")).get_json()
    assert area["geometry"]["type"] == "Polygon"
    assert area["parent_code"] == GRID and len(area["bbox"]) == 4
    missing = client.get("/api/v1/areas/nope", headers=as_("rider"))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "area_not_found"


# --- responsible workers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("admin", GRID, 200),
        ("admin", OTHER_GRID, 200),
        ("secretary", GRID, 200),
        ("secretary", MICRO, 200),
        ("secretary", OTHER_GRID, 403),
        ("grid_worker", GRID, 403),
        ("rider", GRID, 403),
        ("dispatcher", GRID, 403),
        ("department", GRID, 403),
    ],
)
def test_who_may_set_workers(client, as_, app, role, code, status):
    mine = make_user(app, Role.GRID_WORKER, area_code=MANCHUN)
    neighbour = make_user(app, Role.GRID_WORKER, area_code=LIZI)
    user = neighbour if code == OTHER_GRID else mine
    response = client.put(
        f"/api/v1/areas/{code}/workers", json={"user_ids": [user.id]}, headers=as_(role)
    )
    assert response.status_code == status, response.get_json()
    with app.app_context():
        stored = db.session.scalars(select(AreaWorker.user_id).where(AreaWorker.area_code == code))
        assert list(stored) == ([user.id] if status == 200 else [])
    if status == 200:
        assert response.get_json()["workers"] == [
            {"id": user.id, "name": user.name, "phone": user.phone}
        ]


def test_set_workers_bad_input(client, as_, app, people):
    neighbour = make_user(app, Role.GRID_WORKER, area_code=LIZI)
    wrong = client.put(
        f"/api/v1/areas/{GRID}/workers",
        json={"user_ids": [neighbour.id, people["rider"].id]},
        headers=as_("admin"),
    )
    assert wrong.status_code == 400
    assert set(wrong.get_json()["error"]["details"]["user_ids"]) == {
        str(neighbour.id),
        str(people["rider"].id),
    }
    not_grid = client.put(
        f"/api/v1/areas/{MANCHUN}/workers", json={"user_ids": []}, headers=as_("admin")
    )
    assert not_grid.status_code == 422
    assert (
        client.put(
            "/api/v1/areas/nope/workers", json={"user_ids": []}, headers=as_("admin")
        ).status_code
        == 404
    )
    assert (
        client.put(
            f"/api/v1/areas/{GRID}/workers", json={"user_ids": "1"}, headers=as_("admin")
        ).status_code
        == 400
    )


def test_setting_workers_says_nothing_about_people_outside_the_community(client, as_, app, people):
    """A secretary probing ids learns only "not a worker of yours", whatever the account is."""
    outsiders = [people["dispatcher"].id, make_user(app, Role.SECRETARY, area_code=LIZI).id,
                 make_user(app, Role.GRID_WORKER, area_code=LIZI, status="disabled").id, 2_000_000]
    response = client.put(f"/api/v1/areas/{GRID}/workers", json={"user_ids": outsiders},
                          headers=as_("secretary"))
    assert response.status_code == 400
    reasons = response.get_json()["error"]["details"]["user_ids"]
    assert set(reasons) == {str(i) for i in outsiders} and len(set(reasons.values())) == 1


def test_list_workers(client, as_, people):
    worker = people["grid_worker"]
    client.put(
        f"/api/v1/areas/{GRID}/workers", json={"user_ids": [worker.id]}, headers=as_("admin")
    )
    listed = client.get(f"/api/v1/areas/{GRID}/workers", headers=as_("secretary")).get_json()
    assert [w["id"] for w in listed["workers"]] == [worker.id]


# --- presence --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "/api/v1/me/duty", {"on_duty": True, "lat": 38.48, "lon": 106.22}),
        ("post", "/api/v1/me/location", {"lat": 38.48, "lon": 106.22}),
        ("get", "/api/v1/me/duty", None),
    ],
)
def test_only_grid_workers_have_presence(client, as_, app, role, method, path, body):
    if role == "grid_worker" and path.endswith("location"):
        client.put("/api/v1/me/duty", json={"on_duty": True, "lat": 1, "lon": 1}, headers=as_(role))
    response = getattr(client, method)(path, json=body, headers=as_(role))
    assert response.status_code == (200 if role == "grid_worker" else 403)


def test_duty_and_location_through_the_api(client, as_, app, people, monkeypatch):
    now = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
    monkeypatch.setattr("app.common.clock.utcnow", lambda: now)
    headers = as_("grid_worker")
    off = client.post("/api/v1/me/location", json={"lat": 38.48, "lon": 106.22}, headers=headers)
    assert off.status_code == 409 and off.get_json()["error"]["code"] == "off_duty"
    on = client.put(
        "/api/v1/me/duty", json={"on_duty": True, "lat": 38.48, "lon": 106.22}, headers=headers
    ).get_json()
    assert on["on_duty"] and on["fresh"]
    assert datetime.fromisoformat(on["fresh_until"]) == now + timedelta(minutes=15)
    now += timedelta(minutes=20)
    assert client.get("/api/v1/me/duty", headers=headers).get_json()["fresh"] is False
    moved = client.post(
        "/api/v1/me/location",
        json={"lat": 38.481, "lon": 106.221, "accuracy_m": 12},
        headers=headers,
    ).get_json()
    assert (moved["lat"], moved["accuracy_m"], moved["fresh"]) == (38.481, 12, True)
    client.put("/api/v1/me/duty", json={"on_duty": False}, headers=headers)
    with app.app_context():
        row = db.session.get(WorkerPresence, people["grid_worker"].id)
        assert (row.on_duty, row.lat, row.lon) == (False, None, None)


@pytest.mark.parametrize(
    "body",
    [
        {"on_duty": True},
        {"on_duty": True, "lat": 95, "lon": 106},
        {"lat": 38, "lon": 106},
        {"on_duty": "maybe", "lat": 38, "lon": 106},
    ],
)
def test_duty_bad_input(client, as_, body):
    response = client.put("/api/v1/me/duty", json=body, headers=as_("grid_worker"))
    assert response.status_code in (400, 422)
    assert "error" in response.get_json()


# --- CLI -------------------------------------------------------------------------------------


def test_cli_import(app, tmp_path):
    good = tmp_path / "map.geojson"
    good.write_text(json.dumps(build_demo_map()), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(areas_cli, ["import", str(good)])
    assert result.exit_code == 0, result.output
    assert f"created {len(build_demo_map()['features'])}" in result.output
    bad = tmp_path / "bad.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [_bad_feature(properties={"level": "province"})],
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(areas_cli, ["import", str(bad)])
    assert result.exit_code != 0 and "BAD1" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Area)) == len(
            build_demo_map()["features"]
        )
