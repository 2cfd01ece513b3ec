"""Pure rules of live streams: which channel wakes them, wake-up messages, and the hub's limits."""
from __future__ import annotations

import pytest

from app.notifications.fanout import Fanout, choose_fanout, decode_user_ids, encode_user_ids
from app.notifications.hub import REPLACED, SHUTDOWN, Hub, ServerClosing, StreamsBusy


@pytest.mark.parametrize("configured, dialect, redis_url, expected", [
    ("auto", "postgresql", "", Fanout.POSTGRES),
    ("auto", "postgresql", "redis://127.0.0.1:6379/0", Fanout.POSTGRES),
    ("auto", "sqlite", "redis://127.0.0.1:6379/0", Fanout.REDIS),
    ("auto", "sqlite", "", Fanout.POLL),
    ("redis", "postgresql", "redis://127.0.0.1:6379/0", Fanout.REDIS),
    ("poll", "postgresql", "", Fanout.POLL),
    ("postgres", "sqlite", "", Fanout.POLL),  # NOTIFY needs PostgreSQL
])
def test_the_channel_that_wakes_streams(configured, dialect, redis_url, expected):
    assert choose_fanout(configured=configured, dialect=dialect, redis_url=redis_url) is expected


def test_an_unknown_channel_is_a_configuration_error():
    with pytest.raises(ValueError):
        choose_fanout(configured="carrier_pigeon", dialect="sqlite", redis_url="")


def test_wake_up_messages_carry_user_ids_in_parts_small_enough_for_notify():
    ids = list(range(1, 1202))
    messages = encode_user_ids(ids)
    assert len(messages) == 3 and all(len(m.encode()) < 8000 for m in messages)
    assert [i for m in messages for i in decode_user_ids(m)] == ids
    assert decode_user_ids(b"7,8") == [7, 8]
    assert decode_user_ids("x,,-3,9") == [9]  # anything malformed is ignored, not an error


def test_a_users_newest_stream_ends_the_oldest_past_the_limit():
    hub = Hub(streams_per_user=2, max_streams=10)
    first, second = hub.subscribe(1), hub.subscribe(1)
    other = hub.subscribe(2)
    third = hub.subscribe(1)
    assert first.end_reason == REPLACED and first.attention.is_set()
    assert second.end_reason is third.end_reason is other.end_reason is None
    assert hub.count == 3


def test_a_full_hub_refuses_new_users_but_lets_a_user_replace_their_own():
    hub = Hub(streams_per_user=1, max_streams=2)
    held = hub.subscribe(1)
    hub.subscribe(2)
    with pytest.raises(StreamsBusy) as refused:
        hub.subscribe(3)
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    replacement = hub.subscribe(1)  # a reconnecting phone is not locked out by its own dead stream
    assert held.end_reason == REPLACED and replacement.end_reason is None
    hub.unsubscribe(replacement)
    hub.unsubscribe(replacement)  # idempotent
    assert hub.count == 1
    hub.subscribe(3)


def test_wake_ups_reach_only_the_named_users_and_closing_ends_everyone():
    hub = Hub(streams_per_user=3, max_streams=10)
    mine, theirs = hub.subscribe(1), hub.subscribe(2)
    mine.take_wake(), theirs.take_wake()  # the catch-up read
    hub.wake_users([1, 99])
    assert mine.take_wake() and not theirs.take_wake()
    assert not mine.take_wake()  # taken once
    hub.close()
    assert mine.end_reason == theirs.end_reason == SHUTDOWN
    with pytest.raises(ServerClosing):
        hub.subscribe(3)
