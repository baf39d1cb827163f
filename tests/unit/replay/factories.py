"""Records and packs for replay tests: synthetic metric traffic with a latency fault, packs from text."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from correlator.config import load_packs
from correlator.pack import RulePack
from correlator.replay import Replayer, ReplayRecord
from vigil.replay import live_replayer

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z

LATENCY_PACK = """
settings: {window: 10s, allowed_lateness: 5s}
rules:
  - name: ApiLatencyP95High
    source: metrics
    metric: http_request_duration_seconds
    match: ['service="advisor-api"']
    aggregation: p95
    op: ">"
    threshold: THRESHOLD
    window: 30s
    for: 20s
    severity: high
    annotations: {summary: "{service} P95 latency {value:.3f}s exceeds {threshold}s"}
correlation:
  group_by: [service]
  resolve_timeout: 1m
  topology: {advisor-api: [postgres]}
receivers:
  - {name: console, kind: console}
  - {name: ops-hook, kind: webhook, url: "http://127.0.0.1:9/hook", secret: "a-secret-long-enough-for-hmac"}
escalation_policies:
  - name: ops
    repeat: 0
    levels:
      - {notify: [ops-hook], escalate_after: 1m}
      - {notify: [console, ops-hook], escalate_after: 1m}
route:
  receivers: [console]
  escalation: ops
  group_wait: 10s
  group_interval: 30s
  repeat_interval: 1h
"""


def pack_file(tmp_path: Path, *, threshold: float = 0.5, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(LATENCY_PACK.replace("THRESHOLD", repr(threshold)))
    return path


def load(path: Path) -> RulePack:
    return load_packs([path])


class Records:
    """Builds ReplayRecords with per-(family, partition) offsets, as Kafka would number them."""

    def __init__(self) -> None:
        self.offsets: dict[tuple[str, int], int] = {}

    def make(self, family: str, ts: float, value: Any, *, partition: int = 0, raw: bytes | None = None) -> ReplayRecord:
        slot = (family, partition)
        offset = self.offsets.get(slot, 0)
        self.offsets[slot] = offset + 1
        body = raw if raw is not None else orjson.dumps(value)
        return ReplayRecord(family, partition, offset, ts, b"advisor-api", body)


def latency_records(
    *,
    seconds: float = 600.0,
    per_second: int = 20,
    fault: tuple[float, float] = (120.0, 300.0),
    slow_p95: float = 1.5,
    faults: Sequence[tuple[float, float, float]] = (),
    seed: int = 1,
    start: float = T0,
    records: Records | None = None,
) -> list[ReplayRecord]:
    """advisor-api request latencies (fast ≈ 0.1 s) with a slow spell inside `fault` (offsets from start,
    P95 ≈ `slow_p95`), or several: `faults` of (start, end, P95)."""
    rng = random.Random(seed)
    records = records or Records()
    spells = list(faults) or [(fault[0], fault[1], slow_p95)]
    out = []
    sigma = 0.1
    for i in range(int(seconds * per_second)):
        offset = i / per_second
        p95 = next((p for begin, end, p in spells if begin <= offset < end), None)
        if p95 is not None:
            latency = rng.lognormvariate(math.log(p95 / math.exp(1.645 * sigma)), sigma)
        else:
            latency = rng.lognormvariate(math.log(0.1), 0.3)
        ts = start + offset
        event = {
            "ts": ts,
            "service": "advisor-api",
            "name": "http_request_duration_seconds",
            "value": round(latency, 6),
            "labels": {"route": rng.choice(["/v1/advice", "/v1/quotes"]), "status": "200"},
        }
        out.append(records.make("metrics", ts, event, partition=i % 2))
    return out


def replay(pack: RulePack, records: list[ReplayRecord], *, seconds: float = 600.0, **options: Any) -> Replayer:
    replayer = live_replayer(pack, from_ts=T0, to_ts=T0 + seconds, **options)
    replayer.run(records)
    return replayer


def merged(*streams: list[ReplayRecord]) -> list[ReplayRecord]:
    """Several record lists in the order the Kafka side merges partitions: time, then topic/partition/offset."""
    return sorted((r for stream in streams for r in stream), key=lambda r: r.order)
