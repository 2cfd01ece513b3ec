"""`flask photos gc` spares every file a row names — a report's, a suggestion's, a delivery's — and
removes the rest."""
from __future__ import annotations

import io
from pathlib import Path

from app.auth.models import Role
from app.photos.references import photo_file_columns
from app.photos.storage import PhotoStore
from tests.factories import auth_headers, make_user
from tests.images import jpeg_bytes
from tests.mapdata import COMMUNITY, IN_WEST, load_small_map


def test_files_of_reports_suggestions_and_deliveries_survive_the_sweep(app, client):
    load_small_map(app)
    rider = auth_headers(app, make_user(app, Role.RIDER, area_code=COMMUNITY))
    secretary = auth_headers(app, make_user(app, Role.SECRETARY, area_code=COMMUNITY))
    lat, lon = (str(v) for v in IN_WEST)

    def upload(seed: int) -> tuple[io.BytesIO, str]:
        return io.BytesIO(jpeg_bytes(seed=seed)), f"IMG_{seed}.jpg"

    shown = []
    report = client.post("/api/v1/reports", headers=rider, content_type="multipart/form-data", data={
        "category": "garbage", "lat": lat, "lon": lon, "photos": [upload(1)]})
    shown += report.json["photos"]
    suggestion = client.post("/api/v1/suggestions", headers=rider, content_type="multipart/form-data", data={
        "content": "路口垃圾桶太少，建议加两个。", "photos": [upload(2)]})
    shown += suggestion.json["photos"]
    campaign = client.post("/api/v1/campaigns", headers=secretary, json={
        "title": "反诈宣传", "body": "不转账、不透露验证码。", "starts_on": "2020-01-01", "ends_on": "2099-12-31",
        "points_per_delivery": 1, "daily_cap": 10}).json
    delivery = client.post(f"/api/v1/campaigns/{campaign['id']}/deliveries", headers=rider,
                           content_type="multipart/form-data",
                           data={"count": "2", "lat": lat, "lon": lon, "photo": [upload(3)]})
    shown.append(delivery.json["photo"])
    assert [r.status_code for r in (report, suggestion, delivery)] == [201, 201, 201]
    orphan = PhotoStore(app.config["UPLOAD_DIR"]).put(jpeg_bytes(seed=4)).key  # a killed upload's file

    result = app.test_cli_runner().invoke(args=["photos", "gc", "--older-than-minutes", "0"])
    assert result.exit_code == 0
    assert "removed 1 files (1 orphan photo files, 0 leftover temp files)" in result.output
    remaining = {p.name for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()}
    assert orphan not in remaining and len(remaining) == 6
    for photo in shown:
        assert client.get(photo["url"]).status_code == 200
        assert client.get(photo["thumbnail_url"]).status_code == 200


def test_every_column_holding_photo_keys_is_known_to_the_sweep(app_ctx):
    known = {(column.table.name, column.name) for column in photo_file_columns()}
    assert known == {("report_photos", "image_key"), ("report_photos", "thumbnail_key"),
                     ("suggestion_photos", "image_key"), ("suggestion_photos", "thumbnail_key"),
                     ("campaign_deliveries", "photo_key"), ("campaign_deliveries", "photo_thumbnail_key"),
                     ("campaigns", "leaflet_key"), ("campaigns", "leaflet_thumbnail_key")}
