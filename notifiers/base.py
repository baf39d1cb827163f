"""The one interface every delivery channel implements.

A notifier turns one `Message` (an incident change for one receiver) into
one request to its provider and reports an `Outcome`. It never retries,
sleeps or rate-limits by itself: the dispatcher (notifiers/delivery) does
that the same way for every channel, so a third-party notifier gets the
retries, circuit breaker and fallback for free.

Notifiers are built from the receiver's options in the rule pack by their
kind's `from_options`, which validates everything up front (URLs, E.164
numbers, required secrets) and raises `NotifierConfigError` naming the
option, so a bad pack fails at load time with FILE:LINE rather than at 3 am.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import aiohttp

from schemas import IncidentSnapshot
from schemas.enums import IncidentEventType

__all__ = [
    "Message",
    "Notifier",
    "NotifierConfigError",
    "NotifierKind",
    "Outcome",
]


@dataclass(frozen=True)
class Message:
    """What to tell one receiver about one incident change."""

    key: str  #: idempotency key: the same key is never delivered twice (receivers may dedupe on it too)
    receiver: str  #: the receiver's name in the pack
    event: IncidentEventType  #: opened, acknowledged, resolved, escalated, severity_changed, reopened, comment…
    incident: IncidentSnapshot  #: the incident after the change
    ts: float  #: when the change happened, Unix seconds
    level: int = 0  #: escalation level that sends it (0 = first)
    actor: str | None = None  #: who made the change, if a person did
    note: str | None = None  #: the comment, ack note or reason
    link: str | None = None  #: where people can see the incident (dashboard / API URL), if configured
    reference: str | None = None  #: the provider's handle from an earlier send for this incident (e.g. Slack ts)

    @property
    def final(self) -> bool:
        """A resolved incident: providers that track state (PagerDuty, Slack updates) close it."""
        return self.event == IncidentEventType.RESOLVED


@dataclass(frozen=True)
class Outcome:
    """How one attempt went, as the dispatcher needs it to decide what to do next."""

    delivered: bool
    detail: str  #: short, secret-free, e.g. "202 Accepted" or "connection refused"
    status: int | None = None  #: the provider's HTTP status or SMTP reply code, if it answered
    retryable: bool = False  #: worth another attempt (5xx, 429, timeouts, connection errors)
    retry_after: float | None = None  #: seconds the provider asked us to wait (429/503 Retry-After)
    reference: str | None = None  #: handle to keep for later updates of the same incident (e.g. Slack ts)
    extra: Mapping[str, Any] = field(default_factory=dict)  #: provider specifics worth recording (dedup_key…)


class NotifierConfigError(ValueError):
    """A receiver option that cannot work; `option` names it (dotted) so the loader can point at its line."""

    def __init__(self, option: str, problem: str) -> None:
        super().__init__(f"{option}: {problem}")
        self.option = option
        self.problem = problem


@runtime_checkable
class Notifier(Protocol):
    """One configured receiver channel, e.g. the #payments-oncall Slack webhook."""

    kind: ClassVar[str]  #: the registry name: slack, pagerduty, sms, email, webhook, console, or a plugin's
    name: str  #: the receiver's name in the pack

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        """One attempt. Never raises for provider or network failures: those are Outcomes."""
        ...


class NotifierKind(Protocol):
    """What an entry point in the `vigil.notifiers` group must be (a class with this classmethod)."""

    kind: ClassVar[str]
    #: Per-receiver defaults the dispatcher applies, from the provider's published limits.
    default_rate_per_second: ClassVar[float]

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> Notifier:
        """Build and validate from the pack's options; `${VAR}` is resolved from `env`."""
        ...
