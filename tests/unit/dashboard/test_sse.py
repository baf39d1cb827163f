"""Server-sent event framing and the hub that fans frames out."""

from __future__ import annotations

import pytest

from streams.dashboard import EventHub, comment_frame, event_frame, retry_frame


def test_event_frame_splits_lines_into_data_fields():
    assert event_frame("incident", b'{"a":1}') == b'event: incident\ndata: {"a":1}\n\n'
    assert event_frame("x", "one\ntwo\r\nthree") == b"event: x\ndata: one\ndata: two\ndata: three\n\n"
    assert event_frame("x", "") == b"event: x\ndata: \n\n"


@pytest.mark.parametrize("name", ["", "a\nb", "a:b", "a\rb"])
def test_event_names_cannot_break_the_framing(name):
    with pytest.raises(ValueError):
        event_frame(name, "{}")


def test_comments_and_retry():
    assert comment_frame("heartbeat") == b": heartbeat\n\n"
    assert comment_frame() == b": \n\n"
    assert comment_frame("a\nb") == b": a\n: b\n\n"
    assert retry_frame(2000) == b"retry: 2000\n\n"


async def test_hub_delivers_to_every_subscriber_and_times_out_quietly():
    hub = EventHub()
    one, two = hub.subscribe(), hub.subscribe()
    assert hub.publish(b"f1") == 2
    assert await one.next(1) == b"f1" and await two.next(1) == b"f1"
    assert await one.next(0.01) is None  # nothing: the caller sends a heartbeat
    hub.unsubscribe(one)
    assert len(hub) == 1 and hub.publish(b"f2") == 1


async def test_a_subscriber_that_falls_behind_is_closed_not_waited_for():
    hub = EventHub(queue_size=3)
    slow = hub.subscribe()
    for i in range(5):
        hub.publish(b"f%d" % i)
    assert slow.lagged and slow.closed and len(hub) == 0
    assert await slow.next(1) == b""  # the stream ends; the page reconnects and reloads


async def test_close_ends_every_stream_and_refuses_new_ones():
    hub = EventHub()
    sub = hub.subscribe()
    hub.publish(b"f")
    hub.close()
    assert await sub.next(1) == b""
    late = hub.subscribe()
    assert late.closed and await late.next(1) == b""
