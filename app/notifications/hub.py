"""The stream server's hub: who holds a stream, per-user and per-process limits, waking and ending them."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from app.errors import AppError

# Why a stream ended, written to the client as a last SSE comment.
REPLACED = "replaced by a newer stream"
SHUTDOWN = "server restarting"


class StreamsBusy(AppError):
    status, code, message = 503, "streams_busy", "实时通知连接已满，请稍后重试。"


class ServerClosing(AppError):
    status, code, message = 503, "server_closing", "服务正在重启，请稍后重试。"


class Subscription:
    """One open stream: a flag the hub raises when its user has news, and a reason once it must end."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.opened_at = time.monotonic()
        self.attention = asyncio.Event()  # set by a wake-up, an end, or the client leaving
        self.woken = True  # the first read is the catch-up
        self.end_reason: str | None = None

    def wake(self) -> None:
        self.woken = True
        self.attention.set()

    def take_wake(self) -> bool:
        """Whether news came since the last call (and forget it)."""
        woken, self.woken = self.woken, False
        return woken

    def end(self, reason: str) -> None:
        if self.end_reason is None:
            self.end_reason = reason
        self.attention.set()


class Hub:
    """The open streams of one process, by user; lives on the server's event loop."""

    def __init__(self, *, streams_per_user: int, max_streams: int) -> None:
        self.streams_per_user = streams_per_user
        self.max_streams = max_streams
        self.closing = False
        self._by_user: dict[int, list[Subscription]] = {}
        self._count = 0
        self.listening = asyncio.Event()  # the wake-up channel is up

    @property
    def count(self) -> int:
        return self._count

    def subscribe(self, user_id: int) -> Subscription:
        """A new stream for the user; the user's oldest ends past the per-user limit (a phone that
        reconnects in a loop replaces its dead connections instead of piling them up)."""
        if self.closing:
            raise ServerClosing()
        streams = self._by_user.get(user_id, [])
        if self._count >= self.max_streams and len(streams) < self.streams_per_user:
            raise StreamsBusy(headers={"Retry-After": "10"})
        streams = self._by_user.setdefault(user_id, streams)
        subscription = Subscription(user_id)
        streams.append(subscription)
        self._count += 1
        for old in streams[:-self.streams_per_user]:
            self._drop(old)
            old.end(REPLACED)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a stream that ended (idempotent)."""
        self._drop(subscription)

    def _drop(self, subscription: Subscription) -> None:
        streams = self._by_user.get(subscription.user_id, [])
        if subscription in streams:
            streams.remove(subscription)
            self._count -= 1
            if not streams:
                del self._by_user[subscription.user_id]

    def wake_users(self, user_ids: Iterable[int]) -> None:
        """These users have news: their streams read it."""
        for user_id in user_ids:
            for subscription in self._by_user.get(user_id, ()):
                subscription.wake()

    def channel_up(self) -> None:
        """The wake-up channel (re)connected: news may have passed unheard, so every stream reads."""
        self.listening.set()
        self.wake_all()

    def wake_all(self) -> None:
        """Every stream reads."""
        for streams in self._by_user.values():
            for subscription in streams:
                subscription.wake()

    def close(self) -> None:
        """End every stream and refuse new ones: the process is shutting down."""
        self.closing = True
        for streams in list(self._by_user.values()):
            for subscription in list(streams):
                subscription.end(SHUTDOWN)
