"""The stream server: asyncio holds every notification stream (no thread each); the Flask app serves the rest."""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import io
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import uvicorn
from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi import build_environ
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from app.common.db import reading_only
from app.errors import AppError
from app.notifications import service
from app.notifications.fanout import Fanout, current_fanout
from app.notifications.hub import Hub, Subscription
from app.notifications.stream import (
    GRANT_KEY,
    HANDOFF_KEY,
    Cursor,
    StreamGrant,
    StreamSettings,
    opening,
    read_events,
)
from app.notifications.wakeups import POLL_BATCH, libpq_url, listen_postgres, listen_redis, poll_table

STREAM_PATH = "/api/v1/notifications/stream"
STREAM_HEADERS = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
                  (b"x-accel-buffering", b"no")]
# A client that takes no bytes for this long is gone (its TCP buffer is full): drop it.
WRITE_TIMEOUT_SECONDS = 10.0
CLOSE_WAIT_SECONDS = 5.0
STARTUP_WAIT_SECONDS = 3.0
LOGGED_OUT = "login ended"
DATABASE_AWAY = "database unavailable, reconnect"
CLIENT_LEFT = "client left"


class _ClientStalled(Exception):
    """The client stopped reading."""


class StreamServer:
    """An ASGI app: GET /api/v1/notifications/stream natively on the event loop, everything else the
    Flask app on a thread pool. The Flask view still parses and authenticates each stream request."""

    def __init__(self, flask_app: Flask, *, wsgi_threads: int = 16) -> None:
        self.flask_app = flask_app
        self.settings = StreamSettings.from_config(flask_app.config)
        self.hub = Hub(streams_per_user=self.settings.streams_per_user,
                       max_streams=self.settings.max_streams)
        self.wsgi = WSGIMiddleware(flask_app, workers=wsgi_threads)
        self._db_threads = ThreadPoolExecutor(self.settings.db_threads, thread_name_prefix="stream-db")
        self._wakeups: asyncio.Task | None = None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == STREAM_PATH and scope["method"] == "GET":
            await self._stream(scope, receive, send)
        else:
            await self.wsgi(scope, receive, send)

    async def close(self) -> None:
        """End every stream cleanly (each gets a last comment), then stop listening for wake-ups."""
        self.hub.close()
        deadline = time.monotonic() + CLOSE_WAIT_SECONDS
        while self.hub.count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if self._wakeups is not None:
            self._wakeups.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._wakeups

    async def on_db_thread(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs) on one of the server's few database threads, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(
            self._db_threads, partial(fn, *args, **kwargs))

    async def in_db(self, fn: Callable[..., Any], /, **kwargs: Any) -> Any:
        """fn(**kwargs) in a read-only app context on a database thread."""
        return await self.on_db_thread(self._call_in_app, fn, kwargs)

    def _call_in_app(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        with reading_only(), self.flask_app.app_context():
            return fn(**kwargs)

    # --- one stream ---------------------------------------------------------------------------

    async def _stream(self, scope: dict, receive: Callable, send: Callable) -> None:
        grant, refusal = await self.on_db_thread(self._ask_flask, scope)
        if grant is None:
            await _send_whole(send, *refusal)
            return
        self._start_wakeups()
        try:
            subscription = self.hub.subscribe(grant.user_id)
        except AppError as exc:
            await _send_error(send, exc)
            return
        watcher = asyncio.create_task(_watch_disconnect(receive, subscription))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": STREAM_HEADERS})
            await _Connection(self, send, subscription, grant).run()
            await _write(send, b"", more=False)
        except _ClientStalled:
            pass  # returning without an end makes the server drop the connection
        finally:
            watcher.cancel()
            self.hub.unsubscribe(subscription)

    def _ask_flask(self, scope: dict) -> tuple[StreamGrant | None, tuple[int, list, bytes]]:
        """Run the request through the Flask view (validation, token, login): a grant, or its refusal."""
        environ = build_environ(scope, io.BytesIO(b""))
        environ[HANDOFF_KEY] = True
        started: dict[str, Any] = {}

        def start_response(status: str, headers: list, exc_info: Any = None) -> None:
            started.update(status=int(status.split()[0]), headers=headers)

        chunks = self.flask_app(environ, start_response)
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                   for name, value in started["headers"]]
        return environ.get(GRANT_KEY), (started["status"], headers, body)

    # --- wake-ups -------------------------------------------------------------------------------

    def _start_wakeups(self) -> None:
        if self._wakeups is None:  # at startup, or on the first stream where no lifespan runs
            self._wakeups = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        with self.flask_app.app_context():
            fanout = current_fanout()
        config = self.flask_app.config
        if fanout is Fanout.POSTGRES:
            await listen_postgres(url=libpq_url(config["SQLALCHEMY_DATABASE_URI"]), hub=self.hub)
        elif fanout is Fanout.REDIS:
            await listen_redis(url=config["SSE_REDIS_URL"], hub=self.hub)
        else:
            await poll_table(
                hub=self.hub, interval=self.settings.poll_seconds,
                newest=lambda: self.in_db(service.newest_notification_id),
                recipients_after=lambda last: self.in_db(service.recipients_after, after=last,
                                                         limit=POLL_BATCH))

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._start_wakeups()
                with contextlib.suppress(TimeoutError):  # a channel down at start keeps retrying
                    await asyncio.wait_for(self.hub.listening.wait(), STARTUP_WAIT_SECONDS)
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":  # after the last connection closed
                await self.close()
                self._db_threads.shutdown(wait=False)
                self.wsgi.executor.shutdown(wait=False)
                await send({"type": "lifespan.shutdown.complete"})
                return


class _Connection:
    """One client's stream: catch up, then send what each wake-up brings, heartbeats when idle,
    a login check every heartbeat, until the deadline, the hub ends it, or the client leaves."""

    def __init__(self, server: StreamServer, send: Callable, subscription: Subscription,
                 grant: StreamGrant) -> None:
        self.server, self.send, self.subscription, self.grant = server, send, subscription, grant
        self.heartbeat = server.settings.heartbeat_seconds
        self.cursor = Cursor(grant.after)
        now = time.monotonic()
        self.deadline = now + server.settings.max_seconds
        self.next_login_check = now + self.heartbeat
        self.last_write = now

    async def run(self) -> None:
        subscription = self.subscription
        await self._write(opening())
        while subscription.end_reason is None and time.monotonic() < self.deadline:
            subscription.attention.clear()  # before reading: a wake-up during the read is kept
            check_login = time.monotonic() >= self.next_login_check
            if (subscription.take_wake() or check_login) and not await self._send_news(check_login):
                subscription.end(LOGGED_OUT)
                break
            if time.monotonic() - self.last_write >= self.heartbeat:
                await self._write(": heartbeat\n\n")  # keeps proxies and phone radios from dropping it
            await self._wait()
        if subscription.end_reason not in (None, CLIENT_LEFT):
            await self._write(f": {subscription.end_reason}\n\n")

    async def _send_news(self, check_login: bool) -> bool:
        """Send the notifications not yet sent; False if the login ended."""
        try:
            events = await self.server.on_db_thread(read_events, self.server.flask_app, self.grant,
                                                    self.cursor, check_login=check_login)
        except SQLAlchemyError:  # the database is away: end, and the client resumes where it was
            self.subscription.end(DATABASE_AWAY)
            return True
        if events is None:
            return False
        if check_login:
            self.next_login_check = time.monotonic() + self.heartbeat
        if events:
            await self._write("".join(events))
        return True

    async def _wait(self) -> None:
        wake_by = min(self.deadline, self.next_login_check, self.last_write + self.heartbeat)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.subscription.attention.wait(),
                                   max(0.01, wake_by - time.monotonic()))

    async def _write(self, text: str) -> None:
        await _write(self.send, text.encode())
        self.last_write = time.monotonic()


async def _write(send: Callable, body: bytes, *, more: bool = True) -> None:
    try:
        await asyncio.wait_for(send({"type": "http.response.body", "body": body, "more_body": more}),
                               WRITE_TIMEOUT_SECONDS)
    except TimeoutError as exc:
        raise _ClientStalled() from exc


async def _watch_disconnect(receive: Callable, subscription: Subscription) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    subscription.end(CLIENT_LEFT)


async def _send_whole(send: Callable, status: int, headers: list, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(send: Callable, error: AppError) -> None:
    body = json.dumps(error.to_dict(), ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"),
               *[(name.lower().encode(), value.encode()) for name, value in error.headers.items()]]
    await _send_whole(send, error.status, headers, body)


# --- running it -------------------------------------------------------------------------------------

class _Uvicorn(uvicorn.Server):
    """uvicorn, ending the streams itself on shutdown (uvicorn alone would wait for them to finish)."""

    def __init__(self, config: uvicorn.Config, stream_server: StreamServer) -> None:
        super().__init__(config)
        self.stream_server = stream_server

    def run(self, *args: Any, **kwargs: Any) -> None:
        # In a context of its own: the event loop's tasks and a2wsgi's threads copy the caller's
        # context, and `flask notifications serve` calls this inside an app context — every request
        # would then share that context's `g` (one CSRF token, one JWT user) instead of its own.
        contextvars.Context().run(super().run, *args, **kwargs)

    async def shutdown(self, sockets: list | None = None) -> None:
        await self.stream_server.close()
        await super().shutdown(sockets)


def make_server(flask_app: Flask, *, host: str = "127.0.0.1", port: int = 0,
                log_level: str = "warning", wsgi_threads: int = 16) -> uvicorn.Server:
    """A uvicorn server for the stream server on flask_app: `.run()` serves until SIGTERM/SIGINT."""
    stream_server = StreamServer(flask_app, wsgi_threads=wsgi_threads)
    config = uvicorn.Config(stream_server, host=host, port=port, log_level=log_level, lifespan="on",
                            timeout_graceful_shutdown=int(CLOSE_WAIT_SECONDS) * 2, access_log=False)
    return _Uvicorn(config, stream_server)
