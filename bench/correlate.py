"""Correlation throughput and latency: alerts in, incident events out, on a real worker.

    .venv/bin/python bench/correlate.py [--alerts 20000] [--rate 50] [--seconds 10] [--bootstrap HOST:PORT]

One broker (a LocalKafka unless --bootstrap), one real `vigil run` worker
subprocess with its own topic prefix and a pack holding only a
`correlation:` section (group_by service, a small topology), so nothing but
the correlate agent does work. Three phases:

throughput   N alerts (default 20 000) produced all at once to `alerts`,
             keyed by correlation domain: 200 distinct alerts (40 services
             x 5 rules) fire, then refresh round after round, with about 5 %
             exact duplicates and about 5 % firing -> resolved -> firing
             again per round, and finally all resolve. Refreshes and
             duplicates change nothing visible; opens, joins, re-fires and
             resolves each publish one incident event. Rate = alerts divided
             by the time from the first to the last incident event seen on
             `incidents` (the last alerts are resolves, so the last event
             marks the end of the work).
latency      new fingerprints, one at a time at --rate per second for
             --seconds, over 20 services of their own (each alert opens or
             joins an incident, so each publishes an event). Latency = wall
             time from the produce ack of the alert to the arrival of the
             first incident event whose `incident.alerts` holds its
             fingerprint; p50/p95/p99/max in ms.
baseline     the same schedule and measurement through the broker alone:
             produce to a scratch topic, consume it back in this process.
             The difference is what correlation adds over Kafka's own round
             trip.

Prints ONE JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord
from harness import PARTITIONS, Tail, broker, broker_latency, collect, latency_report, paced, say, work_dir
from harness import start_worker as start_vigil

from correlator.alerts import fingerprint
from correlator.incidents.topology import Topology
from schemas import Alert, IncidentEvent, decode, encode
from streams.settings import Topics
from streams.topics import ensure_topics
from vigil.children import stop_child

REPO = Path(__file__).resolve().parent.parent

# A small map: two connected domains, the rest of the services stand alone.
DEPENDS_ON = {
    "web-api": ["orders-api", "search-api"],
    "orders-api": ["payments-api", "postgres"],
    "payments-api": ["postgres"],
    "search-api": ["elasticsearch"],
    "mobile-bff": ["auth-service", "profile-api"],
    "profile-api": ["redis"],
    "auth-service": ["redis"],
}
PACK = """\
correlation:
  group_by: [service]
  correlation_window: 5m
  resolve_timeout: 5m
  reopen_window: 30m
  topology:
{topology}
"""
RULES = ("HighErrorRatio", "HighLatencyP95", "SaturationHigh", "PodRestarting", "QueueBacklog")
SEVERITIES = ("critical", "high", "medium", "low", "high")


def pack_text() -> str:
    lines = [f"    {svc}: [{', '.join(ups)}]" for svc, ups in DEPENDS_ON.items()]
    return PACK.format(topology="\n".join(lines))


TOPOLOGY = Topology({k: tuple(v) for k, v in DEPENDS_ON.items()})


def burst_services() -> list[str]:
    named = sorted({s for k, v in DEPENDS_ON.items() for s in (k, *v)})
    return named + [f"svc-{i:02d}" for i in range(40 - len(named))]


def make_alert(
    rule: str, severity: str, service: str, status: str, starts_at: float, event_ts: float, **extra: str
) -> Alert:
    labels = {"alertname": rule, "service": service, **extra}
    return Alert(
        fingerprint=fingerprint(rule, labels),
        rule=rule,
        status=status,
        severity=severity,
        labels=labels,
        annotations={"summary": f"{rule} on {service}"},
        value=1.0,
        threshold=0.5,
        starts_at=starts_at,
        ends_at=event_ts if status == "resolved" else None,
        event_ts=event_ts,
        emitted_at=time.time(),
    )


def make_storm(n: int, seed: int = 7) -> tuple[list[tuple[bytes, bytes]], dict[str, int]]:
    """(key = domain, value = Alert JSON) records and counts per kind."""
    rng = random.Random(seed)
    base = time.time() - 120.0
    distinct = [(r, sev, svc) for svc in burst_services() for r, sev in zip(RULES, SEVERITIES, strict=True)]
    starts = {d: base + rng.uniform(0, 30) for d in distinct}
    kinds = {"fire": 0, "refresh": 0, "duplicate": 0, "resolve": 0, "refire": 0, "final_resolve": 0}
    out: list[tuple[bytes, bytes]] = []

    def emit(d: tuple[str, str, str], status: str, event_ts: float, kind: str) -> bytes:
        raw = encode(make_alert(d[0], d[1], d[2], status, starts[d], event_ts))
        out.append((TOPOLOGY.domain(d[2]).encode(), raw))
        kinds[kind] += 1
        return raw

    for d in distinct:
        emit(d, "firing", starts[d], "fire")
    middle = n - 2 * len(distinct)
    ts = base + 30.0
    while len(out) < len(distinct) + middle:
        ts += 1.0
        order = distinct[:]
        rng.shuffle(order)
        for d in order:
            room = len(distinct) + middle - len(out)
            if room <= 0:
                break
            u = rng.random()
            if u < 0.05 and room >= 2:  # firing -> resolved -> firing again (a new episode)
                emit(d, "resolved", ts, "resolve")
                starts[d] = ts + 0.5
                emit(d, "firing", ts + 0.5, "refire")
            elif u < 0.10:  # the same record twice (a retried send)
                raw = emit(d, "firing", ts, "refresh")
                out.append((TOPOLOGY.domain(d[2]).encode(), raw))
                kinds["duplicate"] += 1
            else:
                emit(d, "firing", ts, "refresh")
    del out[len(distinct) + middle :]
    for d in distinct:
        emit(d, "resolved", ts + 2.0, "final_resolve")
    return out, kinds


# ------------------------------------------------------------------ worker


def start_worker(bootstrap: str, prefix: str, app_id: str, work: Path) -> tuple[subprocess.Popen[bytes], Path]:
    pack = work / "correlation-only.yaml"
    pack.write_text(pack_text())
    return start_vigil(bootstrap, prefix, app_id, work, pack=pack)


# ------------------------------------------------------------------ phases


async def throughput(
    producer: AIOKafkaProducer, tail: Tail, alerts_topic: str, records: list[tuple[bytes, bytes]], idle_s: float
) -> dict[str, Any]:
    arrivals: list[float] = []
    kinds: dict[str, int] = {}

    def on_event(record: ConsumerRecord, at: float) -> None:
        arrivals.append(at)
        kind = str(decode(IncidentEvent, record.value).event)
        kinds[kind] = kinds.get(kind, 0) + 1

    tail.handlers.append(on_event)
    started = time.perf_counter()
    futures = [await producer.send(alerts_topic, key=k, value=v) for k, v in records]
    await asyncio.gather(*futures)
    produced = time.perf_counter()
    say(f"burst of {len(records)} alerts produced in {produced - started:.2f}s; waiting for incident events")
    last_n, last_change = 0, time.perf_counter()
    while time.perf_counter() - last_change < idle_s:
        await asyncio.sleep(0.25)
        if len(arrivals) != last_n:
            last_n, last_change = len(arrivals), time.perf_counter()
    tail.handlers.remove(on_event)
    if len(arrivals) < 2:
        return {"incident_events": len(arrivals), "alerts_per_s": None}
    first, last = arrivals[0], arrivals[-1]
    return {
        "alerts": len(records),
        "incident_events": len(arrivals),
        "incident_events_by_kind": dict(sorted(kinds.items())),
        "produce_seconds": round(produced - started, 3),
        "first_to_last_event_s": round(last - first, 3),
        "alerts_per_s": round(len(records) / (last - first)),
        "produce_start_to_last_event_s": round(last - started, 3),
        "alerts_per_s_incl_produce": round(len(records) / (last - started)),
    }


async def correlation_latency(
    producer: AIOKafkaProducer, tail: Tail, alerts_topic: str, count: int, rate: float, tag: str
) -> dict[str, Any]:
    now = time.time()
    items = []
    for i in range(count):
        service = f"lat-{tag}-{i % 20:02d}"
        alert = make_alert("LatencyProbe", "medium", service, "firing", now, now, probe=str(i))
        items.append((alert.fingerprint, TOPOLOGY.domain(service).encode(), encode(alert)))
    waiting: dict[str, Any] = {}
    arrived: dict[str, float] = {}

    def on_event(record: ConsumerRecord, at: float) -> None:
        for fp in decode(IncidentEvent, record.value).incident.alerts:
            if fp in waiting and fp not in arrived:
                arrived[fp] = at

    tail.handlers.append(on_event)
    sent, acked = await paced(producer, alerts_topic, items, rate, waiting)
    await collect(waiting, arrived, 30)
    tail.handlers.remove(on_event)
    return latency_report(sent, acked, arrived)


async def round_trip_latency(
    bootstrap: str, producer: AIOKafkaProducer, topic: str, count: int, rate: float
) -> dict[str, Any]:
    # Same record size and keys as the correlation phase, so only the worker's work differs.
    now = time.time()
    items = []
    for i in range(count):
        service = f"raw-{i % 20:02d}"
        body = json.loads(encode(make_alert("LatencyProbe", "medium", service, "firing", now, now, probe=str(i))))
        body["id"] = f"r{i}"
        items.append((f"r{i}", service.encode(), json.dumps(body).encode()))
    return await broker_latency(bootstrap, producer, topic, items, rate, lambda key, value: json.loads(value)["id"])


async def warm_up(producer: AIOKafkaProducer, tail: Tail, alerts_topic: str, timeout: float) -> float:
    """One alert until its incident event shows: the agent is assigned and running."""
    got = asyncio.Event()
    started = time.perf_counter()
    now = time.time()
    alert = make_alert("WarmUp", "low", "warm-up", "firing", now, now)

    def on_event(record: ConsumerRecord, at: float) -> None:
        if alert.fingerprint in decode(IncidentEvent, record.value).incident.alerts:
            got.set()

    tail.handlers.append(on_event)
    try:
        while not got.is_set():
            if time.perf_counter() - started > timeout:
                raise TimeoutError("no incident event for the warm-up alert")
            await producer.send_and_wait(alerts_topic, key=b"warm-up", value=encode(alert))
            try:
                await asyncio.wait_for(got.wait(), 5)
            except TimeoutError:
                say("warm-up: no incident event yet, sending again")
    finally:
        tail.handlers.remove(on_event)
    return round(time.perf_counter() - started, 2)


# ------------------------------------------------------------------ main


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    prefix = f"benchc-{tag}-"
    topics = Topics(prefix=prefix)
    raw_topic = f"{prefix}bench-roundtrip"
    await ensure_topics(bootstrap, [*topics.all(), raw_topic], partitions=PARTITIONS)
    records, storm = make_storm(args.alerts)
    say(f"storm: {len(records)} alerts {storm}")
    count = int(args.rate * args.seconds)

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
    await producer.start()
    try:
        say("baseline: broker round trip")
        baseline = await round_trip_latency(bootstrap, producer, raw_topic, count, args.rate)
        say(f"baseline p99 {baseline.get('p99_ms')} ms")

        say("starting worker")
        proc, log = start_worker(bootstrap, prefix, f"vigil-benchc-{tag}", work)
        tail = Tail(bootstrap, topics.incidents)
        try:
            await tail.start()
            warm = await warm_up(producer, tail, topics.alerts, 120)
            say(f"worker warm after {warm}s")
            say("latency: correlation")
            lat = await correlation_latency(producer, tail, topics.alerts, count, args.rate, "a")
            say(f"correlation p99 {lat.get('p99_ms')} ms")
            say("throughput: burst")
            burst = await throughput(producer, tail, topics.alerts, records, args.idle)
            say(f"throughput {burst.get('alerts_per_s')} alerts/s, {burst.get('incident_events')} incident events")
        finally:
            await tail.stop()
            say("stopping worker")
            stop_child(proc)
    finally:
        await producer.stop()

    added = {
        k: round(lat[k] - baseline[k], 2)
        for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")
        if k in lat and k in baseline
    }
    return {
        "bench": "correlate",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "partitions": PARTITIONS,
        "storm": {"alerts": len(records), "distinct_alerts": 200, "services": 40, **storm},
        "throughput": burst,
        "latency": {
            "rate_per_s": args.rate,
            "seconds": args.seconds,
            "correlation": lat,
            "broker_round_trip": baseline,
            "correlation_adds_ms": added,
        },
        "worker_log": str(log) if args.keep else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=50.0, help="alerts per second in the latency phases")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each latency phase")
    parser.add_argument("--idle", type=float, default=10.0, help="burst is over after this long without an event")
    parser.add_argument("--bootstrap", help="use this cluster instead of starting a LocalKafka")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (worker log)")
    args = parser.parse_args()

    with work_dir("vigil-bench-correlate-", keep=args.keep) as work, broker(args.bootstrap, work) as bootstrap:
        result = asyncio.run(run(args, bootstrap, work))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
