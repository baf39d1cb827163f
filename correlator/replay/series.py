"""The SLIs over the range, for charts: each rule's value per group at every window it evaluated.

The engine keeps only the latest value of each rule group (what /metrics
shows). A replay wants them all, so each shard it creates gets recording
maps in place of `rule_values` and `slo_status`: every value the engine
stores is also appended, with the end of the window being evaluated, to
one series per (rule, group). That is one point per evaluated window per
series; `to_report` thins a long range to at most `max_points` points by
keeping the worst value of each bucket (the highest for `>` rules, the
lowest for `<`), so a breach never disappears from a chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from correlator.durations import format_duration
from correlator.engine import RuleEngine, ServiceShard, SloStatus
from correlator.rules import Aggregation, ThresholdRule

__all__ = ["SeriesRecorder"]

GroupKey = tuple[tuple[str, str], ...]

_UNITLESS = {Aggregation.COUNT: "count", Aggregation.RATE: "per_s", Aggregation.RATIO: "ratio"}
_UNITLESS[Aggregation.ERROR_RATIO] = "ratio"


@dataclass(slots=True)
class _Series:
    rule: str
    kind: str  #: threshold, burn_rate or error_budget
    service: str
    group: str  #: group labels other than service, k=v joined by commas
    op: str
    threshold: float
    unit: str
    slo: str | None = None
    points: list[tuple[float, float]] = field(default_factory=list)


class _Recording(dict):  # type: ignore[type-arg]
    """A shard's value map that also tells the recorder what is stored, and when."""

    def __init__(self, shard: ServiceShard, record: Callable[[Any, Any, float], None]) -> None:
        super().__init__()
        self._shard = shard
        self._record = record

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        at = self._shard.evaluated_until  # the end of the window being evaluated
        if at is not None:
            self._record(key, value, at)


class SeriesRecorder:
    """Install with `attach(engine)`; read with `to_report(from_ts, to_ts)`."""

    def __init__(self, *, max_points: int = 1440) -> None:
        self.max_points = max_points
        self._series: dict[tuple[str, str, str, str], _Series] = {}
        self._rules: dict[str, ThresholdRule] = {}
        self._burns: dict[str, list[tuple[str, float, str]]] = {}  #: slo → [(alert name, factor, long window)]
        self._window = 10.0

    def attach(self, engine: RuleEngine) -> None:
        """Every shard the engine creates from now on records its values here."""
        self._rules = {rule.name: rule for rule in engine.rules}
        self._burns = {
            slo: [(alert.name, alert.factor, format_duration(alert.long_seconds)) for alert in alerts]
            for slo, alerts in engine.burn_alerts.items()
        }
        self._window = engine.settings.window_seconds
        previous = engine.restore

        def new_shard(service: str) -> ServiceShard:
            shard = previous(service) if previous is not None else None
            shard = shard if shard is not None else ServiceShard(engine)
            shard.rule_values = _Recording(shard, lambda key, value, at: self._rule_value(service, key, value, at))
            shard.slo_status = _Recording(shard, lambda key, value, at: self._slo_status(service, key, value, at))
            return shard

        engine.restore = new_shard

    # -- recording ---------------------------------------------------------------

    def _rule_value(self, service: str, key: tuple[str, GroupKey], value: float, at: float) -> None:
        rule = self._rules.get(key[0])
        if rule is None:
            return
        series = self._get(rule.name, "threshold", service, key[1])
        if series is None:
            unit = _UNITLESS.get(rule.aggregation) or ("s" if rule.metric.endswith("_seconds") else "")
            series = self._new(rule.name, "threshold", service, key[1], str(rule.comparison), rule.threshold, unit)
        series.points.append((at, value))

    def _slo_status(self, service: str, key: tuple[str, GroupKey], status: SloStatus, at: float) -> None:
        slo, group = key
        for name, factor, long_window in self._burns.get(slo, ()):
            rate = status.burn_rates.get(long_window)
            if rate is None:
                continue
            series = self._get(name, "burn_rate", service, group) or self._new(
                name, "burn_rate", service, group, ">", factor, "x", slo=slo
            )
            series.points.append((at, rate))
        if status.budget_remaining is not None:
            series = self._get(slo, "error_budget", service, group) or self._new(
                slo, "error_budget", service, group, "<", 0.0, "ratio", slo=slo
            )
            series.points.append((at, status.budget_remaining))

    def _get(self, rule: str, kind: str, service: str, group: GroupKey) -> _Series | None:
        return self._series.get((rule, kind, service, _rest(group)))

    def _new(
        self,
        rule: str,
        kind: str,
        service: str,
        group: GroupKey,
        op: str,
        threshold: float,
        unit: str,
        *,
        slo: str | None = None,
    ) -> _Series:
        series = _Series(rule, kind, service, _rest(group), op, threshold, unit, slo)
        self._series[(rule, kind, service, series.group)] = series
        return series

    # -- reading -----------------------------------------------------------------

    def to_report(self, from_ts: float, to_ts: float) -> list[dict[str, Any]]:
        """Every series, sorted by (rule, kind, service, group), thinned to at most `max_points` points."""
        windows = max(1, math.ceil((to_ts - from_ts) / self._window))
        bucket = self._window * max(1, math.ceil(windows / self.max_points))
        out = []
        for key in sorted(self._series):
            series = self._series[key]
            points = series.points
            if bucket > self._window:
                points = _thin(points, from_ts + self._window, bucket, series.op)
            out.append(
                {
                    "rule": series.rule,
                    "kind": series.kind,
                    "slo": series.slo,
                    "service": series.service,
                    "group": series.group,
                    "op": series.op,
                    "threshold": series.threshold,
                    "unit": series.unit,
                    "points": [[ts, _round(value)] for ts, value in points],
                }
            )
        return out


def _thin(points: list[tuple[float, float]], origin: float, bucket: float, op: str) -> list[tuple[float, float]]:
    """One point per bucket (counted from `origin`, the first window's end): its worst value, at its own time."""
    worse = (lambda a, b: a > b) if op in (">", ">=") else (lambda a, b: a < b)
    kept: dict[float, tuple[float, float]] = {}
    for ts, value in points:
        slot = math.floor((ts - origin) / bucket)
        held = kept.get(slot)
        if held is None or worse(value, held[1]):
            kept[slot] = (ts, value)
    return [kept[slot] for slot in sorted(kept)]


def _round(value: float) -> float:
    """Six significant digits: plenty for a chart, and a third of the bytes."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, 5 - math.floor(math.log10(abs(value))))


def _rest(group: GroupKey) -> str:
    return ",".join(f"{k}={v}" for k, v in group if k != "service")
