"""Backoff decisions: exact jittered schedules from a seeded random, Retry-After, deadline, what is not retried."""

from __future__ import annotations

import random

import pytest

from notifiers.base import Outcome
from notifiers.delivery import Backoff, BackoffDecision, Jitter, StopReason

FAILED = Outcome(False, "503 Service Unavailable", status=503, retryable=True)


class Highest(random.Random):
    """Always the top of the range: shows the schedule's bounds exactly."""

    def uniform(self, a: float, b: float) -> float:
        return b


def schedule(backoff: Backoff, rng: random.Random, outcome: Outcome = FAILED) -> tuple[list[float], StopReason]:
    """The waits between attempts of a receiver that always fails like `outcome`, and why it stopped."""
    waits: list[float] = []
    previous = backoff.base
    attempt = 1
    while True:
        decision = backoff.decide(attempt=attempt, outcome=outcome, elapsed=sum(waits), previous=previous, rng=rng)
        if not decision.retry:
            assert decision.stop is not None
            return waits, decision.stop
        waits.append(decision.delay)
        previous = decision.delay
        attempt += 1


def test_full_jitter_with_a_seed_gives_this_exact_schedule() -> None:
    waits, stop = schedule(Backoff(), random.Random(7))

    # uniform(0, 1·2^(n-1)) for n = 1..5: Random(7).random() is 0.3238, 0.1508, 0.6509, 0.0724, 0.5359
    assert waits == pytest.approx([0.323833, 0.301698, 2.603738, 0.579490, 8.574112], abs=1e-6)
    assert stop is StopReason.ATTEMPTS_EXHAUSTED  # 6 attempts, 5 waits


def test_decorrelated_jitter_with_a_seed_gives_this_exact_schedule() -> None:
    waits, stop = schedule(Backoff(jitter=Jitter.DECORRELATED), random.Random(7))

    assert waits == pytest.approx([1.647666, 1.594798, 3.463392, 1.680189, 3.165268], abs=1e-6)
    assert stop is StopReason.ATTEMPTS_EXHAUSTED


def test_the_bounds_double_up_to_the_cap() -> None:
    full, _ = schedule(Backoff(base=1, cap=20, max_attempts=8, deadline=1000), Highest())
    decorrelated, _ = schedule(
        Backoff(base=1, cap=20, max_attempts=6, deadline=1000, jitter=Jitter.DECORRELATED), Highest()
    )

    assert full == [1, 2, 4, 8, 16, 20, 20]
    assert decorrelated == [3, 9, 20, 20, 20]


def test_decorrelated_never_waits_less_than_base() -> None:
    class Lowest(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return a

    waits, _ = schedule(Backoff(base=2, jitter=Jitter.DECORRELATED), Lowest())
    assert waits == [2, 2, 2, 2, 2]


def test_retry_after_is_the_least_wait() -> None:
    throttled = Outcome(False, "429 Too Many Requests", status=429, retryable=True, retry_after=30.0)
    slow = Outcome(False, "429 Too Many Requests", status=429, retryable=True, retry_after=0.1)
    backoff = Backoff()

    assert backoff.decide(attempt=1, outcome=throttled, elapsed=0, previous=1, rng=random.Random(7)) == (
        BackoffDecision(None, 30.0)
    )
    # a Retry-After shorter than the jittered wait changes nothing
    assert backoff.decide(attempt=3, outcome=slow, elapsed=0, previous=1, rng=Highest()) == BackoffDecision(None, 4.0)
    # and it may exceed the cap: waiting less only earns another 429
    long = Outcome(False, "503", status=503, retryable=True, retry_after=90.0)
    assert backoff.decide(attempt=1, outcome=long, elapsed=0, previous=1, rng=Highest()) == BackoffDecision(None, 90.0)


def test_retry_after_past_the_deadline_stops_now() -> None:
    throttled = Outcome(False, "429", status=429, retryable=True, retry_after=30.0)
    backoff = Backoff(deadline=120)

    assert backoff.decide(attempt=1, outcome=throttled, elapsed=89.0, previous=1, rng=Highest()).retry
    assert backoff.decide(attempt=1, outcome=throttled, elapsed=90.0, previous=1, rng=Highest()) == BackoffDecision(
        StopReason.DEADLINE
    )


def test_the_deadline_cuts_a_schedule_short() -> None:
    waits, stop = schedule(Backoff(base=1, cap=60, max_attempts=10, deadline=20), Highest())

    assert waits == [1, 2, 4, 8]  # 15 s elapsed; the next wait (16 s) would end at 31 s > 20 s
    assert stop is StopReason.DEADLINE


@pytest.mark.parametrize(
    ("outcome", "stop"),
    [
        (Outcome(True, "202 Accepted", status=202), StopReason.DELIVERED),
        (Outcome(False, "400 Bad Request", status=400), StopReason.NOT_RETRYABLE),
        (Outcome(False, "403 Forbidden", status=403), StopReason.NOT_RETRYABLE),
        (Outcome(False, "535 auth failed", status=535, retry_after=5), StopReason.NOT_RETRYABLE),
    ],
)
def test_delivered_and_not_retryable_outcomes_stop_at_once(outcome: Outcome, stop: StopReason) -> None:
    waits, stopped = schedule(Backoff(), random.Random(7), outcome)
    assert (waits, stopped) == ([], stop)


def test_max_attempts_counts_the_first_attempt() -> None:
    waits, stop = schedule(Backoff(max_attempts=1), random.Random(7))
    assert (waits, stop) == ([], StopReason.ATTEMPTS_EXHAUSTED)
    waits, stop = schedule(Backoff(max_attempts=3), Highest())
    assert (waits, stop) == ([1, 2], StopReason.ATTEMPTS_EXHAUSTED)


@pytest.mark.parametrize(
    "settings",
    [{"base": 0}, {"base": 5, "cap": 1}, {"max_attempts": 0}, {"deadline": 0}],
)
def test_impossible_settings_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**settings)  # type: ignore[arg-type]
