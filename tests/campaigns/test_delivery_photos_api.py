"""送政策上门 with a leaflet photo: checked like a report's, one photo at most, a signed link back,
never a half delivery or an orphan file, and a retried upload (same Idempotency-Key) stored once."""
from __future__ import annotations

import io
import threading

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.campaigns.models import Delivery
from app.extensions import db
from app.points.models import LedgerEntry
from tests.factories import auth_headers, make_community, make_user
from tests.images import jpeg_bytes, png_bytes, truncated_jpeg_bytes
from tests.support.uploads import stored_files

HOME = "640104001001"
CAMPAIGN = {"title": "居民医保缴费提醒", "body": "2027年度城乡居民医保缴费截止12月31日。",
            "starts_on": "2020-01-01", "ends_on": "2099-12-31", "points_per_delivery": 2, "daily_cap": 5}


@pytest.fixture
def campaign(app, client):
    make_community(app, HOME)
    secretary = auth_headers(app, make_user(app, Role.SECRETARY, area_code=HOME))
    response = client.post("/api/v1/campaigns", json=CAMPAIGN, headers=secretary)
    assert response.status_code == 201
    return response.json["id"]


@pytest.fixture
def rider(app):
    return auth_headers(app, make_user(app, Role.RIDER, area_code=HOME))


def deliver(client, headers, campaign_id, photos, key=None, **fields):
    form = {"count": "3", "lat": "38.48", "lon": "106.23", **fields,
            "photo": [(io.BytesIO(data), f"leaflet{n}.jpg") for n, data in enumerate(photos)]}
    return client.post(f"/api/v1/campaigns/{campaign_id}/deliveries", data=form, content_type="multipart/form-data",
                       headers={**headers, **({"Idempotency-Key": key} if key else {})})



def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Delivery)),
                db.session.scalar(select(func.count()).select_from(LedgerEntry)))


def test_a_delivery_with_a_leaflet_photo_answers_its_signed_link(app, client, campaign, rider):
    response = deliver(client, rider, campaign, [png_bytes(640, 480)], note="福州街口")
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["campaign_id"], body["count"], body["points"], body["note"]) == (campaign, 3, 6, "福州街口")
    assert (body["photo"]["width"], body["photo"]["height"]) == (640, 480)
    served = client.get(body["photo"]["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"  # re-encoded, whatever came in
    assert client.get(body["photo"]["thumbnail_url"]).status_code == 200
    assert counts(app) == (1, 1) and len(stored_files(app)) == 2


def test_without_a_photo_multipart_and_json_both_record(client, campaign, rider):
    plain = deliver(client, rider, campaign, [])
    assert plain.status_code == 201 and plain.json["photo"] is None
    as_json = client.post(f"/api/v1/campaigns/{campaign}/deliveries", json={"count": 1, "lat": 38.48, "lon": 106.23},
                          headers=rider)
    assert as_json.status_code == 201 and as_json.json["photo"] is None


@pytest.mark.parametrize("bad, status, code", [
    ([truncated_jpeg_bytes()], 400, "corrupt_photo"),
    ([b"GIF89a not what we take"], 415, "unsupported_photo_type"),
    ([jpeg_bytes(seed=1), jpeg_bytes(seed=2)], 400, "too_many_photos"),
], ids=["cut", "not-an-image", "two"])
def test_a_bad_photo_is_refused_in_chinese_and_nothing_is_written(app, client, campaign, rider, bad, status, code):
    response = deliver(client, rider, campaign, bad)
    assert response.status_code == status
    error = response.json["error"]
    assert error["code"] == code and any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    if code == "too_many_photos":
        assert error["details"]["fields"] == {"photo": ["最多附1张照片。"]}
    assert counts(app) == (0, 0) and stored_files(app) == []


@pytest.mark.parametrize("bad", [{"count": "0"}, {"count": "三"}, {"lat": "91"}, {"note": "放在3号楼2单元门口"},
                                 {"note": "给了13812345678"}])
def test_bad_fields_with_a_good_photo_write_nothing(app, client, campaign, rider, bad):
    response = deliver(client, rider, campaign, [jpeg_bytes(seed=4)], **bad)
    assert response.status_code in (400, 422)
    assert counts(app) == (0, 0) and stored_files(app) == []


def test_a_photo_over_the_size_limit_is_413(app, client, campaign, rider, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 20_000)
    response = deliver(client, rider, campaign, [jpeg_bytes(400, 300, noise=0.3)])
    assert response.status_code == 413 and response.json["error"]["message"] == "照片文件太大。"
    assert counts(app) == (0, 0) and stored_files(app) == []


def test_a_retry_with_the_same_key_records_once_and_stores_no_second_file(app, client, campaign, rider):
    first = deliver(client, rider, campaign, [jpeg_bytes(seed=1)], key="tap-deliver-0001")
    files = sorted(stored_files(app))
    again = deliver(client, rider, campaign, [jpeg_bytes(seed=1)], key="tap-deliver-0001")
    assert first.status_code == again.status_code == 201
    assert again.json["id"] == first.json["id"] and again.json["points"] == first.json["points"] == 6
    assert counts(app) == (1, 1) and sorted(stored_files(app)) == files
    other = deliver(client, rider, campaign, [jpeg_bytes(seed=8)], key="tap-deliver-0001")
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert counts(app) == (1, 1) and sorted(stored_files(app)) == files


def test_concurrent_retries_with_a_photo_record_and_store_once(app, campaign, rider):
    barrier, answers = threading.Barrier(4), []

    def retry():
        barrier.wait(timeout=10)
        response = deliver(app.test_client(), rider, campaign, [jpeg_bytes(seed=3)], key="tap-deliver-race")
        answers.append((response.status_code, response.json.get("id")))

    threads = [threading.Thread(target=retry) for _ in range(4)]
    [thread.start() for thread in threads]
    [thread.join(timeout=60) for thread in threads]
    assert {status for status, _ in answers} == {201} and len({i for _, i in answers}) == 1
    assert counts(app) == (1, 1) and len(stored_files(app)) == 2


def test_a_crash_after_the_file_is_written_leaves_no_delivery_and_no_file(app, client, campaign, rider,
                                                                            monkeypatch):
    from app.campaigns import service

    crashed = []

    def crash(**_):
        crashed.append(len(stored_files(app)))  # the delivery is flushed, its files are there
        raise RuntimeError("the ledger write failed")

    monkeypatch.setattr(service.points, "award_once", crash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = deliver(client, rider, campaign, [jpeg_bytes(seed=6)])
    assert response.status_code == 500 and crashed == [2]
    monkeypatch.undo()
    assert counts(app) == (0, 0) and stored_files(app) == []


def test_a_riders_campaign_list_says_what_they_handed_out_today(client, campaign, rider):
    assert client.get("/api/v1/campaigns", headers=rider).json["items"][0]["today"] == {"count": 0, "credited": 0}
    deliver(client, rider, campaign, [])
    deliver(client, rider, campaign, [])  # 6 handed out; the cap of 5 credits 5
    [item] = client.get("/api/v1/campaigns", headers=rider).json["items"]
    assert item["today"] == {"count": 6, "credited": 5} and item["daily_cap"] == 5
