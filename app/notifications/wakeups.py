"""What wakes a stream server's hub: PostgreSQL LISTEN, Redis SUBSCRIBE, or one poller per process."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import psycopg
import redis
import redis.asyncio
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.notifications.fanout import CHANNEL, decode_user_ids
from app.notifications.hub import Hub

RETRY_SECONDS = 1.0
POLL_BATCH = 1000
_log = logging.getLogger(__name__)


def libpq_url(sqlalchemy_url: str) -> str:
    """The app's database URL as psycopg's own connect() takes it."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen_postgres(*, url: str, hub: Hub) -> None:
    """Wake the users each NOTIFY names; reconnect on failure (until cancelled)."""
    while True:
        try:
            # Keepalives: a connection dropped without a reset is noticed and replaced.
            conn = await psycopg.AsyncConnection.connect(url, autocommit=True, keepalives=1,
                                                         keepalives_idle=30, keepalives_interval=10,
                                                         keepalives_count=3)
            async with conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                hub.channel_up()  # anything committed before LISTEN began is read now
                async for notify in conn.notifies():
                    hub.wake_users(decode_user_ids(notify.payload))
        except (psycopg.Error, OSError) as exc:
            _log.warning("stream wake-ups: PostgreSQL LISTEN failed, retrying: %s", exc)
        await asyncio.sleep(RETRY_SECONDS)


async def listen_redis(*, url: str, hub: Hub) -> None:
    """Wake the users each Redis message names; resubscribe on failure (until cancelled)."""
    while True:
        client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=2, health_check_interval=30)
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(CHANNEL)
                hub.channel_up()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        hub.wake_users(decode_user_ids(message["data"]))
        except (redis.RedisError, OSError) as exc:
            _log.warning("stream wake-ups: Redis SUBSCRIBE failed, retrying: %s", exc)
        finally:
            await client.aclose()
        await asyncio.sleep(RETRY_SECONDS)


async def poll_table(*, hub: Hub, interval: float, newest: Callable[[], Awaitable[int]],
                     recipients_after: Callable[[int], Awaitable[list[tuple[int, int]]]]) -> None:
    """One query per interval for the whole process: wake the users of notifications past the last seen."""
    last = None
    while True:
        try:
            if last is None:
                last = await newest()
                hub.channel_up()  # anything committed before the poller's first look is read now
            rows = await recipients_after(last)
        except SQLAlchemyError as exc:
            _log.warning("stream wake-ups: polling failed, retrying: %s", exc)
            rows = []
        if rows:
            last = rows[-1][0]
            hub.wake_users({user_id for _id, user_id in rows})
        elif last is not None and await _went_back(newest, last):  # emptied (a restore; tests): again
            last = None
        if len(rows) < POLL_BATCH:
            await asyncio.sleep(interval)


async def _went_back(newest: Callable[[], Awaitable[int]], last: int) -> bool:
    try:
        return await newest() < last
    except SQLAlchemyError:
        return False
