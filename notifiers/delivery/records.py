"""What the dispatcher reports: one record per attempt, one per receiver tried, one per delivery.

They are frozen dataclasses of plain values so the caller can publish them
(results topic, metrics, logs) as they are; none of them holds a secret,
because an `Outcome.detail` is secret-free by the notifier contract.
`AttemptRecord.to_result` turns one into the `notifications.results` record.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from notifiers.base import Outcome
from schemas.enums import NotificationOutcome
from schemas.notification import NotificationResult

__all__ = ["AttemptRecord", "Delivery", "ReceiverResult", "StopReason"]


class StopReason(StrEnum):
    """Why the dispatcher stopped trying one receiver."""

    DELIVERED = "delivered"  #: the last attempt delivered the message
    NOT_RETRYABLE = "not_retryable"  #: the provider said no in a way another attempt cannot fix (auth, 4xx, 5xx SMTP)
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"  #: every allowed attempt failed (a half-open trial is allowed one)
    DEADLINE = "deadline"  #: the next wait would end past the retry deadline
    BREAKER_OPEN = "breaker_open"  #: the receiver's circuit breaker is open: failed fast, no request sent
    DUPLICATE = "duplicate"  #: this key was already sent to this receiver: not sent again


@dataclass(frozen=True)
class AttemptRecord:
    """One request to one receiver, as it happened, and what the dispatcher does next.

    Attempt 0 records a message that was not sent: the breaker was open
    (`stop` BREAKER_OPEN) or the key was already sent (`stop` DUPLICATE).
    """

    receiver: str  #: the receiver's name (the fallback's name when the fallback is tried)
    key: str  #: the message's idempotency key
    incident_id: str  #: the incident the message is about
    attempt: int  #: 1 for the first attempt at this receiver, 2 for the first retry…; 0 when nothing was sent
    started: float  #: when the request started, Unix seconds
    finished: float  #: when its outcome was known, Unix seconds
    outcome: Outcome  #: what the notifier reported (for attempt 0, why nothing was sent)
    waited: float  #: seconds spent waiting right before this attempt (backoff plus rate limit)
    throttled: float  #: the part of `waited` spent waiting for a rate-limit token
    stop: StopReason | None  #: why this receiver is not tried again; None when another attempt follows
    retry_in: float | None = None  #: seconds until the next attempt, when one follows
    fallback: str | None = None  #: the fallback receiver the message is handed to after this failed attempt
    fallback_for: str | None = None  #: the primary receiver's name when this attempt is a fallback delivery

    @property
    def duration(self) -> float:
        return self.finished - self.started

    def to_result(self) -> NotificationResult:
        """The record for the `notifications.results` topic."""
        detail = self.outcome.detail
        if self.retry_in is not None:
            asked = self.outcome.retry_after is not None and self.retry_in == self.outcome.retry_after
            detail += f"; retrying in {self.retry_in:.1f} s" + (" (Retry-After)" if asked else "")
        elif self.stop in (StopReason.ATTEMPTS_EXHAUSTED, StopReason.DEADLINE):
            detail += f"; gave up ({self.stop})"
        if self.fallback is not None:
            detail += f"; handed to {self.fallback}"
        status = self.outcome.status
        outcome = _RESULT[self.stop]
        if self.fallback is not None and outcome is NotificationOutcome.FAILED:
            outcome = NotificationOutcome.FALLBACK
        return NotificationResult(
            key=self.key,
            receiver=self.receiver,
            incident_id=self.incident_id,
            outcome=outcome,
            attempt=min(self.attempt, 1000),
            ts=self.finished,
            seconds=min(max(self.duration, 0.0), 86400.0),
            status=status if status is not None and 100 <= status <= 999 else None,
            detail=detail[:16384],
            fallback=self.fallback,
        )


_RESULT: dict[StopReason | None, NotificationOutcome] = {
    None: NotificationOutcome.RETRYING,
    StopReason.DELIVERED: NotificationOutcome.DELIVERED,
    StopReason.NOT_RETRYABLE: NotificationOutcome.FAILED,
    StopReason.ATTEMPTS_EXHAUSTED: NotificationOutcome.FAILED,
    StopReason.DEADLINE: NotificationOutcome.FAILED,
    StopReason.BREAKER_OPEN: NotificationOutcome.CIRCUIT_OPEN,
    StopReason.DUPLICATE: NotificationOutcome.DUPLICATE,
}


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
    """How one message went: its receiver, and the fallback receivers it was handed to, in turn."""

    key: str
    primary: ReceiverResult
    fallbacks: tuple[ReceiverResult, ...] = ()  #: tried in order only while every earlier receiver failed
    duplicate: bool = False  #: the primary already had this key from this dispatcher; it was not sent again

    @property
    def results(self) -> tuple[ReceiverResult, ...]:
        return (self.primary, *self.fallbacks)

    @property
    def fallback(self) -> ReceiverResult | None:
        """The last fallback tried (the one that got it, or the end of the chain); None if none was needed."""
        return self.fallbacks[-1] if self.fallbacks else None

    @property
    def delivered(self) -> bool:
        return any(result.delivered for result in self.results)

    @property
    def delivered_by(self) -> str | None:
        """The receiver that got the message, if any did."""
        return next((result.receiver for result in self.results if result.delivered), None)

    @property
    def reference(self) -> str | None:
        """The provider's handle from the delivering attempt, to pass as `Message.reference` next time."""
        for result in self.results:
            if result.delivered and result.outcome is not None:
                return result.outcome.reference
        return None

    @property
    def attempts(self) -> tuple[AttemptRecord, ...]:
        """Every attempt, primary first."""
        return tuple(record for result in self.results for record in result.attempts)
