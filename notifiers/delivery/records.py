"""What the dispatcher reports: one record per attempt, one per receiver tried, one per delivery.

They are frozen dataclasses of plain values so the caller can publish them
(results topic, metrics, logs) as they are; none of them holds a secret,
because an `Outcome.detail` is secret-free by the notifier contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from notifiers.base import Outcome

__all__ = ["AttemptRecord", "Delivery", "ReceiverResult", "StopReason"]


class StopReason(StrEnum):
    """Why the dispatcher stopped trying one receiver."""

    DELIVERED = "delivered"  #: the last attempt delivered the message
    NOT_RETRYABLE = "not_retryable"  #: the provider said no in a way another attempt cannot fix (auth, 4xx, 5xx SMTP)
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"  #: every allowed attempt failed (a half-open trial is allowed one)
    DEADLINE = "deadline"  #: the next wait would end past the retry deadline
    BREAKER_OPEN = "breaker_open"  #: the receiver's circuit breaker is open: failed fast, no request sent


@dataclass(frozen=True)
class AttemptRecord:
    """One request to one receiver, as it happened."""

    receiver: str  #: the receiver's name (the fallback's name when the fallback is tried)
    key: str  #: the message's idempotency key
    incident_id: str  #: the incident the message is about
    attempt: int  #: 1 for the first attempt at this receiver, 2 for the first retry…
    started: float  #: when the request started, Unix seconds
    finished: float  #: when its outcome was known, Unix seconds
    outcome: Outcome  #: what the notifier reported
    waited: float  #: seconds spent waiting right before this attempt (backoff plus rate limit)
    throttled: float  #: the part of `waited` spent waiting for a rate-limit token
    fallback_for: str | None = None  #: the primary receiver's name when this attempt is a fallback delivery

    @property
    def duration(self) -> float:
        return self.finished - self.started


@dataclass(frozen=True)
class ReceiverResult:
    """Every attempt at one receiver for one message, and why the dispatcher stopped."""

    receiver: str
    stop: StopReason
    attempts: tuple[AttemptRecord, ...] = ()

    @property
    def delivered(self) -> bool:
        return self.stop is StopReason.DELIVERED

    @property
    def outcome(self) -> Outcome | None:
        """The last attempt's outcome; None when no request was sent (breaker open)."""
        return self.attempts[-1].outcome if self.attempts else None


@dataclass(frozen=True)
class Delivery:
    """How one message went: its receiver, and the fallback receiver if it had to be used."""

    key: str
    primary: ReceiverResult
    fallback: ReceiverResult | None = None  #: set only when the primary failed and a fallback was given
    duplicate: bool = False  #: this key was already delivered (or tried) by this dispatcher; nothing was sent now

    @property
    def delivered(self) -> bool:
        return self.primary.delivered or (self.fallback is not None and self.fallback.delivered)

    @property
    def delivered_by(self) -> str | None:
        """The receiver that got the message, if any did."""
        if self.primary.delivered:
            return self.primary.receiver
        if self.fallback is not None and self.fallback.delivered:
            return self.fallback.receiver
        return None

    @property
    def reference(self) -> str | None:
        """The provider's handle from the delivering attempt, to pass as `Message.reference` next time."""
        for result in (self.primary, self.fallback):
            if result is not None and result.delivered and result.outcome is not None:
                return result.outcome.reference
        return None

    @property
    def attempts(self) -> tuple[AttemptRecord, ...]:
        """Every attempt, primary first."""
        return self.primary.attempts + (self.fallback.attempts if self.fallback is not None else ())
