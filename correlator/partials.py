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

__all__ = ["Partial", "PartialFolder", "window_start"]


def window_start(ts: float, window_seconds: float) -> float:
    """Start of the tumbling window holding event time `ts`."""
    return math.floor(ts / window_seconds) * window_seconds


@dataclass(frozen=True, slots=True)
class Partial:
    """A slice of one series' window, as folded by one ingest flush."""

    series: SeriesKey
    window_start: float  #: event-time start of the tumbling window
    aggregate: Aggregate
    max_ts: float  #: newest event time folded in; drives the watermark downstream

    def to_wire(self) -> dict[str, Any]:
        return {
            "series": self.series.to_wire(),
            "start": self.window_start,
            "max_ts": self.max_ts,
            **self.aggregate.to_wire(),
        }

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Partial:
        return cls(
            series=SeriesKey.from_wire(wire["series"]),
            window_start=float(wire["start"]),
            aggregate=Aggregate.from_wire(wire),
            max_ts=float(wire["max_ts"]),
        )


class PartialFolder:
    """Accumulates events between flushes; `drain` hands them over and starts afresh."""

    def __init__(self, *, window_seconds: float) -> None:
        self.window_seconds = window_seconds
        self._slots: dict[tuple[SeriesKey, float], Aggregate] = {}
        self._max_ts: dict[tuple[SeriesKey, float], float] = {}
        self.events = 0

    def add(self, series: SeriesKey, ts: float, value: float | None) -> None:
        slot = (series, window_start(ts, self.window_seconds))
        agg = self._slots.get(slot)
        if agg is None:
            agg = self._slots[slot] = Aggregate()
            self._max_ts[slot] = ts
        elif ts > self._max_ts[slot]:
            self._max_ts[slot] = ts
        agg.add(value)
        self.events += 1

    def __len__(self) -> int:
        return len(self._slots)

    def drain(self) -> list[Partial]:
        partials = [
            Partial(series, start, agg, self._max_ts[(series, start)]) for (series, start), agg in self._slots.items()
        ]
        self._slots = {}
        self._max_ts = {}
        self.events = 0
        return partials
