"""送政策上门 leaflets and reach through HTTP: an image or a PDF checked by content and stored like
photos (nothing left behind when refused or unsaved), riders open it by its signed link, and the
secretary's breakdown by rider and grid, in the JSON summary and the CSV."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.campaigns.models import Campaign
from app.extensions import db
from app.photos.references import remove_orphan_photos
from app.photos.service import photo_store
from tests.factories import auth_headers, make_community, make_user
from tests.images import jpeg_bytes, pdf_bytes, png_bytes
from tests.mapdata import COMMUNITY, GRID_EAST, GRID_WEST, IN_WEST, OUTSIDE, load_small_map
from tests.support.uploads import stored_files

TERMS = {"title": "居民医保缴费提醒", "body": "2027年度城乡居民医保缴费截止12月31日。",
         "starts_on": "2020-01-01", "ends_on": "2099-12-31", "points_per_delivery": "1", "daily_cap": "20"}


@pytest.fixture
def people(app):
    load_small_map(app)
    other = make_community(app, "640106001009")
    users = {"secretary": make_user(app, Role.SECRETARY, area_code=COMMUNITY),
             "rider": make_user(app, Role.RIDER, area_code=COMMUNITY, name="张小明"),
             "rider2": make_user(app, Role.RIDER, area_code=COMMUNITY, name="李大壮"),
             "stranger": make_user(app, Role.RIDER, area_code=other),
             "other_secretary": make_user(app, Role.SECRETARY, area_code=other),
             "admin": make_user(app, Role.ADMIN)}
    return {name: (user, auth_headers(app, user)) for name, user in users.items()}



def _campaigns(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Campaign))


def _post(client, people, leaflet: bytes | None, name: str = "leaflet.pdf", **over):
    data = {**TERMS, **over}
    if leaflet is not None:
        data["leaflet"] = (io.BytesIO(leaflet), name)
    return client.post("/api/v1/campaigns", data=data, headers=people["secretary"][1],
                       content_type="multipart/form-data")


def test_a_pdf_leaflet_is_stored_and_riders_of_the_community_download_it(app, client, people):
    pdf = pdf_bytes()
    response = _post(client, people, pdf)
    assert response.status_code == 201, response.json
    leaflet = response.json["leaflet"]
    assert leaflet["kind"] == "pdf" and leaflet["thumbnail_url"] is None
    listed = client.get("/api/v1/campaigns", headers=people["rider"][1]).json["items"]
    assert [item["id"] for item in listed] == [response.json["id"]]
    served = client.get(listed[0]["leaflet"]["url"])
    assert served.status_code == 200 and served.data == pdf  # kept as sent
    assert served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")  # never drawn in our origin
    assert client.get("/api/v1/campaigns", headers=people["stranger"][1]).json["items"] == []


def test_an_image_leaflet_goes_through_the_photo_pipeline(app, client, people):
    response = _post(client, people, png_bytes(640, 480), name="海报.png")
    assert response.status_code == 201, response.json
    leaflet = response.json["leaflet"]
    assert leaflet["kind"] == "image"
    image, thumbnail = client.get(leaflet["url"]), client.get(leaflet["thumbnail_url"])
    assert image.mimetype == "image/jpeg" and image.data.startswith(b"\xff\xd8")  # re-encoded, no metadata
    assert thumbnail.status_code == 200 and len(thumbnail.data) < len(image.data)
    assert len(stored_files(app)) == 2


def test_json_and_multipart_without_a_leaflet_both_create(client, people):
    as_json = client.post("/api/v1/campaigns", json={**TERMS, "points_per_delivery": 1, "daily_cap": 20},
                          headers=people["secretary"][1])
    as_form = _post(client, people, None, title="反诈宣传")
    assert (as_json.status_code, as_form.status_code) == (201, 201)
    assert as_json.json["leaflet"] is None and as_form.json["leaflet"] is None


@pytest.mark.parametrize("name, data, status, code", [
    ("fake.pdf", b"MZ\x90\x00" + b"\x00" * 200, 415, "unsupported_leaflet_type"),  # an .exe renamed
    ("notes.pdf", "通知：请按时缴费".encode(), 415, "unsupported_leaflet_type"),
    ("cut.pdf", pdf_bytes()[:-40], 400, "corrupt_leaflet"),  # a PDF cut off before its %%EOF
    ("broken.jpg", jpeg_bytes()[:200], 400, "corrupt_photo"),
])
def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_is_written(app, client, people, name, data,
                                                                           status, code):
    response = _post(client, people, data, name=name)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)
    assert "传单" in response.json["error"]["message"] or "照片" in response.json["error"]["message"]
    assert _campaigns(app) == 0 and stored_files(app) == []


def test_a_pdf_over_the_limit_is_413_and_nothing_is_written(app, client, people, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_LEAFLET_PDF_BYTES", 1024)
    big = pdf_bytes().replace(b"%%EOF", b" " * 2000 + b"%%EOF")
    response = _post(client, people, big)
    assert response.status_code == 413 and response.json["error"]["code"] == "leaflet_too_large"
    assert _campaigns(app) == 0 and stored_files(app) == []


def test_bad_terms_with_a_good_leaflet_write_no_file(app, client, people):
    response = _post(client, people, pdf_bytes(), ends_on="2019-01-01")
    assert response.status_code == 400 and "ends_on" in response.json["error"]["details"]["fields"]
    assert _campaigns(app) == 0 and stored_files(app) == []


def test_a_failed_database_write_leaves_no_file(app, client, people, monkeypatch):
    def lost_connection() -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(db.session, "commit", lost_connection)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = _post(client, people, pdf_bytes())
    assert response.status_code == 500
    monkeypatch.undo()
    assert _campaigns(app) == 0 and stored_files(app) == []


def test_a_retry_gives_back_the_first_campaign(app, client, people):
    first, again = _post(client, people, pdf_bytes()), _post(client, people, pdf_bytes())
    assert first.json["id"] == again.json["id"] and _campaigns(app) == 1
    assert len(stored_files(app)) == 1


def test_the_orphan_sweep_keeps_leaflets_and_removes_what_nothing_refers_to(app, client, people):
    from datetime import timedelta

    assert _post(client, people, png_bytes(320, 240)).status_code == 201
    with app.app_context():
        orphan = photo_store().put(b"%PDF-1.4 left by a killed request %%EOF", ".pdf")
        removed = remove_orphan_photos(store=photo_store(), older_than=timedelta(seconds=-1))
    assert removed.keys == [orphan.key]
    assert len(stored_files(app)) == 2  # the leaflet and its thumbnail stay


def _deliver(client, people, campaign_id: int, at: tuple[float, float], count: int, who: str = "rider"):
    response = client.post(f"/api/v1/campaigns/{campaign_id}/deliveries",
                           json={"count": count, "lat": at[0], "lon": at[1]}, headers=people[who][1])
    assert response.status_code == 201, response.json


def _reached(client, people) -> int:
    campaign = _post(client, people, None).json
    _deliver(client, people, campaign["id"], IN_WEST, 3)
    _deliver(client, people, campaign["id"], IN_WEST, 2, who="rider2")
    _deliver(client, people, campaign["id"], OUTSIDE, 1, who="rider2")
    return campaign["id"]


def test_the_summary_breaks_down_by_rider_and_by_grid_of_the_community(client, people):
    campaign_id = _reached(client, people)
    summary = client.get(f"/api/v1/campaigns/{campaign_id}", headers=people["secretary"][1]).json
    assert (summary["deliveries"], summary["leaflets"], summary["riders"]) == (3, 6, 2)
    assert [(r["rider"]["name"], r["deliveries"], r["leaflets"]) for r in summary["by_rider"]] == [
        ("张小明", 1, 3), ("李大壮", 2, 3)]
    assert [(g["grid_name"], g["leaflets"]) for g in summary["by_grid"]] == [
        ("满春园一网格", 5), (None, 1), ("满春园二网格", 0)]  # the east grid: not reached yet
    assert (summary["grids_reached"], summary["grids_total"]) == (1, 2)
    assert summary["by_grid"][2]["grid_code"] == GRID_EAST


def test_the_csv_carries_rider_and_grid_of_each_delivery(client, people):
    campaign_id = _reached(client, people)
    response = client.get(f"/api/v1/campaigns/{campaign_id}/export.csv", headers=people["secretary"][1])
    assert response.data.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [(r["骑手"], r["份数"], r["网格编码"], r["网格"]) for r in rows] == [
        ("张小明", "3", GRID_WEST, "满春园一网格"), ("李大壮", "2", GRID_WEST, "满春园一网格"),
        ("李大壮", "1", "", "不在网格内")]
    assert all(len(r["时间（北京时间）"]) == 16 for r in rows)
    by_admin = client.get(f"/api/v1/campaigns/{campaign_id}/export.csv", headers=people["admin"][1])
    assert by_admin.status_code == 200
