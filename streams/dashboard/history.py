"""The last hours of every SLI, for sparklines and charts: a ring buffer per series.

Pure: the sampler (a 10 s timer in the worker) and the board feed (other
workers' samples, and this worker's own from before a restart, read back
from the board topic) pass the readings and their time in. Points arrive
mostly in order; one from the past (a catch-up) is put in its place. Memory
is bounded by ``span / step`` points per series; a series that stops being
read keeps its points until they age out.
"""

from __future__ import annotations

import bisect
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
        self._series: dict[SeriesId, list[tuple[float, float]]] = {}
        self.newest: float | None = None  #: the latest time recorded

    def record(self, now: float, readings: Mapping[SeriesId, float]) -> None:
        """One point per reading at time `now`; a point already held at that time is not added twice."""
        newest = now if self.newest is None else max(self.newest, now)
        horizon = newest - self.span
        if now < horizon:
            return
        for key, value in readings.items():
            points = self._series.get(key)
            if points is None:
                points = self._series[key] = []
            if not points or now > points[-1][0]:
                points.append((now, value))  # the usual case: the newest point
            else:
                at = bisect.bisect_left(points, now, key=_time)
                if at < len(points) and points[at][0] == now:
                    continue
                points.insert(at, (now, value))
            if len(points) > self.capacity:
                del points[: len(points) - self.capacity]
        if self.newest is None or now > self.newest:
            self.newest = now
            for key in [k for k, points in self._series.items() if points[-1][0] < horizon]:
                del self._series[key]

    def series_ids(self) -> list[SeriesId]:
        return sorted(self._series)

    def points(self, key: SeriesId, *, since: float | None = None, max_points: int | None = None) -> list[list[float]]:
        """[[ts, value], …] oldest first, at or after `since`; thinned evenly to at most `max_points`."""
        points = self._series.get(key)
        if points is None:
            return []
        start = 0 if since is None else bisect.bisect_left(points, since, key=_time)
        found = [[ts, value] for ts, value in points[start:]]
        return _thin(found, max_points) if max_points else found


def _time(point: tuple[float, float]) -> float:
    return point[0]


def _thin(points: list[list[float]], limit: int) -> list[list[float]]:
    if len(points) <= limit or limit < 2:
        return points[-limit:] if limit >= 1 else []
    stride = (len(points) - 1) / (limit - 1)
    return [points[round(i * stride)] for i in range(limit)]
