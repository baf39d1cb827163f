"""The last hours of every SLI, for sparklines and charts: a ring buffer per series.

Pure: the sampler (a 10 s timer in the worker) passes the readings and
``now`` in. Memory is bounded by ``span / step`` points per series; a
series that stops being read keeps its points until they age out.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import NamedTuple

__all__ = ["SeriesId", "SliHistory"]


class SeriesId(NamedTuple):
    """Which series: a threshold rule's value or an SLO's recent compliance, per service and group."""

    kind: str  #: "rule" or "slo"
    name: str  #: rule or SLO name
    service: str
    group: str = ""  #: other group labels as k=v,k=v ("" when grouped by service alone)


class SliHistory:
    """One point per series per :meth:`record`, the newest ``span`` seconds of them."""

    def __init__(self, *, step: float = 10.0, span: float = 6 * 3600.0) -> None:
        if step <= 0 or span < step:
            raise ValueError("need 0 < step <= span")
        self.step = step
        self.span = span
        self.capacity = int(span // step) + 1
        self._series: dict[SeriesId, deque[tuple[float, float]]] = {}
        self.last_recorded: float | None = None

    def record(self, now: float, readings: Mapping[SeriesId, float]) -> None:
        """Append one point per reading at time `now` (earlier than the last point: ignored)."""
        if self.last_recorded is not None and now < self.last_recorded:
            return
        self.last_recorded = now
        for key, value in readings.items():
            ring = self._series.get(key)
            if ring is None:
                ring = self._series[key] = deque(maxlen=self.capacity)
            ring.append((now, value))
        horizon = now - self.span
        for key in [k for k, ring in self._series.items() if ring[-1][0] < horizon]:
            del self._series[key]

    def series_ids(self) -> list[SeriesId]:
        return sorted(self._series)

    def points(self, key: SeriesId, *, since: float | None = None, max_points: int | None = None) -> list[list[float]]:
        """[[ts, value], …] oldest first, at or after `since`; thinned evenly to at most `max_points`."""
        ring = self._series.get(key)
        if ring is None:
            return []
        found = [[ts, value] for ts, value in ring if since is None or ts >= since]
        return _thin(found, max_points) if max_points else found


def _thin(points: list[list[float]], limit: int) -> list[list[float]]:
    if len(points) <= limit or limit < 2:
        return points[-limit:] if limit >= 1 else []
    stride = (len(points) - 1) / (limit - 1)
    return [points[round(i * stride)] for i in range(limit)]
