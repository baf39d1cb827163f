"""When to try a receiver again: exponential backoff with jitter, as a pure decision.

Jitter spreads the retries of many Vigil workers (and many messages) that
failed together, so a provider coming back is not hit by a synchronized
wave. `Backoff.decide` takes the attempt number, the outcome, the elapsed
time and a `random.Random`, and returns either a delay or the reason to
stop; nothing sleeps here, so tests can check an exact schedule with a
seeded generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from notifiers.base import Outcome
from notifiers.delivery.records import StopReason

__all__ = ["Backoff", "BackoffDecision", "Jitter"]


class Jitter(StrEnum):
    """How a retry delay is randomized (see the AWS Architecture Blog, "Exponential Backoff And Jitter")."""

    FULL = "full"  #: uniform in [0, min(cap, base·2^(n-1))]: the least total load on the provider
    DECORRELATED = "decorrelated"  #: uniform in [base, 3·previous], capped: grows without a fixed schedule


@dataclass(frozen=True)
class BackoffDecision:
    """Either wait `delay` seconds and try again (`stop` is None), or stop for `stop`."""

    stop: StopReason | None
    delay: float = 0.0

    @property
    def retry(self) -> bool:
        return self.stop is None


@dataclass(frozen=True, kw_only=True)
class Backoff:
    """How one receiver is retried."""

    base: float = 1.0  #: seconds; the first retry waits at most this long (full jitter)
    cap: float = 60.0  #: no jittered wait is longer (a provider's Retry-After may be)
    max_attempts: int = 6  #: attempts in all, the first included
    deadline: float = 120.0  #: seconds from the first attempt after which no attempt starts
    jitter: Jitter = Jitter.FULL

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap < self.base:
            raise ValueError(f"backoff needs 0 < base <= cap, got base={self.base} cap={self.cap}")
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts}")
        if self.deadline <= 0:
            raise ValueError(f"deadline must be positive, got {self.deadline}")

    def delay(self, attempt: int, previous: float, rng: random.Random) -> float:
        """The jittered wait after failed attempt number `attempt` (1-based); `previous` is the last wait."""
        if self.jitter is Jitter.DECORRELATED:
            return min(self.cap, rng.uniform(self.base, max(self.base, previous) * 3))
        return rng.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))

    def decide(
        self,
        *,
        attempt: int,
        outcome: Outcome,
        elapsed: float,
        previous: float,
        rng: random.Random,
    ) -> BackoffDecision:
        """What to do after attempt number `attempt` ended with `outcome`, `elapsed` seconds after the first began.

        A provider's `retry_after` is the least we wait: retrying sooner only
        earns another 429. When even that wait would end past the deadline we
        stop now rather than wait for an attempt that may not happen, so the
        fallback receiver is used as early as possible.
        """
        if outcome.delivered:
            return BackoffDecision(StopReason.DELIVERED)
        if not outcome.retryable:
            return BackoffDecision(StopReason.NOT_RETRYABLE)
        if attempt >= self.max_attempts:
            return BackoffDecision(StopReason.ATTEMPTS_EXHAUSTED)
        wait = self.delay(attempt, previous, rng)
        if outcome.retry_after is not None:
            wait = max(wait, outcome.retry_after)
        if elapsed + wait >= self.deadline:
            return BackoffDecision(StopReason.DEADLINE)
        return BackoffDecision(None, wait)
