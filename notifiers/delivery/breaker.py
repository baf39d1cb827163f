"""A circuit breaker per receiver: stop calling a channel that keeps failing.

When a provider is down, each message would otherwise spend its whole
retry budget (up to the backoff deadline) before reaching the fallback
receiver. After `threshold` consecutive failed deliveries the breaker
opens: deliveries fail fast, without a request, and go straight to the
fallback. After `cooldown` seconds one delivery is let through as a trial
(half-open); its success closes the breaker, its failure opens it again for
another cooldown. Time is passed in, so transitions are exact in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Admission", "BreakerSettings", "BreakerState", "CircuitBreaker"]


class BreakerState(StrEnum):
    CLOSED = "closed"  #: deliveries go through
    OPEN = "open"  #: deliveries fail fast until the cooldown ends
    HALF_OPEN = "half_open"  #: one trial delivery is in flight; others fail fast


class Admission(StrEnum):
    """What the breaker says to a delivery that wants to start."""

    ALLOWED = "allowed"
    TRIAL = "trial"  #: allowed as the half-open trial: report its result, it decides the breaker's state
    REJECTED = "rejected"


@dataclass(frozen=True, kw_only=True)
class BreakerSettings:
    threshold: int = 5  #: consecutive failed deliveries that open the breaker
    cooldown: float = 60.0  #: seconds it stays open before a trial

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError(f"breaker threshold must be at least 1, got {self.threshold}")
        if self.cooldown < 0:
            raise ValueError(f"breaker cooldown must not be negative, got {self.cooldown}")


class CircuitBreaker:
    """The breaker of one receiver."""

    def __init__(self, settings: BreakerSettings | None = None) -> None:
        self.settings = settings or BreakerSettings()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def state(self, now: float) -> BreakerState:
        """The state as a new delivery would find it (an open breaker past its cooldown reads half-open)."""
        if self._state is BreakerState.OPEN and now >= self._opened_at + self.settings.cooldown:
            return BreakerState.HALF_OPEN
        return self._state

    def is_open(self, now: float) -> bool:
        """True while deliveries must fail fast (open within its cooldown, or a trial in flight)."""
        return self._state is not BreakerState.CLOSED and not (
            self._state is BreakerState.OPEN and now >= self._opened_at + self.settings.cooldown
        )

    def admit(self, now: float) -> Admission:
        """May a delivery start now? The first one after the cooldown becomes the trial."""
        if self._state is BreakerState.CLOSED:
            return Admission.ALLOWED
        if self._state is BreakerState.OPEN and now >= self._opened_at + self.settings.cooldown:
            self._state = BreakerState.HALF_OPEN
            return Admission.TRIAL
        return Admission.REJECTED

    def record(self, delivered: bool, now: float) -> BreakerState:
        """A delivery's result; returns the new state."""
        if delivered:
            self._state = BreakerState.CLOSED
            self._failures = 0
        else:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.settings.threshold:
                self._state = BreakerState.OPEN
                self._opened_at = now
        return self._state

    def abandon_trial(self) -> None:
        """The trial ended without a result (cancelled): the next delivery may be the trial instead."""
        if self._state is BreakerState.HALF_OPEN:
            self._state = BreakerState.OPEN
