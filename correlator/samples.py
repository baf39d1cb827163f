"""Which series an incoming event belongs to, and what value it carries.

Metrics keep all their labels (a metric's labels are its identity). Logs
and receipts are counted, not measured: a log event becomes one count in
the series of its service and level, a receipt one count in the series of
its channel, provider and status. Free text (messages, message ids) never
becomes a label, so the number of series stays bounded.

Two service level indicators add samples of their own:

- a log event also counts once in `log_pattern_matches{level, pattern}`
  for each configured pattern its message matches (`LogPatternMatcher`);
- a message's delivery counts once in
  `delivery_outcomes{channel, outcome, provider}` (outcome `success` or
  `failure`) when its final status is known or it times out
  (`DeliveryTracker`), whichever receipt or tick decides it.

`sample_of` is the one sample every event yields and the whole story for
metrics, the hot path. `extra_samples` adds the indicators' samples for
logs and receipts; `samples_of` is both together.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, Protocol

from correlator.delivery import DeliveryTracker, Outcome
from correlator.logpatterns import LogPatternMatcher
from correlator.series import SeriesKey

__all__ = ["Sample", "extra_samples", "log_pattern_samples", "outcome_samples", "sample_of", "samples_of"]

Sample = tuple[SeriesKey, float, float | None]  #: (series, event time, value or None for a count)


class _Event(Protocol):
    ts: float
    service: str


def sample_of(source: str, event: _Event) -> Sample:
    """(series, event time, value) for a decoded event from topic family `source`."""
    if source == "metrics":
        return (
            SeriesKey.of("metrics", event.service, event.name, event.labels),  # type: ignore[attr-defined]
            event.ts,
            event.value,  # type: ignore[attr-defined]
        )
    if source == "logs":
        level = str(event.level)  # type: ignore[attr-defined]
        return SeriesKey("logs", event.service, "log_events", (("level", level),)), event.ts, None
    if source == "receipts":
        labels = (
            ("channel", str(event.channel)),  # type: ignore[attr-defined]
            ("provider", event.provider),  # type: ignore[attr-defined]
            ("status", str(event.status)),  # type: ignore[attr-defined]
        )
        return SeriesKey("receipts", event.service, "delivery_receipts", labels), event.ts, None
    raise ValueError(f"no series mapping for source {source!r}")


def log_pattern_samples(event: Any, matcher: LogPatternMatcher) -> list[Sample]:
    """One count in `log_pattern_matches{level, pattern}` per pattern the log message matches."""
    names = matcher.matches(event.message)
    if not names:
        return []
    service, level, ts = event.service, str(event.level), event.ts
    return [
        (SeriesKey("logs", service, "log_pattern_matches", (("level", level), ("pattern", name))), ts, None)
        for name in names
    ]


def outcome_samples(outcomes: Iterable[Outcome]) -> list[Sample]:
    """One count in `delivery_outcomes{channel, outcome, provider}` per decided message."""
    return [
        (
            SeriesKey(
                "receipts",
                o.service,
                "delivery_outcomes",
                (("channel", o.channel), ("outcome", o.outcome), ("provider", o.provider)),
            ),
            o.ts,
            None,
        )
        for o in outcomes
    ]


def extra_samples(
    source: str,
    event: Any,
    *,
    matcher: LogPatternMatcher | None = None,
    tracker: DeliveryTracker | None = None,
    origin: Hashable = None,
) -> list[Sample]:
    """The indicators' samples for a log or receipt, beyond `sample_of`; none for metrics.

    Observing a receipt changes `tracker`: call this once per receipt. `origin` (the
    source partition) lets the tracker forget that partition's messages later.
    """
    if source == "logs" and matcher is not None:
        return log_pattern_samples(event, matcher)
    if source == "receipts" and tracker is not None:
        return outcome_samples(tracker.observe(event, origin))
    return []


def samples_of(
    source: str,
    event: Any,
    *,
    matcher: LogPatternMatcher | None = None,
    tracker: DeliveryTracker | None = None,
    origin: Hashable = None,
) -> list[Sample]:
    """Every sample of one event: `sample_of`, then `extra_samples`."""
    return [
        sample_of(source, event),
        *extra_samples(source, event, matcher=matcher, tracker=tracker, origin=origin),
    ]
