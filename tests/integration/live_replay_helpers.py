"""Helpers for test_live_equals_replay: the pack, real-time traffic, and incidents reduced to what must match.

The story (event time, B a multiple of the 10 s base window):

- postgres is slow over [B, B+20 s) and advisor-api over [B, B+30 s);
- `PostgresQueryP95High` (critical, `for: 0s`) fires at the evaluation of
  the window ending B+10 and opens the incident (group `service=postgres`);
- `ApiLatencyP95High` (high, `for: 10s`) is pending at B+10 and fires at
  B+20; advisor-api depends on postgres, so it joins with root cause postgres;
- postgres resolves at B+30 (severity critical → high), advisor-api at B+40;
- no alert fires for `resolve_timeout` (10 s): the incident resolves by itself.

Every transition falls on its own evaluation, so the order of the incident
events does not depend on which of two shards the live evaluate agent
happened to advance first.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord

from schemas import IncidentEvent, Notification

WINDOW = 10.0  #: the pack's base window: one evaluation tick
API, DB = "advisor-api", "postgres"
API_FAULT = (0.0, 30.0)  #: seconds after B during which advisor-api is slow
DB_FAULT = (0.0, 20.0)  #: ... and postgres
RATE = 5.0  #: samples per second per service

PACK = """
settings:
  window: 10s
  allowed_lateness: 5s

rules:
  - name: PostgresQueryP95High
    source: metrics
    metric: db_query_duration_seconds
    match: ['service="postgres"']
    aggregation: p95
    op: ">"
    threshold: 0.25
    window: 10s
    for: 0s
    severity: critical
    labels: {team: data}
    annotations:
      summary: "{service} query P95 {value:.3f}s exceeds {threshold}s"

  - name: ApiLatencyP95High
    source: metrics
    metric: http_request_duration_seconds
    match: ['service="advisor-api"']
    aggregation: p95
    op: ">"
    threshold: 0.5
    window: 10s
    for: 10s
    severity: high
    labels: {team: api}
    annotations:
      summary: "{service} P95 latency {value:.3f}s exceeds {threshold}s"

correlation:
  group_by: [service]
  correlation_window: 1m
  resolve_timeout: 10s
  reopen_window: 5m
  topology:
    advisor-api: [postgres]

receivers:
  - name: console
    kind: console

route:
  receivers: [console]
  group_wait: 0s
  group_interval: 1s               # every update told on its own (they come ~10 s apart), not batched
  repeat_interval: 1h
"""


@dataclass
class Traffic:
    """Metric samples produced in real time: each stamped with the wall clock as it is sent.

    `fault_base` (B) is None until the test sets it; before that, and
    outside the fault intervals, latencies are healthy.
    """

    producer: AIOKafkaProducer
    topic: str
    seed: int = 6
    fault_base: float | None = None
    first_ts: float | None = None
    last_ts: float | None = None
    sent: int = 0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def sample(self, rng: random.Random, service: str, ts: float) -> dict[str, Any]:
        slow = False
        if self.fault_base is not None:
            start, end = API_FAULT if service == API else DB_FAULT
            slow = self.fault_base + start <= ts < self.fault_base + end
        if service == API:
            value = rng.lognormvariate(math.log(1.2), 0.15) if slow else rng.lognormvariate(math.log(0.08), 0.3)
            return {"ts": ts, "service": API, "name": "http_request_duration_seconds", "value": value,
                    "labels": {"route": rng.choice(["/v1/advice", "/v1/quotes"]), "status": "200"}}  # fmt: skip
        value = rng.lognormvariate(math.log(0.8), 0.15) if slow else rng.lognormvariate(math.log(0.02), 0.3)
        return {
            "ts": ts,
            "service": DB,
            "name": "db_query_duration_seconds",
            "value": value,
            "labels": {"op": "select"},
        }

    async def run(self) -> None:
        """One sample per service every 1/RATE s until `stop` is set; the record time is the event time."""
        rng = random.Random(self.seed)
        step = 1.0 / RATE
        next_at = time.time()
        while not self.stop.is_set():
            for service in (DB, API):
                ts = round(time.time(), 3)
                value = orjson.dumps(self.sample(rng, service, ts))
                await self.producer.send(
                    self.topic, value=value, key=service.encode(), timestamp_ms=int(round(ts * 1000))
                )
                self.sent += 1
                if self.first_ts is None:
                    self.first_ts = ts
                self.last_ts = ts
            next_at += step
            await asyncio.sleep(max(0.0, next_at - time.time()))
        await self.producer.flush()


# -- incidents reduced to what live and replay must share ----------------------------------------------------------

_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def live_incidents(events: list[IncidentEvent]) -> dict[str, dict[str, Any]]:
    """By group key, from the live `incidents` topic: each incident's last snapshot plus what its events show."""
    by_id: dict[str, list[IncidentEvent]] = {}
    for event in events:
        by_id.setdefault(event.incident_id, []).append(event)
    out = {}
    for incident_events in by_id.values():
        out[incident_events[-1].incident.group_key] = _summary(incident_events)
    return out


def replay_incidents(report: dict[str, Any], published: list[IncidentEvent]) -> dict[str, dict[str, Any]]:
    """By group key, from the replay: its published events (the same records the live agent writes), each
    incident cross-checked with its entry in report.json, which must say the same thing."""
    live_like = live_incidents(published)
    reported = {i["group_key"]: i for i in report["runs"]["current"]["incidents"]}
    for key, summary in live_like.items():
        entry = reported.get(key)
        summary["report"] = None if entry is None else _report_view(entry)
    for key in reported.keys() - live_like.keys():
        live_like[key] = {"report": _report_view(reported[key]), "missing_from_published_events": True}
    return live_like


def _summary(events: list[IncidentEvent]) -> dict[str, Any]:
    last = events[-1].incident
    return {
        "title": last.title,
        "status": str(last.status),
        "services": sorted(last.services),
        "root_cause": last.root_cause,
        "domain": last.domain,
        "severity": str(last.severity),
        "max_severity": max((str(e.incident.severity) for e in events), key=_RANK.__getitem__),
        "alerts": sorted(
            (d.alertname, d.labels.get("service"), str(d.severity), str(d.status), d.first_seen, d.ends_at)
            for d in last.alert_details
        ),
        "events": [str(e.event) for e in events],
        "reasons": list(last.reasons),
        "detected_at": last.detected_at,
        "opened_at": last.opened_at,
        "resolved_at": last.resolved_at,
        "id": last.id,
    }


def _report_view(entry: dict[str, Any]) -> dict[str, Any]:
    """The same fields as `_summary`, as report.json states them."""
    return {
        "title": entry["title"],
        "status": entry["status"],
        "services": sorted(entry["services"]),
        "root_cause": entry["root_cause"],
        "domain": entry["domain"],
        "severity": entry["severity"],
        "alerts": sorted(
            (a["alertname"], a["service"], a["severity"], a["status"], a["first_seen"], a["ends_at"])
            for a in entry["alerts"]
        ),
        "events": [e["kind"] for e in entry["timeline"]],
        "reasons": list(entry["reasons"]),
        "detected_at": entry["detected_at"],
        "opened_at": entry["opened_at"],
        "resolved_at": entry["resolved_at"],
        "id": entry["id"],
    }


#: Fields that must be equal exactly. The alerts' `first_seen` and `ends_at` are event times (window ends), as is
#: `detected_at`: both sides evaluate the same windows over the same samples, so these are equal to the bit.
EXACT = ("title", "status", "services", "root_cause", "domain", "severity", "max_severity", "alerts", "events",
         "reasons", "detected_at")  # fmt: skip
#: Fields that are the processing time of a decision: the Kafka record time of the alert (live) or the simulated
#: 1 s step (replay) at which the window's evaluation was seen; within one evaluation tick of each other.
TIMED = ("opened_at", "resolved_at")


def compare(live: dict[str, dict[str, Any]], replay: dict[str, dict[str, Any]], tolerance: float) -> list[str]:
    """Every difference between the two sides, one line each; [] when they match."""
    problems = []
    for key in sorted(live.keys() - replay.keys()):
        problems.append(f"group {key}: only live opened an incident ({live[key]['id']})")
    for key in sorted(replay.keys() - live.keys()):
        problems.append(f"group {key}: only the replay opened an incident ({replay[key].get('id')})")
    for key in sorted(live.keys() & replay.keys()):
        a, b = live[key], replay[key]
        if b.get("missing_from_published_events"):
            problems.append(f"group {key}: in report.json but not among the replay's published events")
            continue
        for name in EXACT:
            if a[name] != b[name]:
                problems.append(f"group {key}: {name} differs: live {a[name]!r} != replay {b[name]!r}")
        for name in TIMED:
            if (a[name] is None) != (b[name] is None):
                problems.append(f"group {key}: {name}: live {a[name]!r}, replay {b[name]!r}")
            elif a[name] is not None and abs(a[name] - b[name]) >= tolerance:
                problems.append(
                    f"group {key}: {name} live {a[name]:.3f} vs replay {b[name]:.3f}: "
                    f"{a[name] - b[name]:+.3f}s, not within {tolerance:g}s"
                )
        report = b.get("report")
        if report is None:
            problems.append(f"group {key}: the replay published it but report.json does not list it")
            continue
        for name, value in report.items():
            if name in b and value != b[name]:
                problems.append(f"group {key}: report.json {name} {value!r} != published {b[name]!r}")
    return problems


def deltas(live: dict[str, dict[str, Any]], replay: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """live − replay of the timed fields, per group, for the test's output."""
    out: dict[str, dict[str, float | None]] = {}
    for key in sorted(live.keys() & replay.keys()):
        out[key] = {}
        for name in TIMED:
            a, b = live[key].get(name), replay[key].get(name)
            out[key][name] = round(a - b, 3) if a is not None and b is not None else None
    return out


def compare_notifications(
    live: list[Notification], replay: list[dict[str, Any]], tolerance: float
) -> tuple[list[tuple[str, str, str, float]], list[str]]:
    """The live notifications as (receiver, event, reason, live - replay seconds), and how they differ from the
    replay's dry run: the same messages in the same order, each decided within `tolerance` of the other."""
    a = sorted(live, key=lambda n: (n.ts, n.key))
    b = sorted(replay, key=lambda n: (n["ts"], n["key"]))
    told_a = [(n.receiver, str(n.event), n.reason) for n in a]
    told_b = [(n["receiver"], n["event"], n["reason"]) for n in b]
    if told_a != told_b:
        return [], [f"notifications differ: live {told_a} != replay {told_b}"]
    shown = [(*told, round(n.ts - m["ts"], 3)) for told, n, m in zip(told_a, a, b, strict=True)]
    problems = [f"notification {s[:3]} decided {s[3]:+.3f}s from the replay's" for s in shown if abs(s[3]) >= tolerance]
    return shown, problems


async def read_all(bootstrap: str, topic: str, *, timeout: float = 30.0) -> list[ConsumerRecord]:
    """Every committed record of `topic` up to its end offsets when called (no consumer group)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout
        while not consumer.assignment():  # without a group, every partition once the metadata is in
            if time.monotonic() > deadline:
                raise TimeoutError(f"no partitions of {topic} after {timeout}s")
            await asyncio.sleep(0.1)
        tps = sorted(consumer.assignment())
        ends = await consumer.end_offsets(tps)
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic}: read {len(records)} records, not up to {ends}")
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records
