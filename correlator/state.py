"""A service shard's state as plain JSON-able data, for the worker's changelog-backed table.

Everything the shard needs to carry on after a restart: open windows
(sketches in their compact wire form), alert states, the alerts as last
sent, SLO counters, absence bookkeeping, the watermark and the position of
the last partial applied (so partials replayed after a crash are skipped,
not counted twice). Derived values (rule values, SLO status) are
recomputed at the next evaluation.
"""

from __future__ import annotations

from typing import Any

from correlator.alerts import AlertPhase, AlertState, AlertTransition
from correlator.engine import RuleEngine, ServiceShard
from correlator.series import Aggregate, SeriesKey
from correlator.slo import SloCounter

__all__ = ["shard_from_wire", "shard_to_wire"]

_STATE_FIELDS = ("pending_since", "firing_since", "clear_since", "last_sent", "last_value")


def shard_to_wire(shard: ServiceShard) -> dict[str, Any]:
    return {
        "v": 1,
        "input_watermark": shard.input_watermark,
        "evaluated_until": shard.evaluated_until,
        "applied": shard.applied_position,
        "windows": [
            [start, [[series.to_wire(), agg.to_wire()] for series, agg in window.items()]]
            for start, window in shard.windows.items()
        ],
        "alerts": [
            [name, _pairs(group), {"phase": str(s.phase), **{f: getattr(s, f) for f in _STATE_FIELDS}}]
            for (name, group), s in shard.alerts.items()
        ],
        "firing": [[name, _pairs(group), _transition_to_wire(t)] for (name, group), t in shard.firing.items()],
        "slo_counters": [
            [name, _pairs(group), c.bucket_seconds, c.retention_seconds, [[k, *v] for k, v in c.buckets.items()]]
            for (name, group), c in shard.slo_counters.items()
        ],
        "last_seen": [[name, _pairs(group), seen] for (name, group), seen in shard.last_seen.items()],
    }


def shard_from_wire(engine: RuleEngine, wire: dict[str, Any]) -> ServiceShard:
    shard = ServiceShard(engine)
    shard.input_watermark = wire["input_watermark"]
    shard.evaluated_until = wire["evaluated_until"]
    shard.applied_position = wire["applied"]
    for start, entries in wire["windows"]:
        shard.windows[float(start)] = {SeriesKey.from_wire(s): Aggregate.from_wire(a) for s, a in entries}
    for name, group, fields in wire["alerts"]:
        state = AlertState(phase=AlertPhase(fields["phase"]), labels=dict(_group(group)))
        for f in _STATE_FIELDS:
            setattr(state, f, fields[f])
        shard.alerts[(name, _group(group))] = state
    for name, group, transition in wire["firing"]:
        shard.firing[(name, _group(group))] = AlertTransition(**transition)
    for name, group, bucket_seconds, retention, buckets in wire["slo_counters"]:
        counter = SloCounter(bucket_seconds=bucket_seconds, retention_seconds=retention)
        counter.buckets = {float(k): [g, t] for k, g, t in buckets}
        shard.slo_counters[(name, _group(group))] = counter
    for name, group, seen in wire["last_seen"]:
        shard.last_seen[(name, _group(group))] = seen
    return shard


def _pairs(group: tuple[tuple[str, str], ...]) -> list[list[str]]:
    return [list(p) for p in group]


def _group(pairs: list[list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in pairs)


def _transition_to_wire(t: AlertTransition) -> dict[str, Any]:
    wire = {f: getattr(t, f) for f in t.__dataclass_fields__}
    wire["labels"], wire["annotations"] = dict(t.labels), dict(t.annotations)
    return wire
