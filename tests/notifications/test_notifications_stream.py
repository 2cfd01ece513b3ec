"""Server-Sent Events: resume with Last-Event-ID or ?after=, live events over a real socket through the
stream server, heartbeats, the end of a login, and late commits on PostgreSQL."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from flask_jwt_extended import decode_token

from app.auth import service as auth_service
from app.auth.models import User, UserStatus
from app.extensions import db
from app.notifications import service
from tests.factories import auth_headers
from tests.support.sse import SseClient

STREAM = "/api/v1/notifications/stream"


def parse(text: str) -> tuple[list[dict], list[str]]:
    """(events as {id, event, data}, comment lines) of an SSE body."""
    events, comments = [], []
    for block in text.split("\n\n"):
        fields: dict = {}
        for line in filter(None, block.split("\n")):
            if line.startswith(":"):
                comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "data" in fields:
            events.append({"id": int(fields["id"]), "event": fields["event"],
                           "data": json.loads(fields["data"])})
    return events, comments


def chunks(response) -> Iterator[str]:
    for chunk in response.response:
        yield chunk.decode() if isinstance(chunk, bytes) else chunk


def test_without_the_stream_server_the_view_answers_the_catch_up_and_ends(client, app, rider, worker,
                                                                         notify, report_id):
    """Served by the Flask app alone (gunicorn with no stream server in front), a stream request never
    holds the thread: it gets what is there and an end, and EventSource reconnects after `retry`."""
    ids = notify(rider.id, 4, report_id=report_id)
    notify(worker.id, 2, kind="assigned")  # someone else's: never in this stream
    response = client.get(STREAM, headers={**auth_headers(app, rider), "Last-Event-ID": str(ids[1])},
                          buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    body = "".join(chunks(response))  # returns at once: nothing waits for news
    assert body.startswith("retry: ")
    events, _ = parse(body)
    assert [e["id"] for e in events] == ids[2:]
    assert events[0]["event"] == "status_changed"
    assert events[0]["data"] == {**events[0]["data"], "id": ids[2], "kind": "status_changed",
                                 "report_id": report_id, "title": "第3条", "body": "你的上报有进展"}


def test_after_query_resumes_when_no_header_and_the_header_wins(client, app, rider, notify):
    ids = notify(rider.id, 3)
    headers = auth_headers(app, rider)
    by_query, _ = parse("".join(chunks(client.get(STREAM, query_string={"after": ids[0]}, headers=headers,
                                                  buffered=False))))
    assert [e["id"] for e in by_query] == ids[1:]
    both, _ = parse("".join(chunks(client.get(STREAM, query_string={"after": ids[0]}, buffered=False,
                                              headers={**headers, "Last-Event-ID": str(ids[1])}))))
    assert [e["id"] for e in both] == ids[2:]
    everything, _ = parse("".join(chunks(client.get(STREAM, headers=headers, buffered=False))))
    assert [e["id"] for e in everything] == ids


def test_browser_eventsource_may_send_the_token_in_the_query(client, app, rider, notify):
    ids = notify(rider.id, 1)
    token = auth_headers(app, rider)["Authorization"].removeprefix("Bearer ")
    response = client.get(STREAM, query_string={"access_token": token}, buffered=False)
    assert response.status_code == 200
    assert [e["id"] for e in parse("".join(chunks(response)))[0]] == ids
    bad = client.get(STREAM, query_string={"access_token": token[:-3] + "xyz"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("headers, query, status", [
    ({}, {}, 401),
    ({"Last-Event-ID": "abc"}, {}, 400),
    ({"Last-Event-ID": "-3"}, {}, 400),
    ({}, {"after": "x"}, 400),
])
def test_stream_bad_requests(client, app, rider, headers, query, status):
    auth = auth_headers(app, rider) if status == 400 else {}
    response = client.get(STREAM, headers={**auth, **headers}, query_string=query)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] in ("validation_failed", "missing_token")




# --- through the stream server, on a real socket ------------------------------------------------------

def _sid(app, headers) -> str:
    with app.app_context():
        return decode_token(headers["Authorization"][7:])["sid"]


def test_live_stream_catches_up_then_sends_what_is_committed_while_it_is_open(app, rider, worker, notify,
                                                                              live_streams):
    ids = notify(rider.id, 3)
    with live_streams() as url:
        stream = SseClient(url, headers={**auth_headers(app, rider), "Last-Event-ID": str(ids[0])})
        assert stream.status == 200
        assert stream.response.getheader("Content-Type").startswith("text/event-stream")
        assert stream.response.getheader("Cache-Control") == "no-cache"
        assert stream.wait_for(lambda s: s.ids == ids[1:])
        started = time.monotonic()
        late = notify(rider.id, kind="escalated", title="新进展")
        notify(worker.id, kind="assigned")  # someone else's
        assert stream.wait_for(lambda s: s.ids == ids[1:] + late)
        # woken by the fan-out, not by a heartbeat (60 s here)
        assert time.monotonic() - started < 5
        assert stream.events[-1]["event"] == "escalated"
        assert stream.events[-1]["data"]["title"] == "新进展"
        assert stream.raw.startswith("retry: ")
        stream.close()


def test_live_stream_resumes_after_the_query_and_the_browser_token(app, rider, notify, live_streams):
    ids = notify(rider.id, 3)
    token = auth_headers(app, rider)["Authorization"].removeprefix("Bearer ")
    with live_streams() as url:
        stream = SseClient(url, query={"access_token": token, "after": str(ids[1])})
        assert stream.wait_for(lambda s: s.ids == ids[2:])
        stream.close()


@pytest.mark.parametrize("headers, query, status, code", [
    ({}, {}, 401, "missing_token"),
    ({"Authorization": "Bearer nonsense"}, {}, 401, "invalid_token"),
    ("auth", {"after": "x"}, 400, "validation_failed"),
    ({"Last-Event-ID": "-3"}, {}, 400, "validation_failed"),
])
def test_live_stream_refuses_bad_requests_in_the_error_shape(app, rider, live_streams, headers, query,
                                                             status, code):
    headers = auth_headers(app, rider) if headers == "auth" else headers
    if status == 400 and "Authorization" not in headers:
        headers = {**auth_headers(app, rider), **headers}
    with live_streams() as url:
        stream = SseClient(url, headers=headers, query=query)
        assert stream.status == status
        assert stream.response.getheader("Content-Type") == "application/json"
        assert stream.json()["error"]["code"] == code


def test_idle_live_stream_sends_heartbeats(app, rider, live_streams):
    with live_streams(SSE_HEARTBEAT_SECONDS=0.2) as url:
        stream = SseClient(url, headers=auth_headers(app, rider))
        assert stream.wait_for(lambda s: s.comments.count("heartbeat") >= 2, timeout=5)
        assert stream.events == []
        stream.close()


def test_live_stream_ends_by_itself_after_sse_max_seconds(app, rider, live_streams):
    with live_streams(SSE_MAX_SECONDS=0.5) as url:
        stream = SseClient(url, headers=auth_headers(app, rider))
        assert stream.ended.wait(5)
        assert stream.raw.startswith("retry: ")


def test_live_stream_ends_within_a_heartbeat_once_the_login_is_revoked(app, rider, notify, live_streams):
    headers = auth_headers(app, rider)
    with live_streams(SSE_HEARTBEAT_SECONDS=0.3) as url:
        stream = SseClient(url, headers=headers)
        assert stream.wait_for(lambda s: "connected" in s.comments)
        with app.app_context():
            auth_service.revoke_session(session_id=_sid(app, headers))
        assert stream.ended.wait(3), "a logged-out user's stream must end within a heartbeat"
        notify(rider.id, title="登出后")
        assert stream.events == []
        again = SseClient(url, headers=headers)
        assert again.status == 401 and again.json()["error"]["code"] == "token_revoked"


def test_live_stream_of_a_disabled_user_ends_within_a_heartbeat(app, rider, live_streams):
    with live_streams(SSE_HEARTBEAT_SECONDS=0.3) as url:
        stream = SseClient(url, headers=auth_headers(app, rider))
        assert stream.wait_for(lambda s: "connected" in s.comments)
        with app.app_context():
            db.session.get(User, rider.id).status = UserStatus.DISABLED
            db.session.commit()
        assert stream.ended.wait(3)
        assert "login ended" in stream.comments


def test_a_lower_id_committed_after_a_higher_one_still_arrives(app, rider, live_streams):
    """PostgreSQL hands out ids before commit; a stream that has sent id N must still send a later N-1."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serialises writers, so ids always commit in order")
    with live_streams() as url:
        stream = SseClient(url, headers=auth_headers(app, rider))
        assert stream.wait_for(lambda s: "connected" in s.comments)
        with app.app_context():  # a slow transaction takes its id first…
            slow_id = service.notify(user_id=rider.id, kind="status_changed", title="慢", body="…").id
            with app.app_context():  # …a quick one takes the next id and commits
                quick_id = service.notify(user_id=rider.id, kind="assigned", title="快", body="…").id
                db.session.commit()
            assert stream.wait_for(lambda s: s.ids == [quick_id])
            db.session.commit()
        assert slow_id < quick_id
        assert stream.wait_for(lambda s: s.ids == [quick_id, slow_id])
        stream.close()
