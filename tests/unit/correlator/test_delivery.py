"""DeliveryTracker: one outcome per message, by its first final status or a timeout."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.delivery import DeliveryTracker, Outcome
from correlator.samples import outcome_samples, samples_of
from correlator.series import SeriesKey
from schemas.enums import Channel, DeliveryStatus
from schemas.telemetry import DeliveryReceipt


def receipt(
    message_id: str,
    status: str,
    ts: float,
    *,
    service: str = "wa-gw",
    channel: str = "whatsapp",
    provider: str = "meta",
) -> DeliveryReceipt:
    return DeliveryReceipt(
        ts=ts,
        service=service,
        message_id=message_id,
        channel=Channel(channel),
        provider=provider,
        status=DeliveryStatus(status),
    )


def run(tracker: DeliveryTracker, steps: list[tuple[str, str, float]]) -> list[Outcome]:
    out: list[Outcome] = []
    for message_id, status, ts in steps:
        out.extend(tracker.observe(receipt(message_id, status, ts)))
    return out


def outcome(kind: str, ts: float) -> Outcome:
    return Outcome("wa-gw", "whatsapp", "meta", kind, ts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "kind"),
    [("delivered", "success"), ("read", "success"), ("failed", "failure"), ("undelivered", "failure")],
)
def test_final_status_decides(status: str, kind: str) -> None:
    tracker = DeliveryTracker(30)
    assert run(tracker, [("m1", "queued", 100), ("m1", "sent", 101), ("m1", status, 105)]) == [outcome(kind, 105)]
    assert tracker.pending == 0
    assert tracker.remembered == 1


def test_read_after_delivered_counts_once() -> None:
    tracker = DeliveryTracker(30)
    steps = [("m1", "queued", 100), ("m1", "sent", 101), ("m1", "delivered", 102), ("m1", "read", 110)]
    assert run(tracker, steps) == [outcome("success", 102)]


def test_duplicate_finals_count_once() -> None:
    tracker = DeliveryTracker(30)
    assert run(tracker, [("m1", "delivered", 102)] * 3 + [("m1", "sent", 103)]) == [outcome("success", 102)]


def test_the_first_final_status_wins_either_way() -> None:
    tracker = DeliveryTracker(30)
    out = run(tracker, [("m1", "delivered", 102), ("m1", "failed", 104), ("m2", "failed", 105), ("m2", "read", 106)])
    assert out == [outcome("success", 102), outcome("failure", 105)]


def test_no_final_status_times_out_as_a_failure_at_first_receipt_plus_timeout() -> None:
    tracker = DeliveryTracker(30)
    assert run(tracker, [("m1", "queued", 100), ("m1", "sent", 104)]) == []
    assert tracker.expire(129.99) == []
    assert tracker.expire(130) == [outcome("failure", 130)]
    assert tracker.pending == 0
    assert run(tracker, [("m1", "delivered", 131)]) == []  # decided: too late
    assert tracker.expire(1000) == []


def test_a_final_status_after_the_deadline_is_a_timeout_even_before_expire_runs() -> None:
    # The answer depends on event time, not on when ingest happened to call expire().
    tracker = DeliveryTracker(30)
    assert run(tracker, [("m1", "queued", 100), ("m1", "delivered", 130)]) == [outcome("failure", 130)]
    assert run(tracker, [("m2", "queued", 100), ("m2", "delivered", 129.5)]) == [outcome("success", 129.5)]


def test_the_earliest_receipt_starts_the_clock() -> None:
    tracker = DeliveryTracker(30)
    run(tracker, [("m1", "sent", 110), ("m1", "queued", 100)])  # out of order
    assert tracker.expire(130) == [outcome("failure", 130)]
    assert tracker.expire(140) == []  # the stale deadline of 140 does not fire again


def test_a_final_status_for_an_unseen_message_counts_once() -> None:
    tracker = DeliveryTracker(30)
    assert run(tracker, [("m9", "read", 200), ("m9", "read", 201), ("m9", "delivered", 202)]) == [
        outcome("success", 200)
    ]


def test_messages_are_told_apart_by_service_channel_and_provider() -> None:
    tracker = DeliveryTracker(30)
    out: list[Outcome] = []
    for kw in ({}, {"service": "other"}, {"channel": "sms"}, {"provider": "twilio"}):
        out += tracker.observe(receipt("m1", "delivered", 100, **kw))
    assert len(out) == 4
    assert {(o.service, o.channel, o.provider) for o in out} == {
        ("wa-gw", "whatsapp", "meta"),
        ("other", "whatsapp", "meta"),
        ("wa-gw", "sms", "meta"),
        ("wa-gw", "whatsapp", "twilio"),
    }


def test_decided_ids_are_forgotten_after_the_horizon_so_a_very_late_receipt_counts_again() -> None:
    # The documented price of bounded memory.
    tracker = DeliveryTracker(30)  # remembers 60 s after the decision
    assert run(tracker, [("m1", "delivered", 100)]) == [outcome("success", 100)]
    tracker.expire(159)
    assert run(tracker, [("m1", "read", 159)]) == []
    tracker.expire(160)
    assert tracker.remembered == 0
    assert run(tracker, [("m1", "read", 161)]) == [outcome("success", 161)]


def test_memory_stays_bounded_over_many_messages() -> None:
    rng = random.Random(7)
    timeout, rate = 30.0, 20  # messages per second of event time
    tracker = DeliveryTracker(timeout, transactional=True)
    # Live messages: first seen within the timeout (pending, heap) or decided within the horizon (ids, heap).
    bound = 2 * rate * (timeout + tracker.remember_seconds) + 2_000
    outcomes = Counter[str]()
    largest = 0
    n = 100_000
    for i in range(n):
        ts = i / rate
        fate = rng.random()
        steps = [("queued", ts), ("sent", ts + 0.5)]
        if fate < 0.8:
            steps += [("delivered", ts + 2), ("read", ts + 5)]
        elif fate < 0.9:
            steps += [("failed", ts + 3)]
        for status, at in steps:  # ingest sees each message's receipts within a few seconds
            outcomes.update(o.outcome for o in tracker.observe(receipt(f"m{i}", status, at)))
        if i % 100 == 99:
            outcomes.update(o.outcome for o in tracker.expire(ts))
            tracker.commit()
            largest = max(largest, tracker.footprint())
    outcomes.update(o.outcome for o in tracker.expire(math.inf))
    tracker.commit()
    assert sum(outcomes.values()) == n  # every message exactly once
    assert largest <= bound, (largest, bound)
    assert tracker.footprint() == 0


def test_forget_drops_what_came_from_a_partition() -> None:
    tracker = DeliveryTracker(30)
    tracker.observe(receipt("a", "queued", 100), origin="p0")
    tracker.observe(receipt("b", "queued", 100), origin="p1")
    tracker.observe(receipt("c", "delivered", 100), origin="p0")
    tracker.forget("p0")
    assert (tracker.pending, tracker.remembered) == (1, 0)
    assert tracker.expire(130) == [outcome("failure", 130)]  # only b: a moved to another worker


def test_rollback_undoes_everything_since_the_last_commit() -> None:
    committed = [("m1", "queued", 100), ("m2", "delivered", 100), ("m3", "queued", 100)]
    batch = [("m1", "delivered", 110), ("m2", "read", 111), ("m4", "failed", 112), ("m5", "sent", 112)]

    def attempt(tracker: DeliveryTracker) -> list[Outcome]:
        return run(tracker, batch) + tracker.expire(131)

    tracker = DeliveryTracker(30, transactional=True)
    run(tracker, committed)
    tracker.expire(100)
    tracker.commit()
    first = attempt(tracker)
    assert first == [outcome("success", 110), outcome("failure", 112), outcome("failure", 130)]
    tracker.rollback()  # the flush aborted: the same receipts are read again
    assert attempt(tracker) == first
    tracker.commit()
    assert tracker.expire(1000) == [outcome("failure", 142)]  # m5; m3 is not counted twice


def test_rollback_needs_a_transactional_tracker() -> None:
    with pytest.raises(RuntimeError):
        DeliveryTracker(30).rollback()


def test_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError):
        DeliveryTracker(0)


_STATUSES = ["queued", "sent", "delivered", "read", "failed", "undelivered"]


@st.composite
def receipt_streams(draw: st.DrawFn) -> list[tuple[str, str, float]]:
    """Receipts in event-time order; each message's receipts within 1.5 × the timeout of 30 s."""
    steps = []
    for m in range(draw(st.integers(1, 25))):
        start = draw(st.integers(0, 200))
        for _ in range(draw(st.integers(1, 4))):
            steps.append((f"m{m}", draw(st.sampled_from(_STATUSES)), float(start + draw(st.integers(0, 45)))))
    return sorted(steps, key=lambda s: s[2])


@settings(max_examples=200, deadline=None)
@given(receipt_streams(), st.lists(st.integers(0, 300), max_size=10))
def test_outcomes_do_not_depend_on_when_expire_is_called(steps: list[tuple[str, str, float]], ticks: list[int]) -> None:
    """Each message counts exactly once, the same way, whatever the flush schedule."""

    def replay(tick_at: set[int]) -> Counter[Outcome]:
        tracker = DeliveryTracker(30)
        got = Counter[Outcome]()
        for message_id, status, ts in steps:
            # A low watermark never passes an event still to come.
            for tick in sorted(t for t in tick_at if t <= ts):
                got.update(tracker.expire(tick))
                tick_at.discard(tick)
            got.update(tracker.observe(receipt(message_id, status, ts)))
        got.update(tracker.expire(math.inf))
        return got

    lazy, eager = replay(set()), replay(set(ticks))
    assert lazy == eager
    assert sum(lazy.values()) == len({m for m, _, _ in steps})


def test_outcomes_become_delivery_outcome_samples() -> None:
    tracker = DeliveryTracker(30)
    samples = samples_of("receipts", receipt("m1", "delivered", 100), tracker=tracker)
    assert samples == [
        (
            SeriesKey(
                "receipts",
                "wa-gw",
                "delivery_receipts",
                (("channel", "whatsapp"), ("provider", "meta"), ("status", "delivered")),
            ),
            100,
            None,
        ),
        (
            SeriesKey(
                "receipts",
                "wa-gw",
                "delivery_outcomes",
                (("channel", "whatsapp"), ("outcome", "success"), ("provider", "meta")),
            ),
            100,
            None,
        ),
    ]
    # Labels are sorted by key, as SeriesKey.of would sort them.
    (key, _, _) = outcome_samples([outcome("failure", 5)])[0]
    assert key == SeriesKey.of(
        "receipts", "wa-gw", "delivery_outcomes", {"provider": "meta", "outcome": "failure", "channel": "whatsapp"}
    )
