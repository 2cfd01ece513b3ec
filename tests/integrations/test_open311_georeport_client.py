"""The unmodified `georeport` client from PyPI against GridSnap on a loopback socket, JSON and XML."""
from __future__ import annotations

import pytest
import requests
from georeport import GeoReport

from tests.integrations.conftest import hotline_form
from tests.mapdata import IN_EAST


@pytest.fixture
def public_read(app, monkeypatch):
    # georeport sends no api_key on reads: the server must allow public reading, as public ones do.
    monkeypatch.setitem(app.config, "OPEN311_PUBLIC_READ", True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_georeport_reads_services_and_requests(live_url, hotline, submit, rider, public_read, fmt):
    report = submit().get_json()
    filed = requests.post(f"{live_url}/open311/v2/requests.json", timeout=10,
                          data=hotline_form(hotline["api_key"], at=IN_EAST)).json()[0]
    client = GeoReport(f"{live_url}/open311/v2", output_format=fmt)

    services = client.get_service_list()
    assert {s["service_code"] for s in services} >= {"flying_lead_charging", "fire_exit_blocked"}
    charging = next(s for s in services if s["service_code"] == "flying_lead_charging")
    assert charging["service_name"] == "飞线充电"
    assert client.get_service_definition("flying_lead_charging")["service_code"] == "flying_lead_charging"

    listed = client.get_service_requests()
    assert [r["service_request_id"] for r in listed] == [filed["service_request_id"], str(report["id"])]
    one = client.get_service_request(filed["service_request_id"])
    assert one["status"] == "open" and one["service_code"] == "flying_lead_charging"
    assert one["description"] == "市民来电：楼道内飞线充电"
    assert float(one["lat"]) == pytest.approx(IN_EAST[0]) and float(one["long"]) == pytest.approx(IN_EAST[1])
    by_status = client.get_service_requests(status="open", service_code="flying_lead_charging")
    assert len(by_status) == 2
    for text in map(str, listed):
        assert rider.name not in text and rider.phone not in text


def test_georeport_sees_open311_errors_as_http_errors(live_url, hotline):
    client = GeoReport(f"{live_url}/open311/v2")
    with pytest.raises(requests.HTTPError) as refused:
        client.get_service_requests()  # no key, no public reading
    assert refused.value.response.status_code == 403
    assert refused.value.response.json()[0]["code"] == 403
    with pytest.raises(requests.HTTPError) as unknown:
        client.get_service_definition("no_such_service")
    assert unknown.value.response.status_code == 404
