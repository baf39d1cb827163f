"""The rule engine: event-time windows per series, evaluated as the watermark moves.

State and time come in, alert transitions go out; nothing here reads a
clock or touches I/O, so live agents, replay and tests run the same code.

The engine is sharded by service. Each shard has its own windows, alert
states and watermark, and rules group within a service. Partials are
partitioned by service, so a shard sees its partials in the order ingest
wrote them no matter how partitions interleave, and replay gets the same
answer as the live worker.

Event time: after each flush's partials of a service, ingest sends a
Watermark: no event of that service older than it is still to come. A
shard's watermark is the newest of those minus the allowed lateness. A
tumbling window [s, s+W) is closed once the shard's watermark reaches s+W;
each closed window triggers one evaluation of every rule over the rule's
range ending there (a rule window of k·W merges k windows,
hopping by W). Partials for a window that is already closed are late:
dropped and counted, never silently lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from correlator.alerts import AlertPhase, AlertState, AlertTransition, fingerprint
from correlator.partials import Partial, Watermark
from correlator.rules import ThresholdRule, aggregate_value
from correlator.series import Aggregate, SeriesKey

__all__ = ["EngineConfig", "RuleEngine", "ServiceShard"]

GroupKey = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class EngineConfig:
    window_seconds: float = 10.0  #: base tumbling window size; rule windows are multiples of it
    allowed_lateness: float = 5.0  #: how far behind the watermark a window stays open

    def check(self, rules: Sequence[ThresholdRule]) -> None:
        for rule in rules:
            ratio = rule.window_seconds / self.window_seconds
            if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
                raise ValueError(
                    f"rule {rule.name}: window {rule.window_seconds}s is not a multiple "
                    f"of the base window {self.window_seconds}s"
                )
            if "service" not in rule.group_by:
                raise ValueError(f"rule {rule.name}: group_by must include 'service' (state is sharded by service)")


class ServiceShard:
    """Windows and alert states of one service."""

    def __init__(self, engine: RuleEngine) -> None:
        self.engine = engine
        self.windows: dict[float, dict[SeriesKey, Aggregate]] = defaultdict(dict)
        self.alerts: dict[tuple[str, GroupKey], AlertState] = {}
        self.input_watermark: float | None = None  #: newest low watermark received
        self.evaluated_until: float | None = None  #: end of the newest window already evaluated

    @property
    def watermark(self) -> float | None:
        if self.input_watermark is None:
            return None
        return self.input_watermark - self.engine.config.allowed_lateness

    def observe(self, watermark: float) -> None:
        if self.input_watermark is None or watermark > self.input_watermark:
            self.input_watermark = watermark

    def add(self, partial: Partial) -> bool:
        if self.evaluated_until is not None and partial.window_start < self.evaluated_until:
            return False
        window = self.windows[partial.window_start]
        existing = window.get(partial.series)
        if existing is None:
            window[partial.series] = partial.aggregate.copy()
        else:
            existing.merge(partial.aggregate)
        return True

    def advance(self) -> list[AlertTransition]:
        watermark = self.watermark
        if watermark is None or not self.windows:
            return []
        size = self.engine.config.window_seconds
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
        for rule in self.engine.rules:
            seen = set()
            for group, parts in self._groups(rule, end).items():
                key = (rule.name, group)
                seen.add(key)
                self._step(rule, key, aggregate_value(rule, parts, rule.window_seconds), end, out)
            # Groups that went quiet have no data: that is not a breach.
            for key, state in list(self.alerts.items()):
                if key[0] == rule.name and key not in seen and state.phase is not AlertPhase.INACTIVE:
                    self._step(rule, key, None, end, out)
        return out

    def _groups(self, rule: ThresholdRule, end: float) -> dict[GroupKey, list[tuple[SeriesKey, Aggregate]]]:
        groups: dict[GroupKey, list[tuple[SeriesKey, Aggregate]]] = defaultdict(list)
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
        key: tuple[str, GroupKey],
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
        horizon = self.evaluated_until - self.engine.retention
        for start in [s for s in self.windows if s < horizon]:
            del self.windows[start]


class RuleEngine:
    """All service shards a worker owns, and the counters its metrics report."""

    def __init__(self, rules: Sequence[ThresholdRule], config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()
        self.config.check(rules)
        self.rules = tuple(rules)
        self.shards: dict[str, ServiceShard] = {}
        self.late_events = 0
        self.retention = max((r.window_seconds for r in self.rules), default=self.config.window_seconds)
        self._touched: set[str] = set()

    def shard(self, service: str) -> ServiceShard:
        shard = self.shards.get(service)
        if shard is None:
            shard = self.shards[service] = ServiceShard(self)
        return shard

    def add(self, item: Partial | Watermark) -> bool:
        """Fold a partial into its window (False, and counted, when the window already closed)."""
        self._touched.add(item.service)
        if isinstance(item, Watermark):
            self.shard(item.service).observe(item.watermark)
            return True
        accepted = self.shard(item.service).add(item)
        if not accepted:
            self.late_events += item.aggregate.count
        return accepted

    def add_all(self, items: Iterable[Partial | Watermark]) -> None:
        for item in items:
            self.add(item)

    def advance(self) -> list[AlertTransition]:
        """Evaluate every window closed since the last call, shard by shard in service order."""
        touched, self._touched = sorted(self._touched), set()
        transitions: list[AlertTransition] = []
        for service in touched:
            transitions.extend(self.shards[service].advance())
        return transitions

    @property
    def watermark(self) -> float | None:
        """The lowest shard watermark: the event time every service has reached."""
        marks = [w for s in self.shards.values() if (w := s.watermark) is not None]
        return min(marks) if marks else None

    def series_count(self) -> int:
        return sum(len(w) for shard in self.shards.values() for w in shard.windows.values())


def _render(template: str, context: dict[str, object]) -> str:
    """Fill an annotation template; a broken template shows as itself rather than failing the rule."""
    try:
        return template.format(**context)
    except (KeyError, ValueError, IndexError):
        return template
