"""Server-Sent Events: resume with Last-Event-ID, live events, heartbeats, an end, and a real socket."""
from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from app.auth import service as auth_service
from app.extensions import db
from app.notifications import service
from tests.factories import auth_headers

STREAM = "/api/v1/notifications/stream"


@pytest.fixture
def short_streams(app, monkeypatch):
    """Streams that poll fast and end after a moment (the client would reconnect)."""
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 0.4)
    monkeypatch.setitem(app.config, "SSE_POLL_SECONDS", 0.02)
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 60)


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


def test_stream_resumes_after_last_event_id_and_ends_by_itself(client, app, rider, worker, notify,
                                                               report_id, short_streams):
    ids = notify(rider.id, 4, report_id=report_id)
    notify(worker.id, 2, kind="assigned")  # someone else's: never in this stream
    response = client.get(STREAM, headers={**auth_headers(app, rider), "Last-Event-ID": str(ids[1])},
                          buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    body = "".join(chunks(response))  # returns: the stream ended after SSE_MAX_SECONDS
    assert body.startswith("retry: ")
    events, _ = parse(body)
    assert [e["id"] for e in events] == ids[2:]
    assert events[0]["event"] == "status_changed"
    assert events[0]["data"] == {**events[0]["data"], "id": ids[2], "kind": "status_changed",
                                 "report_id": report_id, "title": "第3条", "body": "你的上报有进展"}


def test_after_query_resumes_when_no_header_and_the_header_wins(client, app, rider, notify, short_streams):
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


def test_notifications_committed_while_streaming_arrive(client, app, rider, notify, short_streams,
                                                         monkeypatch):
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 5)
    response = client.get(STREAM, headers=auth_headers(app, rider), buffered=False)
    stream = chunks(response)
    assert next(stream).startswith("retry:")  # connected, nothing to send yet
    new_id = notify(rider.id, kind="assigned", title="新任务")[0]  # committed by another request
    events, _ = parse(next(stream))
    assert [(e["id"], e["event"], e["data"]["title"]) for e in events] == [(new_id, "assigned", "新任务")]
    response.close()


def test_idle_stream_sends_heartbeat_comments(client, app, rider, short_streams, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 0.05)
    response = client.get(STREAM, headers=auth_headers(app, rider), buffered=False)
    events, comments = parse("".join(chunks(response)))
    assert events == [] and "heartbeat" in comments


def test_stream_stops_once_the_login_is_revoked(client, app, rider, notify, short_streams, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 30)
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 0)  # check the login on every poll
    headers = auth_headers(app, rider)
    response = client.get(STREAM, headers=headers, buffered=False)
    stream = chunks(response)
    next(stream)
    with app.app_context():
        from flask_jwt_extended import decode_token

        auth_service.revoke_session(session_id=decode_token(headers["Authorization"][7:])["sid"])
    notify(rider.id, title="登出后")
    events, _ = parse("".join(stream))
    assert events == []


def test_browser_eventsource_may_send_the_token_in_the_query(client, app, rider, notify, short_streams):
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
def test_stream_bad_requests(client, app, rider, short_streams, headers, query, status):
    auth = auth_headers(app, rider) if status == 400 else {}
    response = client.get(STREAM, headers={**auth, **headers}, query_string=query)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] in ("validation_failed", "missing_token")


def test_stream_over_a_real_socket(app, rider, notify, short_streams, monkeypatch):
    """werkzeug's server on 127.0.0.1 and a raw HTTP client reading the chunked stream line by line."""
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 3)
    ids = notify(rider.id, 3)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        conn.request("GET", STREAM, headers={**auth_headers(app, rider), "Last-Event-ID": str(ids[0])})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
        seen: list[int] = []
        late: list[int] = []
        text = ""
        while line := response.readline().decode():
            text += line
            if line.startswith("id: "):
                seen.append(int(line[4:]))
                if seen == ids[1:]:  # caught up: now something happens while we listen
                    late = notify(rider.id, kind="escalated")
        conn.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert seen == ids[1:] + late and len(late) == 1
    assert [e["event"] for e in parse(text)[0]] == ["status_changed", "status_changed", "escalated"]


def test_a_lower_id_committed_after_a_higher_one_still_arrives(client, app, rider, short_streams,
                                                               monkeypatch):
    """PostgreSQL hands out ids before commit; a stream that has sent id N must still send a later N-1."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite serialises writers, so ids always commit in order")
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 10)
    response = client.get(STREAM, headers=auth_headers(app, rider), buffered=False)
    stream = chunks(response)
    next(stream)
    with app.app_context():  # a slow transaction takes its id first…
        slow_id = service.notify(user_id=rider.id, kind="status_changed", title="慢", body="…").id
        with app.app_context():  # …a quick one takes the next id and commits
            quick_id = service.notify(user_id=rider.id, kind="assigned", title="快", body="…").id
            db.session.commit()
        assert [e["id"] for e in parse(next(stream))[0]] == [quick_id]
        db.session.commit()
    assert slow_id < quick_id
    assert [e["id"] for e in parse(next(stream))[0]] == [slow_id]
    response.close()
