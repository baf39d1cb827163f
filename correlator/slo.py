"""Service level objectives and the burn-rate alerts derived from them.

An SLO says what fraction of events must be good over a period ("99.9 %
of API requests are not 5xx, over 30 days"). Its error budget is the
fraction allowed to be bad. The burn rate is how fast that budget is
being spent: a burn rate of 1 spends exactly the budget over the period.

Alerts follow the Google SRE workbook's multi-window, multi-burn-rate
recipe for a 30-day objective: a page needs both a long window (is this
significant?) and a short one (is it still happening?) above the factor.
For other periods the windows scale with the period, never below the
engine's base window.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from correlator.rules import Matcher
from correlator.series import Aggregate, SeriesKey
from correlator.sketch import count_at_most

__all__ = ["BurnAlert", "SliSpec", "Slo", "SloCounter", "WORKBOOK_WINDOWS"]

_HOUR = 3600.0
_DAY = 24 * _HOUR
_REFERENCE_PERIOD = 30 * _DAY

#: (burn factor, long window, short window, severity) for a 30-day objective.
WORKBOOK_WINDOWS: tuple[tuple[float, float, float, str], ...] = (
    (14.4, 1 * _HOUR, 5 * 60.0, "critical"),  # page: 2 % of the budget in an hour
    (6.0, 6 * _HOUR, 30 * 60.0, "high"),  # page: 5 % in six hours
    (3.0, 1 * _DAY, 2 * _HOUR, "medium"),  # ticket: 10 % in a day
    (1.0, 3 * _DAY, 6 * _HOUR, "medium"),  # ticket: 10 % in three days
)


@dataclass(frozen=True, slots=True)
class SliSpec:
    """Which events an SLO counts, and which of them are good.

    Exactly one way of judging goodness applies: `bad` matchers (event
    based: 5xx requests, failed deliveries), `le` (value at most this:
    latency) or `ge` (value at least this: availability probes).
    """

    source: str
    metric: str
    matchers: tuple[Matcher, ...] = ()
    bad: tuple[Matcher, ...] = ()
    le: float | None = None
    ge: float | None = None

    def selects(self, series: SeriesKey) -> bool:
        return (
            series.source == self.source
            and series.name == self.metric
            and all(m.matches(series) for m in self.matchers)
        )

    def good_total(self, parts: Sequence[tuple[SeriesKey, Aggregate]]) -> tuple[float, float]:
        """(good events, all events) in one group's series of one window."""
        total = float(sum(agg.count for _, agg in parts))
        if self.bad:
            bad = sum(agg.count for series, agg in parts if all(m.matches(series) for m in self.bad))
            return total - bad, total
        good = 0.0
        for _, agg in parts:
            if agg.sketch is None:
                continue
            if self.le is not None:
                good += count_at_most(agg.sketch, self.le)
            elif self.ge is not None:
                good += agg.valued - count_at_most(agg.sketch, self.ge, inclusive=False)
        return good, total


@dataclass(frozen=True, slots=True)
class BurnAlert:
    """One derived burn-rate alert of an SLO."""

    name: str
    factor: float
    long_seconds: float
    short_seconds: float
    severity: str


@dataclass(frozen=True, slots=True)
class Slo:
    name: str
    objective: float  #: fraction of good events required, e.g. 0.999
    sli: SliSpec
    period_seconds: float = _REFERENCE_PERIOD
    group_by: tuple[str, ...] = ("service",)
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def error_budget(self) -> float:
        return 1.0 - self.objective

    def burn_alerts(self, base_window: float) -> tuple[BurnAlert, ...]:
        """The workbook's four alerts, windows scaled to this SLO's period."""
        scale = self.period_seconds / _REFERENCE_PERIOD
        out = []
        for factor, long_w, short_w, severity in WORKBOOK_WINDOWS:
            out.append(
                BurnAlert(
                    name=f"{self.name}:burn{factor:g}x",
                    factor=factor,
                    long_seconds=_fit(long_w * scale, base_window),
                    short_seconds=_fit(short_w * scale, base_window),
                    severity=severity,
                )
            )
        return tuple(out)

    def bucket_seconds(self, base_window: float) -> float:
        """Resolution of the SLO's counters: fine enough for the shortest window, ≤ 8640 buckets a period."""
        shortest = min(a.short_seconds for a in self.burn_alerts(base_window))
        return min(shortest, _fit(self.period_seconds / 8640, base_window))


def _fit(seconds: float, base_window: float) -> float:
    """Round up to a whole number of base windows, at least one."""
    windows = max(1, -(-seconds // base_window))
    return float(windows * base_window)


class SloCounter:
    """Good and total events of one SLO group, in event-time buckets, for as long as any window needs."""

    def __init__(self, *, bucket_seconds: float, retention_seconds: float) -> None:
        self.bucket_seconds = bucket_seconds
        self.retention_seconds = retention_seconds
        self.buckets: dict[float, list[float]] = {}  #: bucket start → [good, total]

    def add(self, ts: float, good: float, total: float) -> None:
        start = (ts // self.bucket_seconds) * self.bucket_seconds
        bucket = self.buckets.get(start)
        if bucket is None:
            self.buckets[start] = [good, total]
        else:
            bucket[0] += good
            bucket[1] += total

    def bad_ratio(self, end: float, seconds: float) -> float | None:
        """Fraction of bad events in [end - seconds, end); None without events."""
        return self.bad_ratios(end, (seconds,))[seconds]

    def bad_ratios(self, end: float, windows: Sequence[float]) -> dict[float, float | None]:
        """`bad_ratio` for several window lengths in one pass over the buckets, newest first."""
        pending = sorted(set(windows))
        out: dict[float, float | None] = {}
        good = total = 0.0
        for start in sorted((s for s in self.buckets if s < end), reverse=True):
            while pending and start < end - pending[0]:
                out[pending.pop(0)] = None if total == 0 else (total - good) / total
            if not pending:
                break
            g, t = self.buckets[start]
            good += g
            total += t
        for seconds in pending:
            out[seconds] = None if total == 0 else (total - good) / total
        return out

    def expire(self, end: float) -> None:
        horizon = end - self.retention_seconds
        for start in [s for s in self.buckets if s < horizon]:
            del self.buckets[start]
