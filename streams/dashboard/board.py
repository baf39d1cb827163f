"""The SLA board: what the dashboard's tiles show, read from the rule engine.

Pure: the engine (its shards' rule values, SLO standings and alert states),
the history and ``now`` come in, JSON-ready dicts go out.

- An **SLO tile** per SLO and group: ``value`` is the SLI over the shortest
  burn window (good events / all events: "now"), ``period_value`` over the
  whole period, ``objective``, ``budget_remaining`` and the burn rates.
  ``status`` is ``breached`` while a paging burn alert (critical or high)
  fires, ``burning`` while a ticket burn alert fires or the budget has been
  spent faster than sustainable over the slowest alert's short window (6 h
  for a 30-day SLO), else ``ok``. Not the shortest window: over 10 s a
  healthy 99 % SLI crosses 1x on noise alone, and a tile that flickers amber
  teaches people to ignore amber. An overspent budget shows in
  ``budget_remaining`` (below 0) and not in the colour, so a tile goes green
  again once the fault is over.
- A **rule tile** per threshold rule and group: its last value, threshold,
  comparison and ``status`` (``breached`` firing, ``burning`` pending).
- An SLO no service has reported on yet gets a tile with ``status``
  ``no_data``.
"""

from __future__ import annotations

from typing import Any

from correlator import RuleEngine
from correlator.alerts import AlertPhase
from correlator.durations import format_duration
from correlator.rules import Aggregation, ThresholdRule
from correlator.slo import Slo
from streams.dashboard.history import SeriesId, SliHistory

__all__ = ["read_engine", "series_info", "sla_board", "sparkline"]

GroupKey = tuple[tuple[str, str], ...]
_PAGING = ("critical", "high")
_SECONDS = {Aggregation.P50, Aggregation.P90, Aggregation.P95, Aggregation.P99, Aggregation.AVG}
_RATIOS = {Aggregation.RATIO, Aggregation.ERROR_RATIO}


def read_engine(engine: RuleEngine) -> dict[SeriesId, float]:
    """The value of every series now: threshold rules' last values, SLOs' compliance over the shortest window."""
    slos = {slo.name: slo for slo in engine.slos}
    out: dict[SeriesId, float] = {}
    for service, shard in engine.shards.items():
        for (rule, group), value in shard.rule_values.items():
            out[SeriesId("rule", rule, service, _rest(group))] = value
        for (name, group), status in shard.slo_status.items():
            slo = slos.get(name)
            if slo is not None:
                recent = _recent(engine, slo, status.burn_rates)
                if recent is not None:
                    out[SeriesId("slo", name, service, _rest(group))] = recent
    return out


def sla_board(engine: RuleEngine, history: SliHistory, now: float, *, spark_seconds: float = 3600.0) -> dict[str, Any]:
    """Every tile, SLOs first in pack order, then threshold rules; each with a sparkline of the last hour."""
    slo_tiles: list[dict[str, Any]] = []
    for slo in engine.slos:
        found = False
        for service in sorted(engine.shards):
            shard = engine.shards[service]
            for (name, group), status in sorted(shard.slo_status.items()):
                if name != slo.name:
                    continue
                found = True
                key = SeriesId("slo", name, service, _rest(group))
                tile = _slo_tile(engine, slo, key, group, status.budget_remaining, status.burn_rates)
                tile["spark"] = sparkline(history, key, now, spark_seconds)
                slo_tiles.append(tile)
        if not found:
            slo_tiles.append(_empty_slo_tile(engine, slo))
    rule_tiles: list[dict[str, Any]] = []
    rules = {rule.name: rule for rule in engine.rules}
    for rule in engine.rules:
        for service in sorted(engine.shards):
            shard = engine.shards[service]
            for (name, group), value in sorted(shard.rule_values.items()):
                if name != rule.name:
                    continue
                key = SeriesId("rule", name, service, _rest(group))
                state = shard.alerts.get((name, group))
                phase = state.phase if state is not None else AlertPhase.INACTIVE
                tile = {**_rule_info(rules[name]), "service": service, "group": key.group, "value": value}
                tile["status"] = {AlertPhase.FIRING: "breached", AlertPhase.PENDING: "burning"}.get(phase, "ok")
                tile["spark"] = sparkline(history, key, now, spark_seconds)
                rule_tiles.append(tile)
    return {"generated_at": now, "step": history.step, "slos": slo_tiles, "rules": rule_tiles}


def sparkline(history: SliHistory, key: SeriesId, now: float, seconds: float = 3600.0) -> list[list[float]]:
    """A tile's last hour, thinned to what a tile can draw."""
    return history.points(key, since=now - seconds, max_points=120)


def series_info(engine: RuleEngine, key: SeriesId) -> dict[str, Any] | None:
    """What a chart needs to know about a series besides its points: threshold, comparison, format."""
    if key.kind == "rule":
        rule = next((r for r in engine.rules if r.name == key.name), None)
        return None if rule is None else _rule_info(rule)
    slo = next((s for s in engine.slos if s.name == key.name), None)
    if slo is None:
        return None
    return {
        "kind": "slo",
        "name": slo.name,
        "threshold": slo.objective,
        "op": "<",
        "format": "percent",
        "window": _short_window(engine, slo),
    }


def _slo_tile(
    engine: RuleEngine,
    slo: Slo,
    key: SeriesId,
    group: GroupKey,
    budget: float | None,
    rates: Any,
) -> dict[str, Any]:
    shard = engine.shards[key.service]
    firing = []
    for alert in engine.burn_alerts[slo.name]:
        state = shard.alerts.get((alert.name, group))
        if state is not None and state.phase is AlertPhase.FIRING:
            firing.append({"name": alert.name, "severity": alert.severity, "factor": alert.factor})
    sustained_rate = rates.get(_sustained_window(engine, slo))
    if any(f["severity"] in _PAGING for f in firing):
        status = "breached"
    elif firing or (sustained_rate is not None and sustained_rate > 1.0):
        status = "burning"
    else:
        status = "ok"
    period_value = None if budget is None else max(0.0, 1.0 - (1.0 - budget) * slo.error_budget)
    return {
        "kind": "slo",
        "name": slo.name,
        "service": key.service,
        "group": key.group,
        "objective": slo.objective,
        "value": _recent(engine, slo, rates),
        "window": _short_window(engine, slo),
        "period_value": period_value,
        "period": format_duration(slo.period_seconds),
        "budget_remaining": budget,
        "burn_rates": dict(rates),
        "firing": firing,
        "status": status,
        "format": "percent",
    }


def _empty_slo_tile(engine: RuleEngine, slo: Slo) -> dict[str, Any]:
    return {
        "kind": "slo",
        "name": slo.name,
        "service": None,
        "group": "",
        "objective": slo.objective,
        "value": None,
        "window": _short_window(engine, slo),
        "period_value": None,
        "period": format_duration(slo.period_seconds),
        "budget_remaining": None,
        "burn_rates": {},
        "firing": [],
        "status": "no_data",
        "format": "percent",
        "spark": [],
    }


def _rule_info(rule: ThresholdRule) -> dict[str, Any]:
    if rule.aggregation in _SECONDS and rule.source != "logs":
        fmt = "seconds"
    elif rule.aggregation in _RATIOS:
        fmt = "percent"
    else:
        fmt = "number"
    return {
        "kind": "rule",
        "name": rule.name,
        "threshold": rule.threshold,
        "op": str(rule.comparison),
        "aggregation": str(rule.aggregation),
        "severity": rule.severity,
        "window": format_duration(rule.window_seconds),
        "format": fmt,
    }


def _short_window(engine: RuleEngine, slo: Slo) -> str:
    """The shortest burn window (the fastest alert's short one): the SLO's "now"."""
    return format_duration(min(a.short_seconds for a in engine.burn_alerts[slo.name]))


def _sustained_window(engine: RuleEngine, slo: Slo) -> str:
    """The slowest alert's short window: long enough to ignore noise, short enough to clear soon after a fault."""
    return format_duration(max(a.short_seconds for a in engine.burn_alerts[slo.name]))


def _recent(engine: RuleEngine, slo: Slo, rates: Any) -> float | None:
    rate = rates.get(_short_window(engine, slo))
    return None if rate is None else min(1.0, max(0.0, 1.0 - rate * slo.error_budget))


def _rest(group: GroupKey) -> str:
    return ",".join(f"{k}={v}" for k, v in group if k != "service")
