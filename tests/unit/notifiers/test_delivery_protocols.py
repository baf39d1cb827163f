"""The real channels through the real dispatcher against local servers that misbehave on purpose.

Each test scripts the provider's faults (500s, 429 + Retry-After, a hang,
a refused connection) and checks the retry schedule the dispatcher slept,
what the provider received, the fallback, and that every message arrived
exactly once. Sleeps are recorded, not waited, so the schedule is exact.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import aiohttp
import pytest

from notifiers.base import Message
from notifiers.delivery import Backoff, Dispatcher, ReceiverPolicy
from notifiers.pagerduty import PagerDutyNotifier
from notifiers.slack import SlackNotifier
from schemas import IncidentEventType
from tests.fakes import incident
from tests.fakes.providers import FakePagerDuty, FakeSlack
from vigil.children import free_port

ROUTING_KEY = "R0UT1NGKEY0123456789ABCDEFGHIJKL"  # 32 characters, as PagerDuty's integration keys
SEED = 11


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Sleeps:
    """The dispatcher's sleep: records the wait and yields, so a test sees the exact schedule at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def dispatcher(http: aiohttp.ClientSession, sleeps: Sleeps, **policies: ReceiverPolicy) -> Dispatcher:
    return Dispatcher(http, sleep=sleeps, rng=random.Random(SEED), policies=policies or None)


def pagerduty(url: str, timeout: float = 5.0) -> PagerDutyNotifier:
    env = {"PD_KEY": ROUTING_KEY}
    return PagerDutyNotifier.from_options(
        "oncall-pager", {"routing_key": "${PD_KEY}", "events_url": url, "timeout": timeout}, env
    )


def message(key: str = "inc-e6e0d480d7f6/oncall-pager/opened-0") -> Message:
    snapshot = incident()
    return Message(
        key=key, receiver="oncall-pager", event=IncidentEventType.OPENED, incident=snapshot, ts=snapshot.opened_at
    )


def unthrottled() -> ReceiverPolicy:
    return ReceiverPolicy.for_kind(PagerDutyNotifier, {"rate_per_second": 1000.0, "burst": 1000})


async def test_500s_are_retried_on_the_jittered_schedule_then_delivered_once(http: aiohttp.ClientSession) -> None:
    sleeps = Sleeps()
    async with FakePagerDuty() as pd:
        pd.fail_next(500, times=2)
        delivery = await dispatcher(http, sleeps, **{"oncall-pager": unthrottled()}).deliver(
            message(), pagerduty(pd.url)
        )
    assert delivery.delivered and delivery.delivered_by == "oncall-pager"
    assert [r.outcome.status for r in delivery.attempts] == [500, 500, 202]
    expected_rng = random.Random(SEED)
    backoff = Backoff()
    first = backoff.delay(1, 0.0, expected_rng)
    second = backoff.delay(2, first, expected_rng)
    assert sleeps.waits == [first, second]
    # Three requests, one event: PagerDuty dedups the retries on the incident's dedup_key.
    assert [r.json["dedup_key"] for r in pd.requests] == ["inc-e6e0d480d7f6"] * 3
    assert list(pd.alerts) == ["inc-e6e0d480d7f6"]


async def test_429_waits_at_least_what_retry_after_asks(http: aiohttp.ClientSession) -> None:
    sleeps = Sleeps()
    async with FakePagerDuty() as pd:
        pd.fail_next(429, retry_after=7)
        delivery = await dispatcher(http, sleeps, **{"oncall-pager": unthrottled()}).deliver(
            message(), pagerduty(pd.url)
        )
    assert delivery.delivered
    assert sleeps.waits == [7.0]  # the provider's wait, not the (shorter) jittered one
    assert delivery.attempts[0].outcome.retry_after == 7.0
    assert len(pd.requests) == 2


async def test_a_hanging_provider_times_out_and_the_retry_delivers(http: aiohttp.ClientSession) -> None:
    sleeps = Sleeps()
    async with FakePagerDuty() as pd:
        pd.delay_next(5.0)
        delivery = await dispatcher(http, sleeps, **{"oncall-pager": unthrottled()}).deliver(
            message(), pagerduty(pd.url, timeout=0.2)
        )
    assert delivery.delivered
    assert delivery.attempts[0].outcome.retryable and delivery.attempts[0].outcome.status is None
    assert "timed out" in delivery.attempts[0].outcome.detail or "timeout" in delivery.attempts[0].outcome.detail
    assert len(sleeps.waits) == 1


async def test_a_refused_connection_exhausts_its_attempts_and_the_fallback_gets_it_once(
    http: aiohttp.ClientSession,
) -> None:
    sleeps = Sleeps()
    dead = f"http://127.0.0.1:{free_port()}/v2/enqueue"  # nothing listens there
    async with FakeSlack() as slack:
        fallback = SlackNotifier.from_options("team-slack", {"webhook_url": slack.webhook_url}, {})
        dispatch = dispatcher(http, sleeps, **{"oncall-pager": unthrottled()})
        delivery = await dispatch.deliver(message(), pagerduty(dead), fallback)
        again = await dispatch.deliver(message(), pagerduty(dead), fallback)  # a redelivered record
    assert delivery.delivered_by == "team-slack"
    assert len(delivery.primary.attempts) == Backoff().max_attempts
    assert all(a.outcome.retryable and a.outcome.status is None for a in delivery.primary.attempts)
    assert len(sleeps.waits) == Backoff().max_attempts - 1
    # Lost: nothing. Duplicated: nothing — one Slack message for one key, even when asked twice.
    assert len(slack.requests) == 1
    assert again.duplicate and again.delivered_by == "team-slack"  # the remembered outcome, not a new send
