"""Submitting a report from a phone: real photos, multipart, retries, screening."""
from __future__ import annotations

import io
import threading
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from app.auth.models import Role
from tests.factories import auth_headers, make_user
from tests.images import heic_bytes, png_bytes, webp_bytes
from tests.mapdata import COMMUNITY, DISTRICT, GRID_WEST, IN_EAST, IN_WEST, OUTSIDE
from tests.reports.conftest import count_reports, phone_photo
from tests.support.uploads import stored_files


@pytest.mark.usefixtures("write_timing")
def test_phone_report_is_located_cleaned_and_timelined(client, app, submit):
    photo = phone_photo(seed=1, orientation=6)  # stored landscape, shown portrait
    response = submit(photos=[(photo, "IMG_0001.jpg")], address="满春园小区3号楼")
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    # Nobody is on duty and the grid has no responsible worker: the district takes it.
    assert report["status"] == "escalated" and report["category"] == "flying_lead_charging"
    assert [a["code"] for a in report["area"]] == [GRID_WEST, COMMUNITY, "640106001", DISTRICT]
    assert report["reporter"]["name"] == "张骑手" and report["flags"] == []
    assert report["duplicate_of"] is None and report["address"] == "满春园小区3号楼"
    assert [e["action"] for e in report["timeline"]] == ["submit", "escalate"]

    [photo_link] = report["photos"]
    assert (photo_link["width"], photo_link["height"]) == (72, 96)  # EXIF orientation applied
    served = client.get(photo_link["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert image.size == (72, 96)
    assert not image.getexif() and "exif" not in image.info  # no GPS, no device data
    assert client.get(photo_link["thumbnail_url"]).status_code == 200
    assert len(stored_files(app)) == 2  # image and thumbnail

    again = client.get(f"/api/v1/reports/{report['id']}",
                       headers={"Authorization": response.request.headers["Authorization"]})
    assert again.get_json()["timeline"][0]["actor"]["role"] == "rider"


@pytest.mark.parametrize("make, name", [
    (lambda: png_bytes(80, 60, gps=IN_WEST, seed=2), "shot.png"),
    (lambda: webp_bytes(80, 60, gps=IN_WEST, seed=3), "shot.webp"),
    (lambda: heic_bytes(64, 48, gps=IN_WEST, seed=4), "IMG_0002.HEIC"),
])
def test_png_webp_and_iphone_heic_are_accepted(submit, make, name):
    response = submit(photos=[(make(), name)])
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["photos"]) == 1


def test_six_photos_in_one_report(submit):
    photos = [(phone_photo(seed=10 + i), f"IMG_{i}.jpg") for i in range(6)]
    response = submit(photos=photos)
    assert response.status_code == 201
    assert len(response.get_json()["photos"]) == 6


def test_retry_with_the_same_key_returns_the_first_report(app, submit):
    photo = phone_photo(seed=5)
    first = submit(photos=[(photo, "a.jpg")], headers={"Idempotency-Key": "rider-7-report-0001"})
    retry = submit(photos=[(photo, "a.jpg")], headers={"Idempotency-Key": "rider-7-report-0001"})
    assert first.status_code == retry.status_code == 201
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert count_reports(app) == 1

    different = submit(photos=[(photo, "a.jpg")], description="另一个问题",
                       headers={"Idempotency-Key": "rider-7-report-0001"})
    assert different.status_code == 422
    assert different.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count_reports(app) == 1


@pytest.mark.usefixtures("write_timing")
def test_concurrent_retries_create_one_report(app, rider_headers):
    photo = phone_photo(seed=6)
    results: list[tuple[int, int | None]] = []

    def send() -> None:
        response = app.test_client().post(
            "/api/v1/reports", content_type="multipart/form-data",
            headers={**rider_headers, "Idempotency-Key": "same-key-from-a-flaky-network"},
            data={"category": "garbage", "lat": str(IN_WEST[0]), "lon": str(IN_WEST[1]),
                  "photos": [(io.BytesIO(photo), "p.jpg")]})
        results.append((response.status_code, (response.get_json() or {}).get("id")))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in results} == {201}
    assert len({report_id for _, report_id in results}) == 1
    assert count_reports(app) == 1


@pytest.mark.usefixtures("write_timing")
def test_nearby_report_of_the_same_hazard_is_linked_as_duplicate(app, client, submit):
    first = submit(photos=[(phone_photo(seed=7), "a.jpg")]).get_json()
    near = (IN_WEST[0] + 0.0002, IN_WEST[1])  # ~22 m north
    second = submit(at=near, photos=[(phone_photo(seed=8, at=near), "b.jpg")]).get_json()
    other_kind = submit(at=near, category="garbage", photos=[(phone_photo(seed=9, at=near), "c.jpg")])
    far = (IN_WEST[0] + 0.001, IN_WEST[1])  # ~110 m north
    distant = submit(at=far, photos=[(phone_photo(seed=10, at=far), "d.jpg")])
    assert second["duplicate_of"] == first["id"]
    assert other_kind.get_json()["duplicate_of"] is None
    assert distant.get_json()["duplicate_of"] is None


@pytest.mark.usefixtures("write_timing")
def test_an_original_closed_while_the_photos_decode_is_not_linked(app, submit, monkeypatch):
    from sqlalchemy import update

    from app.extensions import db
    from app.reports import service
    from app.reports.models import Report

    first = submit(photos=[(phone_photo(seed=13), "a.jpg")]).get_json()
    real_look_back = service.look_back

    def look_back_then_close_the_original(**kwargs):
        found = real_look_back(**kwargs)
        assert found.original is not None and found.original.id == first["id"]
        with app.app_context():  # staff reject the original before the write transaction begins
            db.session.execute(update(Report).where(Report.id == first["id"]).values(status="rejected"))
            db.session.commit()
        return found

    monkeypatch.setattr(service, "look_back", look_back_then_close_the_original)
    second = submit(photos=[(phone_photo(seed=14), "b.jpg")])
    assert second.status_code == 201, second.get_json()
    assert second.get_json()["duplicate_of"] is None
    assert second.get_json()["status"] != "submitted"  # routed on its own instead (a duplicate waits)


def test_the_database_decides_when_the_write_transaction_begins(app):
    from app.extensions import db
    from app.reports import api

    with app.test_request_context():
        # Row locks (PostgreSQL): begin while the photos decode. SQLite's one write lock: after.
        assert api._policy().write_while_decoding is (db.engine.dialect.name != "sqlite")


def test_duplicate_window_is_72_hours(app, submit, monkeypatch):
    from app.common import clock

    first = submit(photos=[(phone_photo(seed=11), "a.jpg")]).get_json()
    later = datetime.now(timezone.utc) + timedelta(hours=73)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    second = submit(photos=[(phone_photo(seed=12, taken_at=later), "b.jpg")]).get_json()
    assert second["duplicate_of"] is None and first["id"] != second["id"]


@pytest.mark.usefixtures("write_timing")
def test_flags_for_staff(app, submit, monkeypatch):
    far_away_exif = phone_photo(seed=20, at=IN_EAST)  # ~870 m from the claimed point
    assert submit(photos=[(far_away_exif, "a.jpg")]).get_json()["flags"] == ["exif_far_from_claim"]

    old = phone_photo(seed=21, taken_at=datetime.now(timezone.utc) - timedelta(days=3))
    stale = submit(photos=[(old, "b.jpg")], category="garbage")
    assert stale.get_json()["flags"] == ["stale_photo"]

    reused = submit(photos=[(old, "c.jpg")], category="illegal_ads")
    assert reused.get_json()["flags"] == ["stale_photo", "reused_photo"]  # in the order staff see them

    outside = submit(at=OUTSIDE, photos=[(phone_photo(seed=22, at=OUTSIDE), "d.jpg")])
    assert outside.status_code == 201
    assert outside.get_json()["flags"] == ["outside_service_area"] and outside.get_json()["area"] == []

    monkeypatch.setitem(app.config, "BURST_REPORTS", 5)
    fifth = submit(photos=[(phone_photo(seed=23), "e.jpg")], category="streetlight_out")
    assert "burst" in fifth.get_json()["flags"]


def test_report_rate_limit_per_rider(app, submit, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_REPORTS", "2/minute")
    codes = [submit(photos=[(phone_photo(seed=30 + i), "a.jpg")], category="garbage").status_code
             for i in range(3)]
    assert codes == [201, 201, 429]
    assert count_reports(app) == 2


def test_captured_at_offline_is_kept(submit):
    taken = "2026-11-20T08:15:00+08:00"
    response = submit(captured_at=taken)
    assert response.status_code == 201
    assert response.get_json()["captured_at"].startswith("2026-11-20T00:15:00")


# --- bad input: a clear 4xx, and nothing written: no row, no file ---------------------------

def _tiny(seed: int = 0) -> tuple[bytes, str]:
    return phone_photo(seed=seed), "p.jpg"


BAD_SUBMISSIONS = {
    "missing photo": (dict(photos=[]), 400, "photo_required"),
    "seven photos": (dict(photos=[_tiny(i) for i in range(7)]), 400, "too_many_photos"),
    "pdf named jpg": (dict(photos=[(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "x.jpg")]),
                      415, None),
    "svg": (dict(photos=[(b'<svg xmlns="http://www.w3.org/2000/svg"/>', "x.svg")]), 415, None),
    "unknown category": (dict(category="ufo_sighting"), 422, "unknown_category"),
    "lat 91": (dict(lat="91"), 400, "validation_failed"),
    "lon abc": (dict(lon="abc"), 400, "validation_failed"),
    "lat missing": (dict(lat="__omit__"), 400, "validation_failed"),
    "lat nan": (dict(lat="nan"), 400, "validation_failed"),
    "long description": (dict(description="火" * 501), 400, "validation_failed"),
    "captured in the future": (dict(captured_at="2099-01-01T00:00:00+08:00"), 400, "captured_in_future"),
    "bad captured_at": (dict(captured_at="yesterday"), 400, "validation_failed"),
    "unexpected field": (dict(priority="high"), 400, "validation_failed"),
    "bad idempotency key": (dict(headers={"Idempotency-Key": "x y"}), 400, "invalid_idempotency_key"),
}


@pytest.mark.parametrize("case", list(BAD_SUBMISSIONS))
def test_bad_submissions_change_nothing(app, submit, case):
    kwargs, status, code = BAD_SUBMISSIONS[case]
    response = submit(**kwargs)
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/json"
    if code:
        assert response.get_json()["error"]["code"] == code
    assert count_reports(app) == 0 and stored_files(app) == []


@pytest.mark.usefixtures("write_timing")
def test_bad_photo_files_change_nothing(app, submit):
    from tests.images import png_bomb_bytes, truncated_jpeg_bytes

    truncated = submit(photos=[(truncated_jpeg_bytes(), "cut.jpg")])
    assert truncated.status_code == 400 and truncated.get_json()["error"]["code"] == "corrupt_photo"
    bomb = submit(photos=[(png_bomb_bytes(30000, 30000), "bomb.png")])
    assert bomb.status_code == 413
    good_then_bad = submit(photos=[_tiny(1), (truncated_jpeg_bytes(), "cut.jpg")])
    assert good_then_bad.status_code == 400
    assert good_then_bad.get_json()["error"]["details"]["photo_index"] == 1
    assert count_reports(app) == 0 and stored_files(app) == []


def test_fifty_megabyte_upload_is_413(app, submit):
    response = submit(photos=[(b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024), "huge.jpg")])
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert count_reports(app) == 0 and stored_files(app) == []


@pytest.mark.usefixtures("write_timing")
def test_a_crash_while_recording_leaves_no_orphan_file(app, submit, monkeypatch):
    from app.reports import workflow

    def crash(**_):
        raise RuntimeError("disk full in the middle of the transaction")

    monkeypatch.setattr(workflow, "record_submission", crash)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = submit()
    assert response.status_code == 500
    assert count_reports(app) == 0 and stored_files(app) == []


@pytest.mark.parametrize("status", ["pending", "disabled"])
def test_inactive_riders_cannot_submit(app, client, mapped, status):
    rider = make_user(app, Role.RIDER, area_code=mapped)
    headers = auth_headers(app, rider)
    with app.app_context():
        from app.auth.models import User
        from app.extensions import db

        db.session.get(User, rider.id).status = status
        db.session.commit()
    response = client.post("/api/v1/reports", headers=headers, content_type="multipart/form-data",
                           data={"category": "garbage", "lat": "38.48", "lon": "106.215",
                                 "photos": [(io.BytesIO(phone_photo()), "p.jpg")]})
    assert response.status_code == 401
    assert count_reports(app) == 0


@pytest.mark.parametrize("role", ["grid_worker", "secretary", "dispatcher", "admin"])
def test_only_riders_submit(app, client, mapped, role):
    staff = make_user(app, role, area_code=mapped if role in ("grid_worker", "secretary") else
                      (DISTRICT if role == "dispatcher" else None))
    response = client.post("/api/v1/reports", headers=auth_headers(app, staff),
                           content_type="multipart/form-data",
                           data={"category": "garbage", "lat": "38.48", "lon": "106.215",
                                 "photos": [(io.BytesIO(phone_photo()), "p.jpg")]})
    assert response.status_code == 403


def test_photos_gc_removes_only_files_no_report_refers_to(app, submit):
    from app.photos.storage import PhotoStore

    kept = submit(photos=[(phone_photo(seed=40), "a.jpg")])
    assert kept.status_code == 201
    store = PhotoStore(app.config["UPLOAD_DIR"])
    orphan = store.put(phone_photo(seed=41)).key  # a killed upload's file
    for n in range(10):  # and the temp files of ten killed writes
        (store.path_for(orphan).parent / f".tmp-killed{n}.part").write_bytes(b"half a file")
    runner = app.test_cli_runner()
    young = runner.invoke(args=["photos", "gc"])
    assert "removed 0 files" in young.output  # within the grace period it may still be in use
    result = runner.invoke(args=["photos", "gc", "--older-than-minutes", "0"])
    assert result.exit_code == 0
    assert "removed 11 files (1 orphan photo files, 10 leftover temp files)" in result.output
    remaining = {p.name for p in stored_files(app)}
    assert orphan not in remaining and len(remaining) == 2
    for link in kept.get_json()["photos"]:
        assert app.test_client().get(link["url"]).status_code == 200


def test_a_page_of_reports_costs_the_same_queries_whatever_its_size(app, client, submit, rider_headers):
    from sqlalchemy import event

    from app.extensions import db

    def queries_to_list(count: int) -> int:
        while count_reports(app) < count:
            n = count_reports(app)
            # ~90 m apart (no duplicates), all inside one grid (chains of one depth)
            at = (38.476 + 0.0008 * (n % 6), 106.212 + 0.003 * (n // 6))
            assert submit(at=at, category="garbage", photos=[(phone_photo(seed=60 + n, at=at), "p.jpg")]
                          ).status_code == 201
        statements: list[str] = []
        with app.app_context():
            engine = db.engine
        me = threading.get_ident()  # the test client runs the request here; other threads are not its cost

        def listener(*args) -> None:
            if threading.get_ident() == me:
                statements.append(args[2])

        event.listen(engine, "before_cursor_execute", listener)
        try:
            page = client.get("/api/v1/reports?per_page=50", headers=rider_headers).get_json()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert page["total"] == count
        return len(statements)

    assert queries_to_list(3) == queries_to_list(12)


def test_uploads_are_parsed_in_memory_not_spooled_to_temp_files(submit, monkeypatch):
    import werkzeug.formparser as formparser

    def no_temp_files(*_args, **_kwargs):
        raise AssertionError("an upload was spooled to a temp file")

    monkeypatch.setattr(formparser, "SpooledTemporaryFile", no_temp_files)
    response = submit(photos=[(phone_photo(seed=40), "a.jpg"), (phone_photo(seed=41), "b.jpg")])
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["photos"]) == 2


def test_the_answer_to_a_routed_report_reads_only_its_timeline_after_the_commit(app, submit, staff):
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    steps: list[str] = []
    on_statement = lambda *args: steps.append(args[2].split()[0])  # noqa: E731
    on_commit = lambda _connection: steps.append("COMMIT")  # noqa: E731
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        response = submit(photos=[(phone_photo(seed=50), "a.jpg")], headers={"Idempotency-Key": "answer-reads-1"})
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)
    assert response.status_code == 201, response.get_json()
    report = response.get_json()
    # The worker it was routed to is named, and the brand-new report has no confirmations, without
    # reading either back: once the report has committed, only its timeline is read.
    assert report["assigned_to"]["name"] == "近网格员" and report["confirmations"] == []
    assert [e["action"] for e in report["timeline"]] == ["submit", "assign"]
    after_commit = steps[len(steps) - steps[::-1].index("COMMIT"):]
    assert [s for s in after_commit if s in ("SELECT", "INSERT", "UPDATE")] == ["SELECT"]
