"""The dispatcher end to end: retry schedule, rate limit, breaker, fallback, dedup, records, callbacks, concurrency.

Notifiers here are scripted fakes (and one real HTTP notifier against an
in-test aiohttp server); time is a fake clock whose sleep advances it, so
schedules are exact and nothing really waits.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp
import pytest
from aiohttp import test_utils, web

from notifiers.base import Message, Outcome
from notifiers.delivery import (
    AttemptRecord,
    Backoff,
    BreakerSettings,
    BreakerState,
    Dispatcher,
    RateLimit,
    ReceiverPolicy,
    StopReason,
)
from schemas.codec import decode, encode
from schemas.enums import IncidentEventType, NotificationOutcome
from schemas.examples import INCIDENT_EVENT
from schemas.notification import NotificationResult

EPOCH = 1_767_225_600.0  # wall clock = EPOCH + fake monotonic time
OK = Outcome(True, "202 Accepted", status=202)
DOWN = Outcome(False, "503 Service Unavailable", status=503, retryable=True)
BAD = Outcome(False, "400 Bad Request", status=400)
SEEDED_WAITS = [0.323833, 0.301698, 2.603738, 0.579490, 8.574112]  # full jitter, Random(7), base 1 s


@dataclass
class FakeTime:
    """Monotonic time that moves only when someone sleeps.

    A sleeper yields once, then moves the clock to its wake-up time (if it
    is later), so sleepers wake in the order they fell asleep. That is
    exact for the rate limiter's queue, where later callers wait longer,
    and for one delivery's backoff; tests that need waits to really block
    pass their own sleep.
    """

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def wall(self) -> float:
        return EPOCH + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        wake = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, wake)


@dataclass
class Scripted:
    """A receiver that answers with `outcomes` in turn (the last one repeats), taking `latency` fake seconds."""

    kind: ClassVar[str] = "scripted"
    default_rate_per_second: ClassVar[float] = 1000.0

    name: str
    outcomes: list[Outcome]
    time: FakeTime
    latency: float = 0.25
    gate: asyncio.Event | None = None  #: when set, each send waits for it (a provider that hangs)
    sent: list[Message] = field(default_factory=list)

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        self.sent.append(message)
        if self.gate is not None:
            await self.gate.wait()
        self.time.now += self.latency
        return self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]


@dataclass
class Harness:
    time: FakeTime
    dispatcher: Dispatcher
    attempts: list[AttemptRecord]
    failing: list[tuple[str, str]]
    recovered: list[str]

    def receiver(self, name: str, *outcomes: Outcome, **kwargs: Any) -> Scripted:
        return Scripted(name, list(outcomes), self.time, **kwargs)


Make = Callable[..., Harness]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def make(http: aiohttp.ClientSession) -> Make:
    def build(
        policies: dict[str, ReceiverPolicy] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        **kwargs: Any,
    ) -> Harness:
        time = FakeTime()
        attempts: list[AttemptRecord] = []
        failing: list[tuple[str, str]] = []
        recovered: list[str] = []
        dispatcher = Dispatcher(
            http,
            policies=policies,
            on_attempt=attempts.append,
            on_receiver_failing=lambda receiver, reason: failing.append((receiver, reason)),
            on_receiver_recovered=recovered.append,
            clock=time.clock,
            wall_clock=time.wall,
            sleep=sleep or time.sleep,
            rng=random.Random(7),
            **kwargs,
        )
        return Harness(time, dispatcher, attempts, failing, recovered)

    return build


def message(key: str = "inc-5d41402abc4b:opened:0", receiver: str = "slack-oncall", **changes: Any) -> Message:
    fields: dict[str, Any] = {
        "key": key,
        "receiver": receiver,
        "event": IncidentEventType.OPENED,
        "incident": INCIDENT_EVENT.incident,
        "ts": INCIDENT_EVENT.ts,
        "reference": "1712345678.000100",
    }
    fields.update(changes)
    return Message(**fields)


async def test_retries_on_the_seeded_schedule_and_records_every_attempt(make: Make) -> None:
    h = make()
    slack = h.receiver("slack-oncall", DOWN, DOWN, OK)

    delivery = await h.dispatcher.deliver(message(), slack)

    assert delivery.delivered and delivery.delivered_by == "slack-oncall" and not delivery.duplicate
    assert delivery.primary.stop is StopReason.DELIVERED and delivery.fallback is None
    assert h.time.sleeps == pytest.approx(SEEDED_WAITS[:2], abs=1e-6)
    assert len(slack.sent) == 3
    assert delivery.attempts == tuple(h.attempts)
    first, second, third = h.attempts
    assert first == AttemptRecord(
        receiver="slack-oncall",
        key="inc-5d41402abc4b:opened:0",
        incident_id="inc-5d41402abc4b",
        attempt=1,
        started=EPOCH,
        finished=EPOCH + 0.25,
        outcome=DOWN,
        waited=0.0,
        throttled=0.0,
        stop=None,
        retry_in=0.32383276483316237,  # Random(7).random() × 1 s
    )
    assert first.to_result() == NotificationResult(
        key="inc-5d41402abc4b:opened:0",
        receiver="slack-oncall",
        incident_id="inc-5d41402abc4b",
        outcome=NotificationOutcome.RETRYING,
        attempt=1,
        ts=EPOCH + 0.25,
        seconds=0.25,
        status=503,
        detail="503 Service Unavailable; retrying in 0.3 s",
    )
    assert (second.attempt, second.outcome, second.throttled, second.stop) == (2, DOWN, 0.0, None)
    assert second.waited == pytest.approx(SEEDED_WAITS[0], abs=1e-6)
    assert second.started == pytest.approx(EPOCH + 0.25 + SEEDED_WAITS[0])
    assert second.duration == pytest.approx(0.25)
    assert (third.attempt, third.outcome, third.stop, third.retry_in) == (3, OK, StopReason.DELIVERED, None)
    assert third.waited == pytest.approx(SEEDED_WAITS[1], abs=1e-6)
    assert third.to_result().outcome is NotificationOutcome.DELIVERED
    assert third.to_result().detail == "202 Accepted"
    assert h.failing == [] and h.recovered == []


async def test_a_non_retryable_failure_goes_to_the_fallback_once_with_the_same_key(make: Make) -> None:
    h = make()
    slack = h.receiver("slack-oncall", BAD)
    email = h.receiver("email-oncall", OK)

    delivery = await h.dispatcher.deliver(message(), slack, email)

    assert delivery.delivered and delivery.delivered_by == "email-oncall"
    assert delivery.primary.stop is StopReason.NOT_RETRYABLE and len(delivery.primary.attempts) == 1
    assert delivery.fallback is not None and delivery.fallback.stop is StopReason.DELIVERED
    assert h.time.sleeps == []  # nothing to wait for: a 400 will not change
    [moved] = email.sent
    assert moved.key == "inc-5d41402abc4b:opened:0" and moved.receiver == "email-oncall"
    assert moved.reference is None  # the primary's provider handle means nothing to the fallback
    assert moved.incident == slack.sent[0].incident
    assert [(a.receiver, a.attempt, a.stop, a.fallback, a.fallback_for) for a in h.attempts] == [
        ("slack-oncall", 1, StopReason.NOT_RETRYABLE, "email-oncall", None),
        ("email-oncall", 1, StopReason.DELIVERED, None, "slack-oncall"),
    ]
    handed = h.attempts[0].to_result()
    assert (handed.outcome, handed.fallback, handed.status) == (NotificationOutcome.FALLBACK, "email-oncall", 400)
    assert handed.detail == "400 Bad Request; handed to email-oncall"


async def test_exhausted_attempts_go_to_the_fallback(make: Make) -> None:
    h = make()
    slack = h.receiver("slack-oncall", DOWN)
    email = h.receiver("email-oncall", OK)

    delivery = await h.dispatcher.deliver(message(), slack, email)

    assert delivery.primary.stop is StopReason.ATTEMPTS_EXHAUSTED
    assert len(slack.sent) == 6 and len(email.sent) == 1
    assert h.time.sleeps == pytest.approx(SEEDED_WAITS, abs=1e-6)
    assert delivery.delivered_by == "email-oncall"
    assert [a.stop for a in h.attempts[:6]] == [None] * 5 + [StopReason.ATTEMPTS_EXHAUSTED]
    assert h.attempts[5].to_result().detail == (
        "503 Service Unavailable; gave up (attempts_exhausted); handed to email-oncall"
    )


async def test_a_fallback_chain_is_tried_in_order_until_one_delivers(make: Make) -> None:
    h = make()
    pager = h.receiver("pager", BAD)
    slack = h.receiver("slack", BAD)
    email = h.receiver("email", OK)
    never = h.receiver("console", OK)

    delivery = await h.dispatcher.deliver(message(receiver="pager"), pager, [slack, pager, slack, email, never])

    assert delivery.delivered_by == "email"
    assert [r.receiver for r in delivery.fallbacks] == ["slack", "email"]  # repeats and the primary skipped
    assert delivery.fallback is delivery.fallbacks[-1]
    assert never.sent == [] and (len(pager.sent), len(slack.sent), len(email.sent)) == (1, 1, 1)
    assert [(a.receiver, a.fallback, a.fallback_for) for a in h.attempts] == [
        ("pager", "slack", None),
        ("slack", "email", "pager"),
        ("email", None, "pager"),
    ]
    assert [m.receiver for m in (*slack.sent, *email.sent)] == ["slack", "email"]


async def test_the_end_of_a_failing_chain_is_not_delivered(make: Make) -> None:
    h = make()
    delivery = await h.dispatcher.deliver(message(), h.receiver("slack-oncall", BAD), [h.receiver("email-oncall", BAD)])
    assert not delivery.delivered and delivery.delivered_by is None and delivery.reference is None
    assert [r.stop for r in delivery.results] == [StopReason.NOT_RETRYABLE] * 2
    assert h.attempts[-1].fallback is None and h.attempts[-1].to_result().outcome is NotificationOutcome.FAILED


async def test_the_deadline_stops_retries_early(make: Make) -> None:
    policy = ReceiverPolicy(rate=RateLimit(100, 100), backoff=Backoff(deadline=3.0))
    h = make(policies={"slack-oncall": policy})
    slack = h.receiver("slack-oncall", DOWN)

    delivery = await h.dispatcher.deliver(message(), slack)

    # elapsed before each wait: 0.25, 0.82, 1.38 s; the third wait (2.60 s) would end past 3 s
    assert delivery.primary.stop is StopReason.DEADLINE
    assert len(slack.sent) == 3
    assert h.time.sleeps == pytest.approx(SEEDED_WAITS[:2], abs=1e-6)
    assert not delivery.delivered and delivery.delivered_by is None
    last = h.attempts[-1].to_result()
    assert (last.outcome, last.fallback, last.detail) == (
        NotificationOutcome.FAILED,
        None,
        "503 Service Unavailable; gave up (deadline)",
    )


async def test_a_delivered_message_never_reaches_the_fallback(make: Make) -> None:
    h = make()
    email = h.receiver("email-oncall", OK)

    delivery = await h.dispatcher.deliver(message(), h.receiver("slack-oncall", OK), email)

    assert delivery.fallback is None and email.sent == []


async def test_the_same_key_is_sent_once_even_when_delivered_twice(make: Make) -> None:
    h = make()
    slack = h.receiver("slack-oncall", Outcome(True, "ok", status=200, reference="ts-1"))

    first = await h.dispatcher.deliver(message(), slack)
    again = await h.dispatcher.deliver(message(), slack)
    other = await h.dispatcher.deliver(message(key="inc-5d41402abc4b:acknowledged:0"), slack)

    assert len(slack.sent) == 2
    assert not first.duplicate and again.duplicate and not other.duplicate
    assert again.primary == first.primary and again.reference == "ts-1"
    assert [(a.key, a.attempt, a.stop) for a in h.attempts] == [
        ("inc-5d41402abc4b:opened:0", 1, StopReason.DELIVERED),
        ("inc-5d41402abc4b:opened:0", 0, StopReason.DUPLICATE),  # nothing sent, but recorded
        ("inc-5d41402abc4b:acknowledged:0", 1, StopReason.DELIVERED),
    ]
    duplicate = h.attempts[1].to_result()
    assert (duplicate.outcome, duplicate.attempt) == (NotificationOutcome.DUPLICATE, 0)
    assert duplicate.detail == "duplicate: already delivered, not sent again"


async def test_concurrent_calls_for_one_key_share_one_send(make: Make) -> None:
    h = make()
    gate = asyncio.Event()
    slack = h.receiver("slack-oncall", OK, gate=gate)

    calls = [asyncio.create_task(h.dispatcher.deliver(message(), slack)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    deliveries = await asyncio.gather(*calls)

    assert len(slack.sent) == 1
    assert sorted(d.duplicate for d in deliveries) == [False, True, True]
    assert [d.primary for d in deliveries] == [deliveries[0].primary] * 3


async def test_a_failed_key_is_not_resent_to_the_fallback_either(make: Make) -> None:
    h = make()
    slack, email = h.receiver("slack-oncall", BAD), h.receiver("email-oncall", OK)

    await h.dispatcher.deliver(message(), slack, email)
    again = await h.dispatcher.deliver(message(), slack, email)

    assert (len(slack.sent), len(email.sent)) == (1, 1)
    assert again.duplicate and again.delivered_by == "email-oncall"


async def test_the_breaker_opens_reports_failing_fails_fast_then_a_trial_recovers(make: Make) -> None:
    h = make()
    slack = h.receiver("slack-oncall", BAD, BAD, BAD, BAD, BAD, OK)
    email = h.receiver("email-oncall", OK)

    for n in range(5):
        await h.dispatcher.deliver(message(key=f"k{n}"), slack, email)

    assert h.failing == [("slack-oncall", "5 consecutive failed deliveries (last: 400 Bad Request)")]
    assert dict(h.dispatcher.failing) == {"slack-oncall": "5 consecutive failed deliveries (last: 400 Bad Request)"}
    assert h.dispatcher.breaker_state("slack-oncall") is BreakerState.OPEN
    assert len(slack.sent) == 5

    h.time.now += 59.0
    fast = await h.dispatcher.deliver(message(key="k5"), slack, email)

    assert fast.primary.stop is StopReason.BREAKER_OPEN and fast.primary.attempts == ()
    assert fast.primary.outcome is None
    assert len(slack.sent) == 5  # no request while open
    assert fast.delivered_by == "email-oncall"
    cut_off = h.attempts[-2].to_result()
    assert (cut_off.receiver, cut_off.attempt, cut_off.outcome, cut_off.fallback) == (
        "slack-oncall",
        0,
        NotificationOutcome.CIRCUIT_OPEN,
        "email-oncall",
    )
    assert cut_off.detail == (
        "circuit open, not sent: 5 consecutive failed deliveries (last: 400 Bad Request); handed to email-oncall"
    )

    h.time.now += 1.0  # the 60 s cooldown is over: the next delivery is the trial
    assert h.dispatcher.breaker_state("slack-oncall") is BreakerState.HALF_OPEN
    trial = await h.dispatcher.deliver(message(key="k6"), slack, email)

    assert trial.delivered_by == "slack-oncall"
    assert h.recovered == ["slack-oncall"]
    assert dict(h.dispatcher.failing) == {}
    assert h.dispatcher.breaker_state("slack-oncall") is BreakerState.CLOSED
    assert len(h.failing) == 1
    # every record, sent or not, makes a valid results-topic record
    results = [a.to_result() for a in h.attempts]
    assert {r.outcome for r in results} == {
        NotificationOutcome.FALLBACK,
        NotificationOutcome.DELIVERED,
        NotificationOutcome.CIRCUIT_OPEN,
    }
    assert [decode(NotificationResult, encode(r)) for r in results] == results


async def test_a_failed_trial_gets_one_attempt_reopens_and_is_not_reported_again(make: Make) -> None:
    h = make(policies={"slack-oncall": ReceiverPolicy(rate=RateLimit(100, 100), breaker=BreakerSettings(threshold=1))})
    slack = h.receiver("slack-oncall", DOWN)
    email = h.receiver("email-oncall", OK)

    await h.dispatcher.deliver(message(key="k0"), slack, email)  # 6 attempts, then the breaker opens
    assert len(slack.sent) == 6
    assert h.failing == [("slack-oncall", "1 consecutive failed deliveries (last: 503 Service Unavailable)")]

    h.time.now += 60.0
    trial = await h.dispatcher.deliver(message(key="k1"), slack, email)

    assert trial.primary.stop is StopReason.ATTEMPTS_EXHAUSTED and len(trial.primary.attempts) == 1
    assert len(slack.sent) == 7
    assert trial.delivered_by == "email-oncall"
    assert h.dispatcher.breaker_state("slack-oncall") is BreakerState.OPEN
    assert len(h.failing) == 1 and h.recovered == []


async def test_a_breaker_opened_by_others_stops_a_delivery_between_retries(make: Make) -> None:
    released = asyncio.Event()

    async def held_sleep(seconds: float) -> None:
        await released.wait()

    policy = ReceiverPolicy(rate=RateLimit(100, 100), breaker=BreakerSettings(threshold=1))
    h = make(policies={"slack-oncall": policy}, sleep=held_sleep)
    slack = h.receiver("slack-oncall", DOWN, BAD)
    email = h.receiver("email-oncall", OK)

    retrying = asyncio.create_task(h.dispatcher.deliver(message(key="k0"), slack, email))
    while not slack.sent:
        await asyncio.sleep(0)
    refused = await h.dispatcher.deliver(message(key="k1"), slack, email)  # 400: the breaker opens
    assert refused.primary.stop is StopReason.NOT_RETRYABLE
    released.set()
    stopped = await retrying

    assert stopped.primary.stop is StopReason.BREAKER_OPEN and len(stopped.primary.attempts) == 1
    assert stopped.delivered_by == "email-oncall"
    assert len(slack.sent) == 2
    slack_records = [(a.key, a.attempt, a.stop) for a in h.attempts if a.receiver == "slack-oncall"]
    assert slack_records == [
        ("k0", 1, None),
        ("k1", 1, StopReason.NOT_RETRYABLE),
        ("k0", 0, StopReason.BREAKER_OPEN),  # woke up to a breaker that opened meanwhile: not sent
    ]


async def test_a_receiver_cut_off_during_an_attempt_is_not_waited_for(make: Make) -> None:
    policy = ReceiverPolicy(rate=RateLimit(100, 100), breaker=BreakerSettings(threshold=1))
    h = make(policies={"slack-oncall": policy})
    gate = asyncio.Event()
    slow = h.receiver("slack-oncall", DOWN, gate=gate)
    email = h.receiver("email-oncall", OK)

    in_flight = asyncio.create_task(h.dispatcher.deliver(message(key="k0"), slow, email))
    while not slow.sent:
        await asyncio.sleep(0)
    await h.dispatcher.deliver(message(key="k1"), h.receiver("slack-oncall", BAD), email)  # opens the breaker
    gate.set()
    stopped = await in_flight

    assert stopped.primary.stop is StopReason.BREAKER_OPEN
    assert h.time.sleeps == []  # a retryable 503, but no backoff wait for a receiver that is cut off
    record = stopped.primary.attempts[0]
    assert (record.stop, record.retry_in, record.fallback) == (StopReason.BREAKER_OPEN, None, "email-oncall")
    assert stopped.delivered_by == "email-oncall"


async def test_a_cancelled_trial_leaves_the_trial_to_the_next_delivery(make: Make) -> None:
    h = make(policies={"slack-oncall": ReceiverPolicy(rate=RateLimit(100, 100), breaker=BreakerSettings(threshold=1))})
    await h.dispatcher.deliver(message(key="k0"), h.receiver("slack-oncall", BAD))
    h.time.now += 60.0
    hanging = h.receiver("slack-oncall", OK, gate=asyncio.Event())

    trial = asyncio.create_task(h.dispatcher.deliver(message(key="k1"), hanging))
    while not hanging.sent:
        await asyncio.sleep(0)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial

    second = await h.dispatcher.deliver(message(key="k1"), h.receiver("slack-oncall", OK))
    assert second.delivered and not second.duplicate  # nothing was recorded for the cancelled call
    assert h.recovered == ["slack-oncall"]


async def test_the_rate_limit_makes_deliveries_wait_in_turn_not_drop(make: Make) -> None:
    h = make(policies={"sms-oncall": ReceiverPolicy(rate=RateLimit(1.0, 2))})
    sms = h.receiver("sms-oncall", OK, latency=0.0)

    deliveries = await asyncio.gather(*(h.dispatcher.deliver(message(key=f"k{n}"), sms) for n in range(5)))

    assert all(d.delivered for d in deliveries)
    # two go at once (the burst), the others queue one second apart
    assert [a.throttled for a in h.attempts] == [0.0, 0.0, 1.0, 2.0, 3.0]
    assert [a.started - EPOCH for a in h.attempts] == [0.0, 0.0, 1.0, 2.0, 3.0]
    assert [a.key for a in h.attempts] == ["k0", "k1", "k2", "k3", "k4"]
    assert [a.waited for a in h.attempts] == [a.throttled for a in h.attempts]


async def test_retries_take_tokens_too(make: Make) -> None:
    h = make(policies={"sms-oncall": ReceiverPolicy(rate=RateLimit(0.5, 1), backoff=Backoff(max_attempts=2))})
    sms = h.receiver("sms-oncall", DOWN, OK, latency=0.0)

    await h.dispatcher.deliver(message(), sms)

    second = h.attempts[1]
    # the backoff wait (0.32 s) ends before the bucket has a token again (2 s after the first)
    assert second.waited == pytest.approx(2.0)
    assert second.throttled == pytest.approx(2.0 - SEEDED_WAITS[0], abs=1e-6)


async def test_a_hanging_receiver_does_not_delay_another(make: Make) -> None:
    h = make()
    hanging = h.receiver("webhook-slow", OK, gate=asyncio.Event())
    slack = h.receiver("slack-oncall", OK)

    slow = asyncio.create_task(h.dispatcher.deliver(message(receiver="webhook-slow"), hanging))
    while not hanging.sent:
        await asyncio.sleep(0)
    fast = await h.dispatcher.deliver(message(), slack)

    assert fast.delivered and not slow.done()
    assert hanging.gate is not None
    hanging.gate.set()
    assert (await slow).delivered


async def test_a_receiver_backing_off_or_rate_limited_does_not_delay_another(make: Make) -> None:
    released = asyncio.Event()
    waits: list[float] = []

    async def held_sleep(seconds: float) -> None:  # every wait lasts until the test says so
        waits.append(seconds)
        await released.wait()

    h = make(policies={"sms-slow": ReceiverPolicy(rate=RateLimit(0.01, 1))}, sleep=held_sleep)
    failing = h.receiver("webhook-down", DOWN, OK, latency=0.0)
    throttled = h.receiver("sms-slow", OK, latency=0.0)

    retrying = asyncio.create_task(h.dispatcher.deliver(message(receiver="webhook-down"), failing))
    first_sms = await h.dispatcher.deliver(message(key="s0", receiver="sms-slow"), throttled)
    queued = asyncio.create_task(h.dispatcher.deliver(message(key="s1", receiver="sms-slow"), throttled))
    while len(waits) < 2:
        await asyncio.sleep(0)
    other = await h.dispatcher.deliver(message(), h.receiver("slack-oncall", OK))

    assert other.delivered and first_sms.delivered
    assert not retrying.done() and not queued.done()
    assert waits == pytest.approx([SEEDED_WAITS[0], 100.0], abs=1e-6)  # webhook's backoff, the SMS token
    released.set()
    assert (await retrying).delivered and (await queued).delivered


async def test_a_notifier_that_raises_or_hangs_becomes_an_outcome(make: Make, caplog: pytest.LogCaptureFixture) -> None:
    @dataclass
    class Broken:
        kind: ClassVar[str] = "broken"
        name: str

        async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
            raise RuntimeError("token xoxb-secret in a message")

    h = make(attempt_timeout=0.05)
    with caplog.at_level(logging.ERROR, logger="vigil.notify.delivery"):
        broken = await h.dispatcher.deliver(message(receiver="broken"), Broken("broken"))
    assert broken.primary.stop is StopReason.NOT_RETRYABLE
    assert broken.primary.outcome == Outcome(False, "notifier raised RuntimeError")
    assert "xoxb-secret" not in caplog.text and "broken raised RuntimeError" in caplog.text

    hung = h.receiver("webhook-hung", OK, gate=asyncio.Event())
    policy = ReceiverPolicy(rate=RateLimit(100, 100), backoff=Backoff(max_attempts=2))
    h2 = make(policies={"webhook-hung": policy}, attempt_timeout=0.05)
    timed_out = await h2.dispatcher.deliver(message(receiver="webhook-hung"), hung)
    assert [a.outcome for a in timed_out.primary.attempts] == [
        Outcome(False, "no outcome within 0.05s", retryable=True)
    ] * 2


async def test_a_failing_callback_does_not_stop_delivery(
    http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(record: AttemptRecord) -> None:
        raise ValueError("metrics are down")

    time = FakeTime()
    dispatcher = Dispatcher(http, on_attempt=explode, clock=time.clock, wall_clock=time.wall, sleep=time.sleep)
    with caplog.at_level(logging.ERROR, logger="vigil.notify.delivery"):
        delivery = await dispatcher.deliver(message(), Scripted("slack-oncall", [OK], time))
    assert delivery.delivered
    assert "delivery callback" in caplog.text


async def test_the_kind_default_rate_applies_without_a_policy(make: Make) -> None:
    @dataclass
    class Slow(Scripted):
        kind: ClassVar[str] = "slow"
        default_rate_per_second: ClassVar[float] = 0.5

    h = make()
    slow = Slow("slow-receiver", [OK], h.time, latency=0.0)
    for n in range(3):
        await h.dispatcher.deliver(message(key=f"k{n}", receiver="slow-receiver"), slow)
    assert [a.throttled for a in h.attempts] == [0.0, 2.0, 2.0]


# A real HTTP receiver, to see Retry-After travel from a provider through an Outcome into the schedule.


@dataclass
class HttpProbe:
    kind: ClassVar[str] = "probe"
    default_rate_per_second: ClassVar[float] = 100.0
    name: str
    url: str

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        try:
            async with http.post(self.url, json={"key": message.key}) as response:
                status = response.status
                after = response.headers.get("Retry-After")
        except aiohttp.ClientError as exc:
            return Outcome(False, f"connection failed: {type(exc).__name__}", retryable=True)
        retryable = status == 429 or status >= 500
        return Outcome(
            200 <= status < 300,
            f"{status}",
            status=status,
            retryable=retryable,
            retry_after=float(after) if after else None,
        )


async def test_retry_after_from_a_real_http_provider_sets_the_wait(make: Make) -> None:
    replies = [web.Response(status=429, headers={"Retry-After": "7"}), web.Response(status=503), web.Response()]
    seen: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        seen.append((await request.json())["key"])
        return replies.pop(0)

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with test_utils.TestServer(app) as server:
        h = make()
        probe = HttpProbe("webhook-ops", str(server.make_url("/hook")))
        delivery = await h.dispatcher.deliver(message(receiver="webhook-ops"), probe)

    assert delivery.delivered
    assert [a.outcome.status for a in h.attempts] == [429, 503, 200]
    assert seen == ["inc-5d41402abc4b:opened:0"] * 3
    # 7 s asked for (more than the jittered 0.32 s), then the seeded second wait
    assert h.time.sleeps == pytest.approx([7.0, SEEDED_WAITS[1]], abs=1e-6)
    assert h.attempts[0].to_result().detail == "429; retrying in 7.0 s (Retry-After)"


def test_the_package_exports_what_it_says() -> None:
    import notifiers.delivery as delivery

    assert sorted(delivery.__all__) == sorted(set(delivery.__all__))
    for name in delivery.__all__:
        assert getattr(delivery, name) is not None
    public = {n for n, v in vars(delivery).items() if not n.startswith("_") and not isinstance(v, type(delivery))}
    assert public == set(delivery.__all__)
