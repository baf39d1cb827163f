"""Threshold rules: which series, which aggregation, which comparison.

A rule reads like a PromQL alerting rule, but over Vigil's event-time
windows: select series by source, metric name and label matchers, group
them (by `service` unless told otherwise), aggregate the group over the
rule's window, compare with a threshold, and require the breach to hold
for `for_seconds` before the alert fires.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from correlator.series import Aggregate, SeriesKey

__all__ = ["AbsenceRule", "Aggregation", "Comparison", "Matcher", "ThresholdRule", "aggregate_value"]


class Comparison(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="

    def holds(self, value: float, threshold: float) -> bool:
        return _COMPARATORS[self](value, threshold)


_COMPARATORS: dict[Comparison, Callable[[float, float], bool]] = {
    Comparison.GT: operator.gt,
    Comparison.GE: operator.ge,
    Comparison.LT: operator.lt,
    Comparison.LE: operator.le,
}


class Aggregation(StrEnum):
    COUNT = "count"
    RATE = "rate"  #: events per second over the window
    SUM = "sum"
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    P50 = "p50"
    P90 = "p90"
    P95 = "p95"
    P99 = "p99"
    RATIO = "ratio"  #: events matching the rule's `numerator` matchers / all selected events
    ERROR_RATIO = "error_ratio"  #: the same, read as errors / all (`errors:` in YAML)


_QUANTILES = {Aggregation.P50: 0.5, Aggregation.P90: 0.9, Aggregation.P95: 0.95, Aggregation.P99: 0.99}


@dataclass(frozen=True, slots=True)
class Matcher:
    """A PromQL-style label matcher: `=`, `!=`, `=~` or `!~` (regexes are anchored)."""

    label: str
    op: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op not in ("=", "!=", "=~", "!~"):
            raise ValueError(f"matcher {self.label}{self.op}{self.value!r}: unknown operator {self.op!r}")
        if self.op in ("=~", "!~"):
            object.__setattr__(self, "_regex", re.compile(f"(?:{self.value})\\Z"))

    def matches(self, series: SeriesKey) -> bool:
        actual = series.label(self.label) or ""
        if self._regex is not None:
            found = self._regex.match(actual) is not None
            return found if self.op == "=~" else not found
        return (actual == self.value) if self.op == "=" else (actual != self.value)

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """Parse `label=value`, `label!=value`, `label=~regex` or `label!~regex`."""
        m = re.fullmatch(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*', text)
        if m is None:
            raise ValueError(f'not a label matcher: {text!r} (expected e.g. status=~"5..")')
        return cls(m.group(1), m.group(2), m.group(3))


class _SeriesSelector:
    """Selection and grouping shared by every rule that reads series."""

    __slots__ = ()
    source: str
    metric: str
    matchers: tuple[Matcher, ...]
    group_by: tuple[str, ...]

    def selects(self, series: SeriesKey) -> bool:
        return (
            series.source == self.source
            and series.name == self.metric
            and all(m.matches(series) for m in self.matchers)
        )

    def group_of(self, series: SeriesKey) -> tuple[tuple[str, str], ...]:
        return tuple((label, series.label(label) or "") for label in self.group_by)


@dataclass(frozen=True, slots=True)
class ThresholdRule(_SeriesSelector):
    """One alerting rule; immutable so it can be shared by live and replay engines."""

    name: str
    source: str  #: metrics, logs or receipts
    metric: str  #: series name to select
    aggregation: Aggregation
    comparison: Comparison
    threshold: float
    window_seconds: float  #: range each evaluation aggregates over
    for_seconds: float = 0.0  #: how long the breach must hold before firing
    keep_firing_for_seconds: float = 0.0  #: how long it keeps firing after the breach ends
    every_seconds: float | None = None  #: evaluation step; None = every base window (hopping); = window: tumbling
    matchers: tuple[Matcher, ...] = ()
    numerator: tuple[Matcher, ...] = ()  #: for ratio / error_ratio: which events the ratio counts
    group_by: tuple[str, ...] = ("service",)
    severity: str = "high"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def due(self, end: float, base_window: float) -> bool:
        """Whether a range ending at event time `end` is one this rule evaluates."""
        step = self.every_seconds or base_window
        return abs(end / step - round(end / step)) < 1e-9

    def in_numerator(self, series: SeriesKey) -> bool:
        return all(m.matches(series) for m in self.numerator)


@dataclass(frozen=True, slots=True)
class AbsenceRule(_SeriesSelector):
    """ "No data from X for T", judged by wall clock so a dead service still alerts.

    Event time stops when a service stops sending, so absence cannot be an
    event-time rule: the engine's tick passes wall time in.
    """

    name: str
    source: str
    metric: str
    for_seconds: float  #: silence longer than this fires
    matchers: tuple[Matcher, ...] = ()
    group_by: tuple[str, ...] = ("service",)
    severity: str = "critical"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


def aggregate_value(
    rule: ThresholdRule, parts: Sequence[tuple[SeriesKey, Aggregate]], window_seconds: float
) -> float | None:
    """The rule's aggregation over one group's series in one range; None when there is no data.

    Sketches are merged only for quantiles: counts, sums and extremes add
    up directly, which keeps ratio and rate rules cheap.
    """
    count = sum(agg.count for _, agg in parts)
    if count == 0:
        return None
    kind = rule.aggregation
    if kind is Aggregation.RATIO or kind is Aggregation.ERROR_RATIO:
        return sum(agg.count for series, agg in parts if rule.in_numerator(series)) / count
    if kind is Aggregation.COUNT:
        return float(count)
    if kind is Aggregation.RATE:
        return count / window_seconds
    valued = [agg for _, agg in parts if agg.sketch is not None]
    if not valued:
        return None
    if kind in _QUANTILES:
        total = Aggregate()
        for agg in valued:
            total.merge(agg)
        return total.quantile(_QUANTILES[kind])
    if kind is Aggregation.SUM:
        return sum(agg.total for agg in valued)
    if kind is Aggregation.AVG:
        return sum(agg.total for agg in valued) / sum(agg.valued for agg in valued)
    if kind is Aggregation.MIN:
        return min(agg.minimum for agg in valued)
    return max(agg.maximum for agg in valued)


def default_rules() -> list[ThresholdRule]:
    """The first-cut SLA rules, kept as a fixed workload for the benchmarks.

    The pack a worker runs by default is packs/default.yaml; this is not it.
    """
    m = Matcher.parse
    return [
        ThresholdRule(
            name="ApiLatencyP95High",
            source="metrics",
            metric="http_request_duration_seconds",
            aggregation=Aggregation.P95,
            comparison=Comparison.GT,
            threshold=0.5,
            window_seconds=30,
            for_seconds=20,
            severity="high",
            annotations={"summary": "{service} P95 latency {value:.3f}s exceeds {threshold}s"},
        ),
        ThresholdRule(
            name="ApiErrorRatioHigh",
            source="metrics",
            metric="http_request_duration_seconds",
            aggregation=Aggregation.ERROR_RATIO,
            numerator=(m('status=~"5.."'),),
            comparison=Comparison.GT,
            threshold=0.01,
            window_seconds=60,
            for_seconds=30,
            severity="critical",
            annotations={"summary": "{service} 5xx ratio {value:.2%} exceeds {threshold:.2%}"},
        ),
        ThresholdRule(
            name="ComplianceValidationSlow",
            source="metrics",
            metric="compliance_validation_duration_seconds",
            aggregation=Aggregation.P95,
            comparison=Comparison.GT,
            threshold=1.5,
            window_seconds=60,
            for_seconds=30,
            severity="high",
            annotations={"summary": "{service} validation P95 {value:.3f}s exceeds {threshold}s"},
        ),
        ThresholdRule(
            name="WhatsAppDeliveryFailing",
            source="receipts",
            metric="delivery_receipts",
            aggregation=Aggregation.ERROR_RATIO,
            matchers=(m('channel="whatsapp"'), m('status=~"delivered|read|failed|undelivered"')),
            numerator=(m('status=~"failed|undelivered"'),),
            comparison=Comparison.GT,
            threshold=0.01,
            window_seconds=60,
            for_seconds=30,
            severity="high",
            annotations={"summary": "WhatsApp failure ratio {value:.2%} exceeds {threshold:.2%}"},
        ),
        ThresholdRule(
            name="ServiceDown",
            source="metrics",
            metric="up",
            aggregation=Aggregation.MIN,
            comparison=Comparison.LT,
            threshold=1.0,
            window_seconds=30,
            for_seconds=20,
            severity="critical",
            annotations={"summary": "{service} probe reports down"},
        ),
    ]
