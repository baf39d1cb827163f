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

__all__ = ["Aggregation", "Comparison", "Matcher", "ThresholdRule", "aggregate_value"]


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
    ERROR_RATIO = "error_ratio"  #: events matching the rule's `errors` matchers / all events


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


@dataclass(frozen=True, slots=True)
class ThresholdRule:
    """One alerting rule; immutable so it can be shared by live and replay engines."""

    name: str
    source: str  #: metrics, logs or receipts
    metric: str  #: series name to select
    aggregation: Aggregation
    comparison: Comparison
    threshold: float
    window_seconds: float  #: range each evaluation aggregates over
    for_seconds: float = 0.0  #: how long the breach must hold before firing
    matchers: tuple[Matcher, ...] = ()
    errors: tuple[Matcher, ...] = ()  #: for error_ratio: which events count as errors
    group_by: tuple[str, ...] = ("service",)
    severity: str = "high"
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def selects(self, series: SeriesKey) -> bool:
        return (
            series.source == self.source
            and series.name == self.metric
            and all(m.matches(series) for m in self.matchers)
        )

    def group_of(self, series: SeriesKey) -> tuple[tuple[str, str], ...]:
        return tuple((label, series.label(label) or "") for label in self.group_by)

    def is_error(self, series: SeriesKey) -> bool:
        return all(m.matches(series) for m in self.errors)


def aggregate_value(
    rule: ThresholdRule, parts: Sequence[tuple[SeriesKey, Aggregate]], window_seconds: float
) -> float | None:
    """The rule's aggregation over one group's series in one range; None when there is no data."""
    total = Aggregate()
    for _, agg in parts:
        total.merge(agg)
    if total.count == 0:
        return None
    kind = rule.aggregation
    if kind is Aggregation.ERROR_RATIO:
        errors = sum(agg.count for series, agg in parts if rule.is_error(series))
        return errors / total.count
    if kind is Aggregation.COUNT:
        return float(total.count)
    if kind is Aggregation.RATE:
        return total.count / window_seconds
    if kind in _QUANTILES:
        return total.quantile(_QUANTILES[kind])
    if total.valued == 0:
        return None
    if kind is Aggregation.SUM:
        return total.total
    if kind is Aggregation.AVG:
        return total.total / total.valued
    if kind is Aggregation.MIN:
        return total.minimum
    return total.maximum


def default_rules() -> list[ThresholdRule]:
    """The seed platform's SLAs, as first-cut threshold rules (burn-rate SLOs come later)."""
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
            errors=(m('status=~"5.."'),),
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
            errors=(m('status=~"failed|undelivered"'),),
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
