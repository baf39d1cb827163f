"""Ingest's low watermark: how far event time has got on *every* partition it reads.

In a catch-up (a restart, an outage, a replay) one flush can span minutes
of event time, and one partition can be far ahead of another. Stamping
partials with the newest event time seen anywhere would close windows
that slower partitions are still filling. The low watermark is the
minimum, over partitions, of each partition's newest event time, so no
window closes before every partition has passed it.

A partition with no traffic would hold the minimum back for ever, so a
partition idle for `idle_seconds` of wall-clock time stops counting (the
usual idleness rule of stream processors). Wall time is passed in.
"""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["LowWatermark"]


class LowWatermark:
    def __init__(self, *, idle_seconds: float = 10.0) -> None:
        self.idle_seconds = idle_seconds
        self._newest: dict[Hashable, float] = {}
        self._active_at: dict[Hashable, float] = {}

    def observe(self, partition: Hashable, event_ts: float, now: float) -> None:
        """`partition` delivered events up to `event_ts` at wall time `now`."""
        if event_ts > self._newest.get(partition, float("-inf")):
            self._newest[partition] = event_ts
        self._active_at[partition] = now

    def forget(self, partition: Hashable) -> None:
        """The partition moved to another worker."""
        self._newest.pop(partition, None)
        self._active_at.pop(partition, None)

    def value(self, now: float) -> float | None:
        """The low watermark at wall time `now`; None before any event."""
        if not self._newest:
            return None
        active = [ts for p, ts in self._newest.items() if now - self._active_at[p] < self.idle_seconds]
        return min(active) if active else max(self._newest.values())
