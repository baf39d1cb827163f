"""The rule engine: event-time windows per series, evaluated as the watermark moves.

State and time come in, alert transitions go out; nothing here reads a
clock or touches I/O, so live agents, replay and tests run the same code.

The engine is sharded by service. Each shard has its own windows, alert
states, SLO counters and watermark, and rules group within a service.
Partials are partitioned by service, so a shard sees its partials in the
order ingest wrote them no matter how partitions interleave, and replay
gets the same answer as the live worker.

Event time: after each flush's partials of a service, ingest sends a
Watermark: no event of that service older than it is still to come. A
shard's watermark is the newest of those minus the allowed lateness. A
tumbling window [s, s+W) is closed once the shard's watermark reaches s+W;
each closed window triggers one evaluation of every rule that is due then,
over the rule's range ending there (a rule window of k·W merges k windows;
`every` sets the hop). Partials for a window that is already closed are
late: dropped and counted, never silently lost.

Wall time: absence rules ("no data from X for T") cannot wait for event
time, which stops when a service dies; `tick(now)` judges them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from correlator.alerts import AlertPhase, AlertState, AlertTransition, fingerprint
from correlator.durations import format_duration
from correlator.pack import RulePack
from correlator.partials import Partial, Watermark
from correlator.rules import AbsenceRule, ThresholdRule, aggregate_value
from correlator.series import Aggregate, SeriesKey
from correlator.slo import BurnAlert, Slo, SloCounter

__all__ = ["RuleEngine", "ServiceShard", "SloStatus", "check_pack"]

GroupKey = tuple[tuple[str, str], ...]
Parts = list[tuple[SeriesKey, Aggregate]]


@dataclass(frozen=True, slots=True)
class SloStatus:
    """An SLO group's standing after the latest evaluation, for gauges and dashboards."""

    budget_remaining: float | None  #: 1 = untouched, 0 = spent, < 0 = overspent
    burn_rates: Mapping[str, float]  #: window name ("1h", "5m"...) → burn rate


def check_pack(pack: RulePack) -> None:
    """Raise ValueError when the pack cannot run on this engine (the config loader reports earlier)."""
    base = pack.settings.window_seconds
    for rule in pack.rules:
        for what, seconds in (("window", rule.window_seconds), ("every", rule.every_seconds or base)):
            ratio = seconds / base
            if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
                raise ValueError(
                    f"rule {rule.name}: {what} {seconds:g}s is not a multiple of the base window {base:g}s"
                )
    for item in (*pack.rules, *pack.absence, *pack.slos):
        if "service" not in item.group_by:
            raise ValueError(f"{item.name}: group_by must include 'service' (state is sharded by service)")


class ServiceShard:
    """Windows, alert states and SLO counters of one service."""

    def __init__(self, engine: RuleEngine) -> None:
        self.engine = engine
        self.windows: dict[float, dict[SeriesKey, Aggregate]] = defaultdict(dict)
        self.alerts: dict[tuple[str, GroupKey], AlertState] = {}
        self.rule_values: dict[tuple[str, GroupKey], float] = {}  #: last value of each threshold rule group
        self.slo_counters: dict[tuple[str, GroupKey], SloCounter] = {}
        self.slo_status: dict[tuple[str, GroupKey], SloStatus] = {}
        self.last_seen: dict[tuple[str, GroupKey], float | None] = {}  #: absence rule group → wall time
        self.firing: dict[tuple[str, GroupKey], AlertTransition] = {}  #: as last sent
        self.input_watermark: float | None = None  #: newest watermark received
        self.evaluated_until: float | None = None  #: end of the newest window already evaluated
        self.applied_position: int | None = None  #: position (topic offset) of the last item applied

    @property
    def watermark(self) -> float | None:
        if self.input_watermark is None:
            return None
        return self.input_watermark - self.engine.settings.allowed_lateness

    def observe(self, watermark: float) -> None:
        if self.input_watermark is None or watermark > self.input_watermark:
            self.input_watermark = watermark

    def add(self, partial: Partial) -> bool:
        for rule in self.engine.absence:
            if rule.selects(partial.series):
                self.last_seen[(rule.name, rule.group_of(partial.series))] = self.engine.now
        if self.evaluated_until is not None and partial.window_start < self.evaluated_until:
            return False
        window = self.windows[partial.window_start]
        existing = window.get(partial.series)
        if existing is None:
            # The engine takes ownership: partials come fresh off the wire or out of a drained folder.
            window[partial.series] = partial.aggregate
        else:
            existing.merge(partial.aggregate)
        return True

    # -- event time -----------------------------------------------------------

    def advance(self) -> list[AlertTransition]:
        watermark = self.watermark
        if watermark is None or not self.windows:
            return []
        size = self.engine.settings.window_seconds
        if self.evaluated_until is None:
            self.evaluated_until = min(self.windows)
        out: list[AlertTransition] = []
        while self.evaluated_until + size <= watermark:
            self.evaluated_until += size
            end = self.evaluated_until
            for rule in self.engine.rules:
                if rule.due(end, size):
                    self._evaluate_rule(rule, end, out)
            for slo in self.engine.slos:
                self._evaluate_slo(slo, end, out)
        self._expire()
        return out

    def _evaluate_rule(self, rule: ThresholdRule, end: float, out: list[AlertTransition]) -> None:
        seen = set()
        for group, parts in self._groups(rule, end - rule.window_seconds, end).items():
            key = (rule.name, group)
            seen.add(key)
            value = aggregate_value(rule, parts, rule.window_seconds)
            if value is not None:
                self.rule_values[key] = value
            breached = value is not None and rule.comparison.holds(value, rule.threshold)
            self._step(
                rule, key, breached, value, end, out, rule.threshold, rule.for_seconds, rule.keep_firing_for_seconds
            )
        # Groups that went quiet have no data: that is not a breach.
        for key, state in list(self.alerts.items()):
            if key[0] == rule.name and key not in seen and state.phase is not AlertPhase.INACTIVE:
                self._step(
                    rule, key, False, None, end, out, rule.threshold, rule.for_seconds, rule.keep_firing_for_seconds
                )

    def _groups(self, selector: ThresholdRule | Slo, start: float, end: float) -> dict[GroupKey, Parts]:
        groups: dict[GroupKey, Parts] = defaultdict(list)
        selects = selector.selects if isinstance(selector, ThresholdRule) else selector.sli.selects
        for window_start, window in self.windows.items():
            if start <= window_start < end:
                for series, agg in window.items():
                    if selects(series):
                        groups[tuple((label, series.label(label) or "") for label in selector.group_by)].append(
                            (series, agg)
                        )
        return groups

    def _evaluate_slo(self, slo: Slo, end: float, out: list[AlertTransition]) -> None:
        base = self.engine.settings.window_seconds
        burns = self.engine.burn_alerts[slo.name]
        for group, parts in self._groups(slo, end - base, end).items():
            good, total = slo.sli.good_total(parts)
            counter = self.slo_counters.get((slo.name, group))
            if counter is None:
                retention = max(slo.period_seconds, *(b.long_seconds for b in burns))
                counter = SloCounter(bucket_seconds=slo.bucket_seconds(base), retention_seconds=retention)
                self.slo_counters[(slo.name, group)] = counter
            counter.add(end - base, good, total)
        for (name, group), counter in self.slo_counters.items():
            if name == slo.name:
                self._judge_burn(slo, burns, group, counter, end, out)

    def _judge_burn(
        self,
        slo: Slo,
        burns: Sequence[BurnAlert],
        group: GroupKey,
        counter: SloCounter,
        end: float,
        out: list[AlertTransition],
    ) -> None:
        lengths = [slo.period_seconds, *(w for a in burns for w in (a.long_seconds, a.short_seconds))]
        ratios = counter.bad_ratios(end, lengths)
        rates: dict[str, float] = {}

        def burn(seconds: float) -> float:
            ratio = ratios[seconds]
            rate = 0.0 if ratio is None else ratio / slo.error_budget
            rates[format_duration(seconds)] = rate
            return rate

        for alert in burns:
            long_rate, short_rate = burn(alert.long_seconds), burn(alert.short_seconds)
            breached = long_rate > alert.factor and short_rate > alert.factor
            self._step(alert, (alert.name, group), breached, long_rate, end, out, alert.factor, 0.0, 0.0, slo=slo)
        period_bad = ratios[slo.period_seconds]
        budget = None if period_bad is None else 1.0 - period_bad / slo.error_budget
        self.slo_status[(slo.name, group)] = SloStatus(budget_remaining=budget, burn_rates=rates)
        counter.expire(end)

    # -- wall time ------------------------------------------------------------

    def tick(self, now: float) -> list[AlertTransition]:
        out: list[AlertTransition] = []
        for rule in self.engine.absence:
            for key, seen in list(self.last_seen.items()):
                if key[0] != rule.name:
                    continue
                if seen is None:  # seen before the first tick: count from now
                    self.last_seen[key] = seen = now
                silent = now - seen >= rule.for_seconds
                self._step(rule, key, silent, now - seen, now, out, rule.for_seconds, 0.0, 0.0)
        return out

    # -- shared ---------------------------------------------------------------

    def _step(
        self,
        rule: ThresholdRule | AbsenceRule | BurnAlert,
        key: tuple[str, GroupKey],
        breached: bool,
        value: float | None,
        at: float,
        out: list[AlertTransition],
        threshold: float,
        for_seconds: float,
        keep_firing_for: float,
        slo: Slo | None = None,
    ) -> None:
        state = self.alerts.get(key)
        if state is None:
            state = self.alerts[key] = AlertState(labels=dict(key[1]))
        if value is not None:
            state.last_value = value
        firing_since = state.firing_since
        change = state.step(breached=breached, at=at, for_seconds=for_seconds, keep_firing_for=keep_firing_for)
        refresh = (
            change is None
            and state.phase is AlertPhase.FIRING
            and state.last_sent is not None
            and at - state.last_sent >= self.engine.settings.refresh_seconds
        )
        if change is None and not refresh:
            return
        state.last_sent = at
        transition = self._transition(rule, state, change or "firing", at, threshold, firing_since, slo, refresh)
        if transition.status == "firing":
            self.firing[key] = transition
        else:
            self.firing.pop(key, None)
        out.append(transition)

    def _transition(
        self,
        rule: ThresholdRule | AbsenceRule | BurnAlert,
        state: AlertState,
        status: str,
        at: float,
        threshold: float,
        firing_since: float | None,
        slo: Slo | None,
        refresh: bool,
    ) -> AlertTransition:
        extra: dict[str, str] = {}
        annotations: Mapping[str, str]
        if isinstance(rule, BurnAlert):
            assert slo is not None
            extra = {
                **slo.labels,
                "slo": slo.name,
                "long_window": format_duration(rule.long_seconds),
                "short_window": format_duration(rule.short_seconds),
            }
            annotations = {
                "summary": "{slo} is burning its error budget {value:.1f}× faster than sustainable "
                "(threshold {threshold:g}× over {long_window} and {short_window})",
                **slo.annotations,
            }
        else:
            extra, annotations = dict(rule.labels), rule.annotations
        labels = {**state.labels, **extra, "alertname": rule.name, "severity": rule.severity}
        context = {**labels, "value": state.last_value or 0.0, "threshold": threshold}
        return AlertTransition(
            fingerprint=fingerprint(rule.name, state.labels),
            rule=rule.name,
            status=status,
            severity=rule.severity,
            labels=labels,
            annotations={k: _render(v, context) for k, v in annotations.items()},
            value=state.last_value,
            threshold=threshold,
            starts_at=(state.firing_since if status == "firing" else firing_since) or at,
            ends_at=at if status == "resolved" else None,
            at=at,
            refresh=refresh,
        )

    def _expire(self) -> None:
        """Drop windows no rule range can reach any more (memory grows with series, not time)."""
        assert self.evaluated_until is not None
        horizon = self.evaluated_until - self.engine.retention
        for start in [s for s in self.windows if s < horizon]:
            del self.windows[start]


class RuleEngine:
    """All service shards a worker owns, and the counters its metrics report."""

    def __init__(self, pack: RulePack) -> None:
        check_pack(pack)
        self.pack = pack
        self.settings = pack.settings
        self.rules = pack.rules
        self.absence = pack.absence
        self.slos = pack.slos
        self.burn_alerts = {slo.name: slo.burn_alerts(self.settings.window_seconds) for slo in pack.slos}
        self.shards: dict[str, ServiceShard] = {}
        self.late_events = 0
        self.late_by_source: dict[str, int] = {}  #: topic family → late events dropped
        self.now: float | None = None  #: wall time of the latest tick
        self.retention = (
            max((r.window_seconds for r in self.rules), default=self.settings.window_seconds)
            + self.settings.window_seconds
        )
        self._touched: set[str] = set()
        #: looks up a shard's saved state when a service is first seen (set by the worker)
        self.restore: Callable[[str], ServiceShard | None] | None = None

    def shard(self, service: str) -> ServiceShard:
        shard = self.shards.get(service)
        if shard is None:
            restored = self.restore(service) if self.restore is not None else None
            shard = self.shards[service] = restored if restored is not None else ServiceShard(self)
        return shard

    def touched(self) -> list[str]:
        """Services whose state changed since the last `advance` (for checkpointing)."""
        return sorted(self._touched)

    def add(self, item: Partial | Watermark, position: int | None = None) -> bool:
        """Fold a partial into its window (False, and counted, when the window already closed).

        `position` is the item's offset in its partition of the partials topic;
        an item at or before the shard's last applied position is a replay
        after a restart and is skipped, so nothing is counted twice.
        """
        shard = self.shard(item.service)
        if position is not None:
            if shard.applied_position is not None and position <= shard.applied_position:
                return True
            shard.applied_position = position
        self._touched.add(item.service)
        if isinstance(item, Watermark):
            shard.observe(item.watermark)
            return True
        accepted = shard.add(item)
        if not accepted:
            self.late_events += item.aggregate.count
            source = item.series.source
            self.late_by_source[source] = self.late_by_source.get(source, 0) + item.aggregate.count
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

    def tick(self, now: float) -> list[AlertTransition]:
        """Judge the wall-clock rules (absence) at wall time `now`."""
        self.now = now
        transitions: list[AlertTransition] = []
        for service in sorted(self.shards):
            transitions.extend(self.shards[service].tick(now))
        return transitions

    def active_alerts(self) -> list[AlertTransition]:
        """Every alert firing now, as it was last sent."""
        return [alert for service in sorted(self.shards) for _, alert in sorted(self.shards[service].firing.items())]

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
    except (KeyError, ValueError, IndexError, AttributeError, TypeError):
        return template
