"""A real browser's EventSource on the stream server: the token in the query, live events, and the
browser's own reconnect with Last-Event-ID after the stream ends, losing and repeating nothing."""
from __future__ import annotations

from tests.factories import auth_headers
from tests.support.browser import browser_context

OPEN_STREAM = """token => {
  window.got = [];
  window.source = new EventSource('/api/v1/notifications/stream?access_token=' + token);
  for (const kind of ['assigned', 'status_changed']) {
    window.source.addEventListener(kind, e => window.got.push(JSON.parse(e.data).id));
  }
}"""


def test_eventsource_receives_live_events_and_resumes_after_the_stream_ends(browser, app, rider, notify,
                                                                            live_streams):
    token = auth_headers(app, rider)["Authorization"].removeprefix("Bearer ")
    before = notify(rider.id, 2)
    with live_streams(SSE_MAX_SECONDS=1.5) as url, browser_context(browser, url) as context:
        page = context.new_page()
        page.goto(f"{url}/static/gridsnap.css")  # any page of the origin: EventSource is same-origin
        page.evaluate(OPEN_STREAM, token)
        page.wait_for_function("n => window.got.length === n", arg=len(before), timeout=10_000)
        live = notify(rider.id, kind="assigned")
        page.wait_for_function("n => window.got.length === n", arg=len(before) + 1, timeout=10_000)
        # The server ends each stream after 1.5 s; the browser reconnects on its own (retry: 3 s)
        # with Last-Event-ID, and what was committed meanwhile arrives once.
        page.wait_for_timeout(2000)
        during_gap = notify(rider.id, 2)
        expected = before + live + during_gap
        page.wait_for_function("n => window.got.length >= n", arg=len(expected), timeout=15_000)
        page.wait_for_timeout(300)
        assert page.evaluate("window.got") == expected
        page.evaluate("window.source.close()")
