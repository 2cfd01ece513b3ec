"""A rider on a flaky network: a report made offline is kept across a reload and arrives exactly once."""
from __future__ import annotations

import socket

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reports.models import Report
from tests.phone.conftest import PHONE_AT, log_in, phone_jpeg, snap


def stored_reports(app) -> list[Report]:
    with app.app_context():
        reports = list(db.session.scalars(select(Report).order_by(Report.id)))
        for report in reports:
            _ = report.photos
        db.session.expunge_all()
        return reports


def lose_first_answer(app, monkeypatch, path: str = "/api/v1/reports") -> list[str]:
    """The server handles the first POST to `path` in full, then the connection drops before its answer
    (a phone losing signal in a stairwell). Gives the Idempotency-Keys of the POSTs as they come."""
    real, posts = app.wsgi_app, []

    def dropping(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == path:
            posts.append(environ.get("HTTP_IDEMPOTENCY_KEY"))
            if len(posts) == 1:
                answer = real(environ, lambda *args: None)
                answer.close()  # handled and committed; the answer is thrown away
                environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
                return []
        return real(environ, start_response)

    monkeypatch.setattr(app, "wsgi_app", dropping)
    return posts


def wait_until(condition, page, seconds: float = 10) -> None:
    """Poll a condition on the server's side (the database) while the page runs."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the server never got there")


def fill_report(page, *, seed: int) -> None:
    page.get_by_text("飞线充电").tap()
    page.set_input_files("input[name=photos]", [phone_jpeg(seed)])
    page.wait_for_selector("#position:has-text('已定位')")
    page.fill("textarea[name=description]", "三楼窗户拉线给电动车充电")


def test_offline_report_is_kept_across_a_reload_and_arrives_exactly_once(phone, phone_context, app, world,
                                                                          monkeypatch):
    page = phone
    log_in(page, world["rider"])
    page.wait_for_function("navigator.serviceWorker.controller !== null")  # the shell is cached

    phone_context.set_offline(True)
    fill_report(page, seed=2)
    page.get_by_role("button", name="上报").tap()
    page.wait_for_selector("text=这条上报已保存在手机上")
    assert "网络不通" in page.inner_text(".gs-flash")  # and says why
    page.reload()  # offline: the shell comes from the service worker, the report from IndexedDB
    page.get_by_role("link", name="记录").tap()
    page.wait_for_selector("#outbox >> text=等待发送（1）")
    snap(page, "offline-waiting")
    assert stored_reports(app) == []

    # Back online, the first try reaches the server but its answer is lost on the way back:
    # the phone keeps the report and sends it again with the same Idempotency-Key.
    posts = lose_first_answer(app, monkeypatch)
    phone_context.set_offline(False)
    wait_until(lambda: len(stored_reports(app)) == 1, page)  # stored, but the phone does not know it
    assert page.locator("#outbox .ph-item").count() == 1
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the next retry, without waiting for its timer
    page.wait_for_selector("#outbox", state="detached")
    page.wait_for_selector("#reports .ph-card")

    [report] = stored_reports(app)
    assert len(posts) == 2 and posts[0] == posts[1]
    assert (report.lat, report.lon) == pytest.approx(PHONE_AT)
    page.reload()
    page.wait_for_selector("#reports .ph-card")
    assert len(stored_reports(app)) == 1 and page.locator("#outbox").count() == 0
