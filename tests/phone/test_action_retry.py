"""A tap whose answer is lost: the app retries with the same Idempotency-Key, the server acts once,
and the phone shows the result instead of a conflict."""
from __future__ import annotations

import io

from app.extensions import db
from app.reports.models import ReportEvent
from tests.factories import auth_headers
from tests.images import jpeg_bytes
from tests.mapdata import IN_WEST
from tests.phone.conftest import log_in


def _assigned_report(app, world) -> int:  # type: ignore[no-untyped-def]
    client = app.test_client()
    on_duty = client.put("/api/v1/me/duty", headers=auth_headers(app, world["worker"]),
                         json={"on_duty": True, "lat": IN_WEST[0], "lon": IN_WEST[1]})
    assert on_duty.status_code == 200, on_duty.get_json()
    submitted = client.post("/api/v1/reports", headers=auth_headers(app, world["rider"]), data={
        "category": "garbage", "lat": str(IN_WEST[0]), "lon": str(IN_WEST[1]),
        "photos": [(io.BytesIO(jpeg_bytes(80, 60, seed=3)), "a.jpg")]}, content_type="multipart/form-data")
    assert submitted.status_code == 201 and submitted.get_json()["status"] == "assigned"
    return submitted.get_json()["id"]


def test_an_accept_whose_answer_was_lost_is_retried_once_with_the_same_key(phone, app, world):
    report_id = _assigned_report(app, world)
    keys: list[str] = []

    def lose_the_first_answer(route) -> None:  # type: ignore[no-untyped-def]
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            assert route.fetch().status == 200  # the server accepted …
            route.abort("connectionreset")  # … but the phone never heard it
        else:
            route.continue_()

    phone.route(f"**/api/v1/reports/{report_id}/accept", lose_the_first_answer)
    log_in(phone, world["worker"])
    phone.locator(f"[data-report='{report_id}']").first.tap()
    phone.get_by_role("button", name="接单").tap()
    phone.wait_for_selector("#report .gs-badge:has-text('网格员已接单')")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1]
    with app.app_context():
        accepts = db.session.query(ReportEvent).filter_by(report_id=report_id, action="accept").count()
    assert accepts == 1
