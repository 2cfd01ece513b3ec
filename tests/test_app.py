"""App-wide behaviour: the error shape, the OpenAPI document, categories, config safety."""
from __future__ import annotations

import threading

import pytest

from app import create_app
from config import ProductionConfig, TestingConfig
from tests.factories import auth_headers, make_user


def test_categories_are_reference_data_right_after_migration(client):
    response = client.get("/api/v1/categories")
    assert response.status_code == 200
    codes = {c["code"] for c in response.get_json()}
    assert {"flying_lead_charging", "ebike_in_corridor", "fire_exit_blocked", "illegal_ads",
            "illegal_parking", "manhole_cover", "road_damage", "streetlight_out", "garbage",
            "other"} <= codes
    flying = next(c for c in response.get_json() if c["code"] == "flying_lead_charging")
    assert flying["name_zh"] == "飞线充电" and flying["urgent"] is True
    assert flying["accept_minutes"] < 60  # a fire risk gets a short deadline
    assert "飞线充电".encode() in response.data  # readable UTF-8, not \\u escapes


def test_admin_adds_a_category_others_cannot(client, app):
    body = {"code": "dangerous_tree", "name_zh": "树木倾倒", "name_en": "Falling tree", "points": 6,
            "accept_minutes": 30, "resolve_hours": 24}
    rider = make_user(app, "rider")
    assert client.post("/api/v1/categories", json=body, headers=auth_headers(app, rider)).status_code == 403
    admin = make_user(app, "admin")
    assert client.post("/api/v1/categories", json=body, headers=auth_headers(app, admin)).status_code == 201
    assert client.post("/api/v1/categories", json=body, headers=auth_headers(app, admin)).status_code == 409
    bad = client.post("/api/v1/categories", json={**body, "code": "Bad Code"}, headers=auth_headers(app, admin))
    assert bad.status_code == 400


def test_two_admins_adding_the_same_category_at_once_get_one_201_and_one_409(app):
    body = {"code": "fallen_tree", "name_zh": "树木倒伏", "name_en": "Fallen tree", "points": 6,
            "accept_minutes": 30, "resolve_hours": 24}
    admins = [make_user(app, "admin") for _ in range(2)]
    start, statuses = threading.Barrier(2), []

    def add(admin) -> None:
        client = app.test_client()
        start.wait()
        statuses.append(client.post("/api/v1/categories", json=body, headers=auth_headers(app, admin)).status_code)

    threads = [threading.Thread(target=add, args=(admin,)) for admin in admins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [201, 409]


@pytest.mark.parametrize("method, path, status, code", [
    ("get", "/api/v1/nowhere", 404, "not_found"),
    ("delete", "/api/v1/categories", 405, "method_not_allowed"),
    ("get", "/api/v1/me", 401, "missing_token"),
])
def test_framework_errors_are_json_in_our_shape(client, method, path, status, code):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert response.get_json()["error"]["code"] == code


def test_an_unexpected_crash_is_a_json_500_without_a_trace(database_url, tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        UPLOAD_DIR = str(tmp_path)
        PROPAGATE_EXCEPTIONS = False

    crashing = create_app(Config)

    @crashing.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = crashing.test_client().get("/boom")
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


def test_too_large_body_is_413_json(client, app):
    response = client.post("/api/v1/auth/login", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                           content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"] and "/api/v1/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/me"]["get"]["security"] == [{"bearerAuth": []}]
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Login")
    assert "400" in login["responses"] and "422" not in login["responses"]
    assert "error" in spec["components"]["schemas"]["Error"]["properties"]
    upload = spec["paths"]["/api/v1/reports"]["post"]["requestBody"]["content"]["multipart/form-data"]
    fields = spec["components"]["schemas"][upload["schema"]["$ref"].rsplit("/", 1)[1]]
    assert {"category", "lat", "lon", "photos"} <= set(fields["required"])
    assert fields["properties"]["photos"]["items"]["format"] == "binary"
    docs = client.get("/docs")
    assert docs.status_code == 200 and b"swagger" in docs.data.lower()


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "dev-only-secret-change-me")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_errors_speak_chinese_to_the_person_who_reads_them(client, app):
    """Riders and secretaries read these messages on a phone or beside a form field."""
    bad_form = client.post("/api/v1/auth/register", json={"phone": "123", "password": "short"}).get_json()
    assert _has_chinese(bad_form["error"]["message"])
    fields = bad_form["error"]["details"]["fields"]
    assert fields["name"] == ["必填。"]
    assert all(_has_chinese(text) for texts in fields.values() for text in texts)
    wrong_login = client.post("/api/v1/auth/login", json={"phone": "13800138000", "password": "Wrong1234"})
    assert wrong_login.status_code == 401
    assert wrong_login.get_json()["error"]["message"] == "手机号或密码不正确。"
    unknown_path = client.get("/api/v1/no-such-thing").get_json()["error"]
    assert unknown_path["code"] == "not_found" and _has_chinese(unknown_path["message"])
    rider = make_user(app, role="rider")
    no_report = client.post("/api/v1/reports/999/evaluate", json={"rating": 5}, headers=auth_headers(app, rider))
    assert no_report.status_code == 404
    assert no_report.get_json()["error"]["message"] == "找不到这条上报。"
