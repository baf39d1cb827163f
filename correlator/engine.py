"""The rule engine: event-time windows per series, evaluated as the watermark moves.

State and time come in, alert transitions go out; nothing here reads a
clock or touches I/O, so live agents, replay and tests run the same code.

Event time: every partial carries the newest event time it folded. The
watermark is the newest event time seen minus the allowed lateness. A
tumbling window [s, s+W) is closed once the watermark reaches s+W; each
closed window triggers one evaluation of every rule over the rule's range
ending there (a rule window of k·W evaluates k windows merged, hopping by
W). Partials for a window that is already closed are late: they are
dropped and counted, never silently lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from correlator.alerts import AlertState, AlertTransition, fingerprint
from correlator.partials import Partial
from correlator.rules import ThresholdRule, aggregate_value
from correlator.series import Aggregate, SeriesKey

__all__ = ["EngineConfig", "RuleEngine"]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    window_seconds: float = 10.0  #: base tumbling window size; rule windows are multiples of it
    allowed_lateness: float = 5.0  #: how far behind the newest event a window stays open

    def check(self, rules: Sequence[ThresholdRule]) -> None:
        for rule in rules:
            ratio = rule.window_seconds / self.window_seconds
            if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
                raise ValueError(
                    f"rule {rule.name}: window {rule.window_seconds}s is not a multiple "
                    f"of the base window {self.window_seconds}s"
                )


class RuleEngine:
    """Owns the windows of the series it is fed and the alert state of every rule group."""

    def __init__(self, rules: Sequence[ThresholdRule], config: EngineConfig = EngineConfig()) -> None:
        config.check(rules)
        self.rules = tuple(rules)
        self.config = config
        self.windows: dict[float, dict[SeriesKey, Aggregate]] = defaultdict(dict)
        self.alerts: dict[tuple[str, tuple[tuple[str, str], ...]], AlertState] = {}
        self.max_event_ts: float | None = None
        self.evaluated_until: float | None = None  #: end of the newest window already evaluated
        self.late_events = 0
        self._retention = max((r.window_seconds for r in self.rules), default=config.window_seconds)

    @property
    def watermark(self) -> float | None:
        if self.max_event_ts is None:
            return None
        return self.max_event_ts - self.config.allowed_lateness

    def add(self, partial: Partial) -> bool:
        """Fold a partial into its window; False (and counted) when the window already closed."""
        if self.evaluated_until is not None and partial.window_start < self.evaluated_until:
            self.late_events += partial.aggregate.count
            return False
        window = self.windows[partial.window_start]
        existing = window.get(partial.series)
        if existing is None:
            window[partial.series] = partial.aggregate.copy()
        else:
            existing.merge(partial.aggregate)
        if self.max_event_ts is None or partial.max_ts > self.max_event_ts:
            self.max_event_ts = partial.max_ts
        return True

    def add_all(self, partials: Iterable[Partial]) -> None:
        for partial in partials:
            self.add(partial)

    def advance(self) -> list[AlertTransition]:
        """Evaluate every window the watermark has closed since the last call."""
        watermark = self.watermark
        if watermark is None or not self.windows:
            return []
        size = self.config.window_seconds
        if self.evaluated_until is None:
            self.evaluated_until = min(self.windows)
        transitions: list[AlertTransition] = []
        while self.evaluated_until + size <= watermark:
            self.evaluated_until += size
            transitions.extend(self._evaluate(self.evaluated_until))
        self._expire()
        return transitions

    def _evaluate(self, end: float) -> list[AlertTransition]:
        out: list[AlertTransition] = []
        for rule in self.rules:
            groups = self._groups(rule, end)
            seen = set()
            for group, parts in groups.items():
                key = (rule.name, group)
                seen.add(key)
                value = aggregate_value(rule, parts, rule.window_seconds)
                self._step(rule, key, value, end, out)
            # Groups that went quiet have no data: that is not a breach.
            for key, state in self.alerts.items():
                if key[0] == rule.name and key not in seen and state.phase != "inactive":
                    self._step(rule, key, None, end, out)
        return out

    def _groups(
        self, rule: ThresholdRule, end: float
    ) -> dict[tuple[tuple[str, str], ...], list[tuple[SeriesKey, Aggregate]]]:
        groups: dict[tuple[tuple[str, str], ...], list[tuple[SeriesKey, Aggregate]]] = defaultdict(list)
        start = end - rule.window_seconds
        for window_start, window in self.windows.items():
            if start <= window_start < end:
                for series, agg in window.items():
                    if rule.selects(series):
                        groups[rule.group_of(series)].append((series, agg))
        return groups

    def _step(
        self,
        rule: ThresholdRule,
        key: tuple[str, tuple[tuple[str, str], ...]],
        value: float | None,
        end: float,
        out: list[AlertTransition],
    ) -> None:
        state = self.alerts.get(key)
        if state is None:
            state = self.alerts[key] = AlertState(labels=dict(key[1]))
        breached = value is not None and rule.comparison.holds(value, rule.threshold)
        if value is not None:
            state.last_value = value
        firing_since = state.firing_since
        change = state.step(breached=breached, at=end, for_seconds=rule.for_seconds)
        if change is None:
            return
        labels = {**state.labels, **rule.labels, "alertname": rule.name, "severity": rule.severity}
        context = {**labels, "value": state.last_value or 0.0, "threshold": rule.threshold}
        out.append(
            AlertTransition(
                fingerprint=fingerprint(rule.name, state.labels),
                rule=rule.name,
                status=change,
                severity=rule.severity,
                labels=labels,
                annotations={k: _render(v, context) for k, v in rule.annotations.items()},
                value=state.last_value,
                threshold=rule.threshold,
                starts_at=state.firing_since if change == "firing" else (firing_since or end),
                ends_at=end if change == "resolved" else None,
                at=end,
            )
        )

    def _expire(self) -> None:
        """Drop windows no rule range can reach any more (memory grows with series, not time)."""
        assert self.evaluated_until is not None
        horizon = self.evaluated_until - self._retention
        for start in [s for s in self.windows if s < horizon]:
            del self.windows[start]


def _render(template: str, context: dict[str, object]) -> str:
    """Fill an annotation template; a broken template shows as itself rather than failing the rule."""
    try:
        return template.format(**context)
    except (KeyError, ValueError, IndexError):
        return template
