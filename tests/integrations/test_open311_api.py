"""Open311 GeoReport v2 as a hotline uses it: plain form posts, reads in JSON and XML, Open311 errors."""
from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from app.extensions import db
from app.geo.datums import from_wgs84
from app.notifications.models import Notification
from app.points.models import LedgerEntry
from app.reports.models import Report, ReportEvent
from tests.images import jpeg_bytes
from tests.integrations.conftest import hotline_form
from tests.mapdata import COMMUNITY, GRID_EAST, GRID_WEST, IN_EAST, IN_WEST, OUTSIDE
from tests.reports.conftest import act, count_reports
from tests.support.uploads import stored_files

FORM = "application/x-www-form-urlencoded"


def post(client, form, fmt="json", **kwargs):
    return client.post(f"/open311/v2/requests.{fmt}", data=form, **kwargs)


def test_a_hotline_post_enters_the_same_loop(client, app, hotline, staff):
    shown = from_wgs84(*IN_WEST, "gcj02")  # the hotline's map is AMap
    response = post(client, hotline_form(hotline["api_key"], at=shown, coord_sys="gcj02"),
                    content_type=FORM)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    [created] = response.get_json()
    assert set(created) >= {"service_request_id", "token"}
    assert isinstance(created["service_request_id"], str)
    report_id = int(created["service_request_id"])
    with app.app_context():
        report = db.session.get(Report, report_id)
        assert report.reporter_id is None and report.integration_id == hotline["id"]
        assert report.area_code == GRID_WEST and report.assigned_to_id == staff["near"].id
        assert report.distance_m == pytest.approx(55.7, abs=1.0)
        [submitted, *_] = db.session.scalars(select(ReportEvent).where(
            ReportEvent.report_id == report_id).order_by(ReportEvent.id)).all()
        assert submitted.actor_id is None and hotline["name"] in submitted.note
        pushed = db.session.scalars(select(Notification).where(Notification.report_id == report_id)).all()
        assert [n.user_id for n in pushed] == [staff["near"].id]
    seen = client.get(f"/api/v1/reports/{report_id}", headers=_headers(app, staff["near"])).get_json()
    assert seen["source"] == hotline["name"] and seen["reporter"] is None


def _headers(app, user):
    from tests.factories import auth_headers

    return auth_headers(app, user)


def test_resolving_a_hotline_report_earns_nobody_points(client, app, hotline, staff):
    [created] = post(client, hotline_form(hotline["api_key"]), content_type=FORM).get_json()
    report_id = int(created["service_request_id"])
    assert act(client, app, staff["near"], report_id, "accept").status_code == 200
    after = {"note": "已拆除飞线", "photo": [(io.BytesIO(jpeg_bytes(64, 48, seed=7)), "after.jpg")]}
    assert act(client, app, staff["near"], report_id, "resolve", data=after).status_code == 200
    with app.app_context():
        assert db.session.query(LedgerEntry).count() == 0
    [read] = client.get(f"/open311/v2/requests/{report_id}.json?api_key={hotline['api_key']}").get_json()
    assert read["status"] == "closed" and read["status_notes"] == "已拆除飞线"
    assert read["agency_responsible"] == "满春园社区"


def test_a_retried_post_with_the_same_reference_creates_one_report(client, app, hotline):
    form = hotline_form(hotline["api_key"], external_id="12345-20261206-0001")
    first = post(client, form, content_type=FORM)
    again = post(client, form, content_type=FORM)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()[0]["service_request_id"] == again.get_json()[0]["service_request_id"]
    by_header = hotline_form(hotline["api_key"])
    one = post(client, by_header, content_type=FORM, headers={"Idempotency-Key": "case-77"})
    two = post(client, by_header, content_type=FORM, headers={"Idempotency-Key": "case-77"})
    assert one.get_json() == two.get_json()
    other = post(client, {**form, "description": "另一件事"}, content_type=FORM)
    assert other.status_code == 400 and other.get_json()[0]["code"] == 400
    assert count_reports(app) == 2


def test_multipart_with_a_photo_gives_a_signed_media_url_without_exif(client, app, hotline):
    form = hotline_form(hotline["api_key"])
    form["media"] = (io.BytesIO(jpeg_bytes(96, 72, gps=IN_WEST, seed=3)), "photo.jpg")
    created = post(client, form, content_type="multipart/form-data")
    assert created.status_code == 201, created.get_data(as_text=True)
    report_id = created.get_json()[0]["service_request_id"]
    [read] = client.get(f"/open311/v2/requests/{report_id}.json?api_key={hotline['api_key']}").get_json()
    assert read["media_url"].startswith("http://")
    served = client.get(read["media_url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    from PIL import Image

    assert not Image.open(io.BytesIO(served.data)).getexif()


@pytest.mark.parametrize("change, status", [
    ({"api_key": "gs_wrong"}, 403),
    ({"api_key": ""}, 403),
    ({"service_code": "no_such_service"}, 404),
    ({"lat": "__omit__"}, 400),
    ({"long": "abc"}, 400),
    ({"lat": "91"}, 400),
    ({"lat": "nan"}, 400),
    ({"coord_sys": "mars"}, 400),
    ({"description": "长" * 501}, 400),
    ({"external_id": "空格 不行"}, 400),
])
def test_bad_posts_get_open311_errors_and_change_nothing(client, app, hotline, change, status):
    form = {k: v for k, v in {**hotline_form(hotline["api_key"]), **change}.items() if v != "__omit__"}
    for fmt in ("json", "xml"):
        response = post(client, form, fmt=fmt, content_type=FORM)
        assert response.status_code == status, response.get_data(as_text=True)
        if fmt == "json":
            [error] = response.get_json()
            assert error["code"] == status and error["description"]
        else:
            assert response.mimetype == "text/xml"
            root = ElementTree.fromstring(response.data)
            assert root.tag == "errors" and root.find("error/code").text == str(status)
    assert count_reports(app) == 0


def test_a_key_files_only_inside_its_area(client, app, issue, mapped, staff):
    west_only = issue(name="一网格热线", area_code=GRID_WEST)
    assert post(client, hotline_form(west_only["api_key"], at=IN_WEST), content_type=FORM).status_code == 201
    for outside in (IN_EAST, OUTSIDE):
        refused = post(client, hotline_form(west_only["api_key"], at=outside), content_type=FORM)
        assert refused.status_code == 403 and refused.get_json()[0]["code"] == 403
    with_photo = hotline_form(west_only["api_key"], at=IN_EAST)
    with_photo["media"] = (io.BytesIO(jpeg_bytes(96, 72, seed=5)), "photo.jpg")
    assert post(client, with_photo, content_type="multipart/form-data").status_code == 403
    assert count_reports(app) == 1 and stored_files(app) == []  # the refused photo was not kept


def test_posting_json_is_refused_in_open311_shape(client, hotline):
    response = client.post("/open311/v2/requests.json", json=hotline_form(hotline["api_key"]))
    assert response.status_code == 400 and response.get_json()[0]["code"] == 400


def test_reading_needs_a_key_unless_public_and_a_key_reads_its_area(client, app, issue, mapped, staff,
                                                                   submit, monkeypatch):
    west_only = issue(name="一网格热线", area_code=GRID_WEST)
    rider_east = submit(at=IN_EAST).get_json()
    rider_west = submit(at=IN_WEST, category="fire_exit_blocked").get_json()
    assert client.get("/open311/v2/requests.json").status_code == 403
    listed = client.get(f"/open311/v2/requests.json?api_key={west_only['api_key']}").get_json()
    assert [r["service_request_id"] for r in listed] == [str(rider_west["id"])]
    hidden = client.get(f"/open311/v2/requests/{rider_east['id']}.json?api_key={west_only['api_key']}")
    assert hidden.status_code == 404
    monkeypatch.setitem(app.config, "OPEN311_PUBLIC_READ", True)
    everyone = client.get("/open311/v2/requests.json").get_json()
    assert {r["service_request_id"] for r in everyone} == {str(rider_east["id"]), str(rider_west["id"])}
    assert GRID_EAST  # both grids are on the map


def test_no_rider_name_or_phone_ever_appears(client, app, hotline, submit, rider, monkeypatch):
    monkeypatch.setitem(app.config, "OPEN311_PUBLIC_READ", True)
    report = submit().get_json()
    post(client, hotline_form(hotline["api_key"], at=IN_EAST), content_type=FORM)
    bodies = [client.get(f"/open311/v2/requests.{fmt}").get_data(as_text=True) for fmt in ("json", "xml")]
    bodies += [client.get(f"/open311/v2/requests/{report['id']}.{fmt}").get_data(as_text=True)
               for fmt in ("json", "xml")]
    for body in bodies:
        assert rider.name not in body and rider.phone not in body
        assert "13812345678" not in body and "li@example.cn" not in body  # the caller's contact either


def test_query_filters_and_limits(client, app, hotline, submit, monkeypatch):
    key = hotline["api_key"]
    first = submit(category="fire_exit_blocked").get_json()
    submit(at=IN_EAST)
    by_code = client.get(f"/open311/v2/requests.json?api_key={key}&service_code=fire_exit_blocked").get_json()
    assert [r["service_request_id"] for r in by_code] == [str(first["id"])]
    assert client.get(f"/open311/v2/requests.json?api_key={key}&status=closed").get_json() == []
    assert len(client.get(f"/open311/v2/requests.json?api_key={key}&status=open").get_json()) == 2
    now = datetime.now(UTC)
    too_long = {"api_key": key, "start_date": (now - timedelta(days=120)).isoformat(),
                "end_date": now.isoformat()}
    assert client.get("/open311/v2/requests.json", query_string=too_long).status_code == 400
    backwards = {"api_key": key, "start_date": now.isoformat(),
                 "end_date": (now - timedelta(days=1)).isoformat()}
    assert client.get("/open311/v2/requests.json", query_string=backwards).status_code == 400
    old = {"api_key": key, "end_date": (now - timedelta(days=30)).isoformat()}
    assert client.get("/open311/v2/requests.json", query_string=old).get_json() == []
    for bad in ("status=pending", "service_request_id=1,x", "start_date=yesterday", "coord_sys=mars"):
        response = client.get(f"/open311/v2/requests.json?api_key={key}&{bad}")
        assert response.status_code == 400, bad
        assert response.get_json()[0]["code"] == 400
    ids = f"{first['id']},999999"
    assert len(client.get(f"/open311/v2/requests.json?api_key={key}&service_request_id={ids}").get_json()) == 1


def test_tokens_discovery_and_unknown_paths(client, hotline):
    [created] = post(client, hotline_form(hotline["api_key"]), content_type=FORM).get_json()
    key = hotline["api_key"]
    [found] = client.get(f"/open311/v2/tokens/{created['token']}.json?api_key={key}").get_json()
    assert found == {"service_request_id": created["service_request_id"], "token": created["token"]}
    assert client.get(f"/open311/v2/tokens/forged.json?api_key={key}").status_code == 404
    discovery = client.get("/open311/v2/discovery.json").get_json()
    assert discovery["endpoints"][0]["url"].endswith("/open311/v2/")
    xml = client.get("/open311/v2/discovery.xml")
    assert xml.mimetype == "text/xml" and ElementTree.fromstring(xml.data).tag == "discovery"
    for path in ("/open311/v2/nothing.json", f"/open311/v2/requests/abc.json?api_key={key}",
                 "/open311/v2/requests.csv",
                 f"/open311/v2/requests/{'9' * 30}.json?api_key={key}"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert json.loads(response.data)[0]["code"] == 404
    assert client.get("/open311/v2/services/no_such.xml").status_code == 404


def test_points_come_back_in_the_datum_asked_for(client, hotline):
    [created] = post(client, hotline_form(hotline["api_key"]), content_type=FORM).get_json()
    url = f"/open311/v2/requests/{created['service_request_id']}.json?api_key={hotline['api_key']}"
    [plain] = client.get(url).get_json()
    [baidu] = client.get(url + "&coord_sys=bd09").get_json()
    assert (plain["lat"], plain["long"]) == pytest.approx(IN_WEST, abs=1e-9)
    assert baidu["coord_sys"] == "bd09"
    assert (baidu["lat"], baidu["long"]) == pytest.approx(from_wgs84(*IN_WEST, "bd09"), abs=1e-9)
    assert COMMUNITY


def test_concurrent_retries_with_one_reference_create_one_report(app, hotline):
    import threading

    form = hotline_form(hotline["api_key"], external_id="12345-RACE")
    barrier = threading.Barrier(6)
    answers: list[tuple[int, str]] = []

    def send() -> None:
        with app.test_client() as own:
            barrier.wait()
            response = own.post("/open311/v2/requests.json", data=form, content_type=FORM)
            answers.append((response.status_code, response.get_json()[0].get("service_request_id")))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(status for status, _ in answers) == [200] * 5 + [201]
    assert len({request_id for _, request_id in answers}) == 1
    assert count_reports(app) == 1


def test_a_body_over_the_limit_is_413_in_open311_shape(client, app, hotline, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    form = hotline_form(hotline["api_key"])
    form["media"] = (io.BytesIO(b"\xff" * 4096), "big.jpg")
    response = post(client, form, fmt="xml", content_type="multipart/form-data")
    assert response.status_code == 413 and response.mimetype == "text/xml"
    assert ElementTree.fromstring(response.data).find("error/code").text == "413"
    assert count_reports(app) == 0


def test_posts_are_rate_limited_per_key_in_open311_shape(client, app, hotline, issue, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_LIMIT_OPEN311", "2/minute")
    for _ in range(2):
        assert post(client, hotline_form(hotline["api_key"]), content_type=FORM).status_code == 201
    limited = post(client, hotline_form(hotline["api_key"]), content_type=FORM)
    assert limited.status_code == 429 and limited.get_json()[0]["code"] == 429
    other_key = issue(name="另一条热线")["api_key"]
    assert post(client, hotline_form(other_key), content_type=FORM).status_code == 201
    assert count_reports(app) == 3
