"""The stream server under load and at its limits: many streams beside submits and lists, one fan-out
instead of a poll per stream, streams per user and per process, shutdown, and Redis as the channel."""
from __future__ import annotations

import os
import socket
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy.exc import OperationalError

from app.auth.models import Role
from app.notifications import service, stream_server
from app.notifications.stream_server import make_server
from tests.factories import auth_headers, make_user
from tests.images import jpeg_bytes
from tests.mapdata import COMMUNITY, IN_WEST, load_small_map
from tests.support.sse import SseClient

STREAMS = 50
# "None waits more than a few seconds": generous on a busy 2-core machine, far below the 15–30 s
# that a thread-per-stream server showed with this many streams.
PATIENCE_SECONDS = 5.0


def _wait_connected(streams: list[SseClient]) -> None:
    for stream in streams:
        assert stream.status == 200
        assert stream.wait_for(lambda s: "connected" in s.comments)


def _timed(call) -> tuple[float, requests.Response]:
    started = time.monotonic()
    response = call()
    return time.monotonic() - started, response


def _submit(url: str, headers: dict[str, str], index: int) -> requests.Response:
    lat, lon = IN_WEST[0] + 0.0009 * (index % 3), IN_WEST[1] - 0.0011 * (index // 3)
    photo = jpeg_bytes(96, 72, gps=(lat, lon), seed=index)
    return requests.post(f"{url}/api/v1/reports", headers=headers, timeout=30,
                         data={"category": "flying_lead_charging", "lat": str(lat), "lon": str(lon)},
                         files={"photos": ("p.jpg", photo, "image/jpeg")})


def test_fifty_streams_while_submits_and_lists_keep_answering(app, notify, live_streams):
    load_small_map(app)
    rider = make_user(app, Role.RIDER, area_code=COMMUNITY, name="张骑手")
    workers = [make_user(app, Role.GRID_WORKER, area_code=COMMUNITY, name=f"网格员{n}") for n in range(2)]
    others = [make_user(app, Role.RIDER, area_code=COMMUNITY) for _ in range(STREAMS - 3)]
    users = [rider, *workers, *others]
    headers = {user.id: auth_headers(app, user) for user in users}
    with live_streams() as url:
        for worker in workers:
            duty = requests.put(f"{url}/api/v1/me/duty", headers=headers[worker.id], timeout=30,
                                json={"on_duty": True, "lat": IN_WEST[0], "lon": IN_WEST[1]})
            assert duty.status_code == 200, duty.text
        streams = {user.id: SseClient(url, headers=headers[user.id]) for user in users}
        _wait_connected(list(streams.values()))

        # Other requests commit notifications for everyone, interleaved, while the rider works.
        sent: dict[int, list[int]] = {user.id: [] for user in users}

        def commit_news() -> None:
            for round_ in range(3):
                for user in users:
                    sent[user.id] += notify(user.id, title=f"第{round_ + 1}轮")

        news = threading.Thread(target=commit_news)
        news.start()
        timings = []
        for index in range(4):
            elapsed, submitted = _timed(lambda i=index: _submit(url, headers[rider.id], i))
            assert submitted.status_code == 201, submitted.text
            timings.append(elapsed)
            elapsed, listed = _timed(lambda: requests.get(f"{url}/api/v1/reports", timeout=30,
                                                          headers=headers[rider.id]))
            assert listed.status_code == 200
            timings.append(elapsed)
        news.join(60)
        assert max(timings) < PATIENCE_SECONDS, timings

        with app.app_context():
            stored = {user.id: [row.id for row in service.notifications_after(
                user_id=user.id, after=0, limit=1000)] for user in users}
        assert sum(len(ids) for ids in stored.values()) == 3 * STREAMS + 4  # 4 "assigned" to workers
        for user in users:
            stream = streams[user.id]
            assert stream.wait_for(lambda s, want=set(stored[user.id]): set(s.ids) == want, timeout=15), \
                f"user {user.id} got {stream.ids}, stored {stored[user.id]}"
            assert len(stream.ids) == len(set(stream.ids))
            mine = [i for i in stream.ids if i in sent[user.id]]
            assert mine == sorted(mine) == sent[user.id]  # in commit order, nobody else's
        for stream in streams.values():
            stream.close()


def test_one_notification_wakes_only_its_users_streams(app, notify, live_streams, monkeypatch):
    """Fan-out, not polling: twenty idle streams read once to catch up, then only when woken."""
    reads: Counter[int] = Counter()
    real_read = stream_server.read_events

    def counting_read(flask_app, grant, cursor, **kwargs):
        reads[grant.user_id] += 1
        return real_read(flask_app, grant, cursor, **kwargs)

    monkeypatch.setattr(stream_server, "read_events", counting_read)
    users = [make_user(app, Role.RIDER) for _ in range(20)]
    with live_streams(SSE_POLL_SECONDS=0.02) as url:
        streams = [SseClient(url, headers=auth_headers(app, user)) for user in users]
        _wait_connected(streams)
        time.sleep(1.0)  # fifty poll intervals: a stream that polled would have read ~50 times
        new_id = notify(users[0].id)[0]
        assert streams[0].wait_for(lambda s: s.ids == [new_id])
        time.sleep(0.3)
        # a catch-up each, the poller's first look wakes everyone once, and one read for the news
        assert reads[users[0].id] <= 3
        assert max(reads[user.id] for user in users[1:]) <= 2
        for stream in streams:
            stream.close()


def test_a_newer_stream_of_the_same_user_ends_the_oldest_past_the_limit(app, rider, worker, notify,
                                                                        live_streams):
    with live_streams(SSE_STREAMS_PER_USER=2) as url:
        headers = auth_headers(app, rider)
        first, second = SseClient(url, headers=headers), SseClient(url, headers=headers)
        someone_else = SseClient(url, headers=auth_headers(app, worker))
        _wait_connected([first, second, someone_else])
        third = SseClient(url, headers=headers)
        assert third.status == 200
        assert first.ended.wait(5) and "replaced by a newer stream" in first.comments
        ids = notify(rider.id)
        for stream in (second, third):
            assert stream.wait_for(lambda s: s.ids == ids)
        assert not someone_else.ended.is_set() and not second.ended.is_set()
        for stream in (second, third, someone_else):
            stream.close()


def test_a_full_process_refuses_new_users_with_503(app, rider, worker, live_streams):
    third_user = make_user(app, Role.DISPATCHER)
    with live_streams(SSE_MAX_STREAMS=2) as url:
        held = [SseClient(url, headers=auth_headers(app, user)) for user in (rider, worker)]
        _wait_connected(held)
        refused = SseClient(url, headers=auth_headers(app, third_user))
        assert refused.status == 503
        assert refused.json()["error"]["code"] == "streams_busy"
        assert refused.response.getheader("Retry-After") == "10"
        held[0].close()
        time.sleep(0.2)
        admitted = SseClient(url, headers=auth_headers(app, third_user))
        assert admitted.status == 200
        for stream in (held[1], admitted):
            stream.close()


def test_shutdown_ends_every_stream_cleanly_and_quickly(app, rider, worker, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_HEARTBEAT_SECONDS", 60)
    monkeypatch.setitem(app.config, "SSE_MAX_SECONDS", 300)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = make_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        streams = [SseClient(url, headers=auth_headers(app, user)) for user in (rider, rider, worker)]
        _wait_connected(streams)
        stopping = time.monotonic()
        server.should_exit = True
        thread.join(15)
        assert not thread.is_alive()
        assert time.monotonic() - stopping < 5
        for stream in streams:
            assert stream.ended.is_set()
            assert stream.comments[-1] == "server restarting"
            assert stream.raw.endswith("\n\n")  # the chunked body ended properly, not cut mid-event
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("TEST_REDIS_URL is not set: .ci/run starts Redis and sets it")
        pytest.skip("set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test Redis wake-ups")
    return url


def test_redis_wakes_the_streams_where_it_is_the_channel(app, rider, notify, live_streams):
    with live_streams(SSE_FANOUT="redis", SSE_REDIS_URL=_redis_url(), SSE_POLL_SECONDS=60) as url:
        stream = SseClient(url, headers=auth_headers(app, rider))
        _wait_connected([stream])
        started = time.monotonic()
        ids = notify(rider.id, 2)
        assert stream.wait_for(lambda s: s.ids == ids, timeout=5)
        assert time.monotonic() - started < 5  # not the 60 s heartbeat
        stream.close()


def test_an_unreachable_redis_loses_nothing_the_heartbeat_reads_it(app, rider, notify, live_streams):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead_port = probe.getsockname()[1]  # bound, never listening: connections are refused
    try:
        with live_streams(SSE_FANOUT="redis", SSE_REDIS_URL=f"redis://127.0.0.1:{dead_port}/0",
                          SSE_HEARTBEAT_SECONDS=0.5) as url:
            stream = SseClient(url, headers=auth_headers(app, rider))
            _wait_connected([stream])
            ids = notify(rider.id, 2)  # the commit stands though the wake-up cannot be published
            assert stream.wait_for(lambda s: s.ids == ids, timeout=5)
            stream.close()
    finally:
        probe.close()


def test_a_database_outage_ends_the_stream_with_a_comment_not_an_error(app, rider, live_streams,
                                                                        monkeypatch):
    def database_gone(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    with live_streams() as url:
        monkeypatch.setattr(stream_server, "read_events", database_gone)
        stream = SseClient(url, headers=auth_headers(app, rider))
        assert stream.status == 200
        assert stream.ended.wait(5)
        assert stream.comments[-1] == "database unavailable, reconnect"
        assert stream.raw.endswith("\n\n")


def test_served_from_inside_an_app_context_each_request_has_its_own(app):
    # `flask notifications serve` (what `make run` starts) runs the server inside the CLI's app
    # context; a request must still get a fresh `g`: here, each visitor its own session and CSRF token.
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = make_server(app)

    def serve_like_the_cli() -> None:
        with app.app_context():
            server.run(sockets=[sock])

    thread = threading.Thread(target=serve_like_the_cli, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/console/"
        visitors = [requests.get(url, timeout=10) for _ in range(3)]
        assert [r.status_code for r in visitors] == [200, 200, 200]
        assert all("session" in r.cookies for r in visitors)  # each visitor is given a session to log in with
        assert len({r.cookies["session"] for r in visitors}) == 3
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
