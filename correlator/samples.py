"""Which series an incoming event belongs to, and what value it carries.

Metrics keep all their labels (a metric's labels are its identity). Logs
and receipts are counted, not measured: a log event becomes one count in
the series of its service and level, a receipt one count in the series of
its channel, provider and status. Free text (messages, message ids) never
becomes a label, so the number of series stays bounded.
"""

from __future__ import annotations

from typing import Protocol

from correlator.series import SeriesKey

__all__ = ["sample_of"]


class _Event(Protocol):
    ts: float
    service: str


def sample_of(source: str, event: _Event) -> tuple[SeriesKey, float, float | None]:
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
