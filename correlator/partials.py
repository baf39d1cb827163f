"""Folding raw events into per-series, per-window partial aggregates.

The ingest loop sees every event; everything downstream sees only these
partials, one per (series, window) per flush. That reduction (hundreds to
thousands of events into one record) is what lets the Faust agents keep
up with the firehose: Faust's per-message cost is paid per partial, not
per event.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from correlator.series import Aggregate, SeriesKey

__all__ = ["Partial", "PartialFolder", "Watermark", "window_start"]


def window_start(ts: float, window_seconds: float) -> float:
    """Start of the tumbling window holding event time `ts`."""
    return math.floor(ts / window_seconds) * window_seconds


@dataclass(frozen=True, slots=True)
class Partial:
    """A slice of one series' window, as folded by one ingest flush."""

    series: SeriesKey
    window_start: float  #: event-time start of the tumbling window
    aggregate: Aggregate

    @property
    def service(self) -> str:
        return self.series.service

    def to_wire(self) -> dict[str, Any]:
        return {
            "series": self.series.to_wire(),
            "start": self.window_start,
            **self.aggregate.to_wire(),
        }


@dataclass(frozen=True, slots=True)
class Watermark:
    """No event of `service` older than `watermark` is still to come.

    Ingest writes one per service after that service's partials of a flush
    (same transaction, same partition, so always after them), and also for
    services that had nothing in the flush: a service that falls silent
    still sees its windows close and its alerts evaluated.
    """

    service: str
    watermark: float

    def to_wire(self) -> dict[str, Any]:
        return {"service": self.service, "wm": self.watermark}


def from_wire(wire: dict[str, Any]) -> Partial | Watermark:
    """Decode a record of the partials topic: a partial, or a bare watermark."""
    if "series" not in wire:
        return Watermark(str(wire["service"]), float(wire["wm"]))
    return Partial(
        series=SeriesKey.from_wire(wire["series"]),
        window_start=float(wire["start"]),
        aggregate=Aggregate.from_wire(wire),
    )


class PartialFolder:
    """Accumulates events between flushes; `drain` hands them over and starts afresh."""

    def __init__(self, *, window_seconds: float) -> None:
        self.window_seconds = window_seconds
        self._slots: dict[tuple[SeriesKey, float], Aggregate] = {}
        self.events = 0
        self.max_ts: float | None = None  #: newest event time ever folded

    def add(self, series: SeriesKey, ts: float, value: float | None) -> None:
        slot = (series, math.floor(ts / self.window_seconds) * self.window_seconds)
        agg = self._slots.get(slot)
        if agg is None:
            agg = self._slots[slot] = Aggregate()
        agg.add(value)
        self.events += 1
        if self.max_ts is None or ts > self.max_ts:
            self.max_ts = ts

    def __len__(self) -> int:
        return len(self._slots)

    def drain(self, watermark: float | None = None, /) -> list[Partial | Watermark]:
        """Everything folded since the last drain, then a watermark for each service in it.

        The default watermark, the newest event time folded, is right for
        one ordered source (tests, replay); the ingest loop passes the low
        watermark of all the partitions it reads.
        """
        if watermark is None:
            watermark = self.max_ts if self.max_ts is not None else 0.0
        out: list[Partial | Watermark] = [Partial(series, start, agg) for (series, start), agg in self._slots.items()]
        out.extend(Watermark(service, watermark) for service in sorted({p.service for p in out}))
        self._slots = {}
        self.events = 0
        return out
