"""Ingest throughput: raw aiokafka vs Vigil's ingest path vs a plain Faust agent.

    .venv/bin/python bench/ingest.py [--events 200000] [--bootstrap HOST:PORT] [--profile FILE]

One run, one broker, one topic produced once up front, read in full by
every measured phase:

raw_aiokafka   assign + seek_to_beginning + getmany + orjson.loads per value:
               the ceiling for a Python consumer on this machine.
vigil_ingest   Vigil's real ingest path, measured twice:
               * in process: the real `streams.ingest.IngestLoop` (consumer
                 group, schemas decode, sample_of, PartialFolder, one Kafka
                 transaction per flush with send_offsets_to_transaction) in a
                 bare asyncio loop -> "ingest alone";
               * the real worker (`vigil run` subprocess: ingest loop + the
                 Faust `evaluate` agent feeding correlator.RuleEngine + web),
                 polled over /metrics and /health -> ingest inside the worker,
                 and end to end: until the engine watermark reaches the last
                 event's time minus the allowed lateness.
faust_agent    the design alternative: a Faust agent with stream.take(10000,
               within=1) doing the same per-event work (bench/faust_agent.py,
               own process, own app id).

Rate definition, the same for every phase: events after the first batch
divided by the time from the end of the first batch to the end of the
last one, so connection setup, group joins and the first fetch are not
counted. (Worker phases: the first / final poll that sees the counter move.)

Prints ONE JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import logging
import os
import platform
import pstats
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from harness import (
    PARTITIONS,
    broker,
    cpu_seconds,
    launch_worker,
    load_avg,
    log_tail,
    package_versions,
    ratio,
    say,
    send_batches,
    work_dir,
)

from correlator import (
    EvaluationSettings,
    Partial,
    PartialFolder,
    RuleEngine,
    RulePack,
    default_rules,
    from_wire,
    sample_of,
)
from schemas import MetricSample, decode
from streams.ingest import IngestLoop
from streams.metrics import WorkerMetrics
from streams.settings import Settings, Topics
from streams.topics import ensure_topics
from vigil.broker import KAFKA_VERSION
from vigil.children import die_with_parent, stop_child
from vigil.scrape import metric_total

REPO = Path(__file__).resolve().parent.parent
BASE_TS = 1_767_225_600.0  # 2026-01-01T00:00:00Z; event time is synthetic, only its spread matters
PACKAGES = ("aiokafka", "faust-streaming", "orjson", "msgspec", "ddsketch")
MAX_RECORDS = 20_000  # same getmany batch cap as streams.ingest

SERVICES = [
    "advisor-api",
    "portfolio-api",
    "accounts-api",
    "payments-api",
    "compliance-api",
    "kyc-service",
    "documents-api",
    "notifications",
    "whatsapp-gateway",
    "sms-gateway",
    "auth-service",
    "profile-api",
    "market-data",
    "pricing-engine",
    "risk-engine",
    "reporting-api",
    "search-api",
    "audit-log",
    "scheduler",
    "webhooks",
]
ROUTES = [("/v1/advice", "GET"), ("/v1/portfolio", "GET"), ("/v1/orders", "POST"), ("/v1/profile", "PUT")]
STATUSES = (("200", 0.955), ("404", 0.035), ("500", 0.010))


# ------------------------------------------------------------------ data


@dataclass
class Dataset:
    records: list[tuple[bytes, bytes]]  # (key = service, value = MetricSample JSON)
    last_ts: float
    span_s: float
    series: int

    @property
    def value_bytes(self) -> int:
        return sum(len(v) for _, v in self.records)


def make_events(n: int, span_s: float = 600.0, seed: int = 7) -> Dataset:
    """Realistic MetricSamples: 20 services x 4 routes x 3 statuses over `span_s` of event time.

    Latencies are log-normal per route; advisor-api gets slow (P95 ~ 0.9 s) in
    minutes 4-6 and payments-api throws 5 % 500s in minutes 7-8, so the
    default rules have something to fire on. Event time increases through
    the topic with +-0.5 s jitter, as from producers with slightly skewed clocks.
    """
    rng = random.Random(seed)
    route_base = [0.045, 0.080, 0.150, 0.060]
    p200, p404 = STATUSES[0][1], STATUSES[0][1] + STATUSES[1][1]
    records: list[tuple[bytes, bytes]] = []
    series: set[tuple[str, int, str]] = set()
    last_ts = 0.0
    keys = {s: s.encode() for s in SERVICES}
    for i in range(n):
        t = i * span_s / n
        ts = round(BASE_TS + t + rng.uniform(-0.5, 0.5), 3)
        service = SERVICES[rng.randrange(len(SERVICES))]
        r = rng.randrange(len(ROUTES))
        route, method = ROUTES[r]
        value = route_base[r] * rng.lognormvariate(0.0, 0.45)
        u = rng.random()
        status = "200" if u < p200 else "404" if u < p404 else "500"
        if service == "advisor-api" and 240 <= t < 360:
            value *= 8.0
        if service == "payments-api" and 420 <= t < 480 and rng.random() < 0.05:
            status = "500"
        event = {
            "v": 1,
            "ts": ts,
            "service": service,
            "name": "http_request_duration_seconds",
            "value": round(value, 6),
            "labels": {"route": route, "method": method, "status": status},
        }
        records.append((keys[service], orjson.dumps(event)))
        series.add((service, r, status))
        last_ts = max(last_ts, ts)
    return Dataset(records, last_ts, span_s, len(series))


async def produce(bootstrap: str, topic: str, data: Dataset) -> dict[str, Any]:
    """Write the data set once, fast: pre-built batches, one sender per partition."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=512 * 1024, max_request_size=2 * 1024 * 1024
    )
    await producer.start()
    try:
        partitions = sorted(await producer.partitions_for(topic))
        partitioner = DefaultPartitioner()
        part_of: dict[bytes, int] = {}
        by_partition: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
        for key, value in data.records:
            p = part_of.get(key)
            if p is None:
                p = part_of[key] = partitioner(key, partitions, partitions)
            by_partition[p].append((key, value))

        started = time.perf_counter()
        await asyncio.gather(
            *(send_batches(producer, topic, p, ((k, v, None) for k, v in recs)) for p, recs in by_partition.items())
        )
        seconds = time.perf_counter() - started
    finally:
        await producer.stop()
    return {
        "seconds": round(seconds, 3),
        "events_per_s": round(len(data.records) / seconds),
        "partition_counts": {str(p): len(by_partition.get(p, [])) for p in partitions},
        # Event time every partition has reached at the end: the low watermark the worker converges to.
        "low_watermark_at_end": min(max(orjson.loads(v)["ts"] for _, v in recs) for recs in by_partition.values()),
    }


# ------------------------------------------------------------------ timing


class Clock:
    """First-batch / last-batch bookkeeping shared by the in-process phases."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.count = 0
        self.first: float | None = None
        self.n_first = 0
        self.last: float | None = None
        self.cpu_first = self.cpu_last = 0.0
        self.batches = 0
        self.done = asyncio.Event()

    def tick(self, n: int) -> None:
        if not n:
            return
        now, cpu = time.perf_counter(), time.process_time()
        self.count += n
        self.batches += 1
        if self.first is None:
            self.first, self.n_first, self.cpu_first = now, n, cpu
        self.last, self.cpu_last = now, cpu
        if self.count >= self.total:
            self.done.set()

    def result(self) -> dict[str, Any]:
        cpu = self.cpu_last - self.cpu_first
        return rate(self.count, self.n_first, self.first, self.last, cpu) | {"batches": self.batches}


def rate(
    count: int, n_first: int, first: float | None, last: float | None, cpu_s: float | None = None
) -> dict[str, Any]:
    """events/s over wall time, and over the CPU time the consumer's process spent meanwhile."""
    if first is None or last is None or last <= first:
        return {"events_per_s": None, "seconds": None, "events_counted": count}
    seconds = last - first
    out = {"events_per_s": round((count - n_first) / seconds), "seconds": round(seconds, 3), "events_counted": count}
    if cpu_s:
        out["cpu_seconds"] = round(cpu_s, 3)
        out["events_per_cpu_s"] = round((count - n_first) / cpu_s)
    return out


# ------------------------------------------------------------------ phase 1: raw aiokafka


async def raw_aiokafka(bootstrap: str, topic: str, n: int, timeout: float) -> dict[str, Any]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    clock = Clock(n)
    loads = orjson.loads
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or range(PARTITIONS))]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout
        while clock.count < n and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=MAX_RECORDS)
            for records in batches.values():
                for record in records:
                    loads(record.value)
                clock.tick(len(records))
    finally:
        await consumer.stop()
    return clock.result()


# ------------------------------------------------------------------ phase 2a: IngestLoop in process


@dataclass(frozen=True, slots=True)
class _SideOutputs(Topics):
    """Same source topics, but partials/dead letters go to topics the worker phase does not read."""

    side: str = "inproc-"

    @property
    def partials(self) -> str:
        return f"{self.prefix}{self.side}vigil-partials"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}{self.side}deadletter"


async def vigil_in_process(
    bootstrap: str, prefix: str, app_id: str, n: int, timeout: float, profile: cProfile.Profile | None = None
) -> dict[str, Any]:
    topics = _SideOutputs(prefix=prefix, side=f"{app_id}-")
    await ensure_topics(bootstrap, topics.all(), partitions=PARTITIONS)
    settings = Settings(bootstrap=bootstrap, app_id=app_id, topics=topics)
    metrics = WorkerMetrics()
    loop = IngestLoop(settings=settings, metrics=metrics, loop=asyncio.get_running_loop())
    clock = Clock(n)
    commits: list[tuple[float, int]] = []  # (time the transaction committed, partials in it)

    real_fold, real_commit = loop.fold, loop._commit

    def fold(tp: TopicPartition, records: list[Any]) -> None:
        real_fold(tp, records)
        clock.tick(len(records))

    async def commit(partials: list[Any], dead: list[Any], positions: dict[TopicPartition, int]) -> None:
        await real_commit(partials, dead, positions)
        commits.append((time.perf_counter(), len(partials)))

    loop.fold = fold  # type: ignore[method-assign]
    loop._commit = commit  # type: ignore[method-assign]
    await loop.start()
    try:
        if profile is not None:
            profile.enable()
        await asyncio.wait_for(clock.done.wait(), timeout)
        # Ingest is finished when the transaction holding the last offsets has committed.
        while not commits or commits[-1][0] < (clock.last or 0):
            await asyncio.sleep(0.01)
        if profile is not None:
            profile.disable()
    finally:
        await loop.stop()
    result = clock.result()
    committed_at = commits[-1][0]
    result["seconds_to_last_commit"] = round(committed_at - (clock.first or committed_at), 3)
    result["transactions"] = len(commits)
    result["partials_out"] = sum(p for _, p in commits)
    return result


# ------------------------------------------------------------------ phase 2a': windowing in process


async def windowing_in_process(
    bootstrap: str, topic: str, partials: int, timeout: float, profile: cProfile.Profile | None = None
) -> dict[str, Any]:
    """The evaluate agent's work without Faust, on the partials phase 2a committed.

    Same steps and batch size as streams.app's `evaluate` (take(2000)):
    orjson.loads + from_wire, engine.add_all, engine.advance. The partials
    are read first (not timed) and fed in topic order, as the agent sees
    them: the work per event, without Faust's per-message cost.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or range(PARTITIONS))]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + timeout
        while len(values) < partials and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            values.extend(r.value for recs in batches.values() for r in recs)
    finally:
        await consumer.stop()

    engine = RuleEngine(RulePack(rules=tuple(default_rules())))
    clock = Clock(1 << 62)  # counts source events (sum of partial counts)
    transitions = 0
    parse_s = add_s = advance_s = 0.0
    cpu0 = time.process_time()
    if profile is not None:
        profile.enable()
    for i in range(0, len(values), 2000):
        t0 = time.perf_counter()
        batch = [from_wire(orjson.loads(raw)) for raw in values[i : i + 2000]]
        t1 = time.perf_counter()
        engine.add_all(batch)
        t2 = time.perf_counter()
        transitions += len(engine.advance())
        t3 = time.perf_counter()
        parse_s, add_s, advance_s = parse_s + t1 - t0, add_s + t2 - t1, advance_s + t3 - t2
        clock.tick(sum(p.aggregate.count for p in batch if isinstance(p, Partial)))
    if profile is not None:
        profile.disable()
    cpu_s = time.process_time() - cpu0
    total_s = parse_s + add_s + advance_s
    nbytes = sum(len(v) for v in values)
    return {
        # All batches are timed here (no connection setup to exclude).
        "events_per_s": round(clock.count / total_s) if total_s else None,
        "seconds": round(total_s, 3),
        "events_counted": clock.count,
        "cpu_seconds": round(cpu_s, 3),
        "events_per_cpu_s": round(clock.count / cpu_s) if cpu_s else None,
        "partials": len(values),
        "partials_per_s": round(len(values) / total_s) if total_s else None,
        "partial_bytes": nbytes,
        "avg_partial_bytes": round(nbytes / len(values)) if values else None,
        "us_per_partial": {
            "from_wire": round(parse_s * 1e6 / len(values), 1) if values else None,
            "engine_add": round(add_s * 1e6 / len(values), 1) if values else None,
            "engine_advance": round(advance_s * 1e6 / len(values), 1) if values else None,
        },
        "late_events": engine.late_events,
        "alert_transitions": transitions,
    }


# ------------------------------------------------------------------ phase 2b: the real worker


def _get(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.read()
    except (OSError, urllib.error.URLError):
        return None


def vigil_worker(
    bootstrap: str,
    prefix: str,
    app_id: str,
    n: int,
    target_watermark: float,
    work: Path,
    timeout: float,
    poll: float = 0.05,
) -> dict[str, Any]:
    proc, port, log = launch_worker(bootstrap, prefix, app_id, work)
    metrics_url, health_url = f"http://127.0.0.1:{port}/metrics", f"http://127.0.0.1:{port}/health"
    source = f"{prefix}metrics"
    launched = time.perf_counter()
    first: tuple[float, float] | None = None  # (time, count) of the first poll that saw events
    cpu_first = cpu_ingest = cpu_e2e = 0.0
    slowest = 0.0  # longest /metrics or /health reply once events flow: how long the event loop stalls
    prev_zero = launched
    ingest_done: float | None = None
    e2e_done: float | None = None
    watermark: float | None = None
    text = ""
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode}:\n{log_tail(log)}")
            if ingest_done is None:
                asked = time.perf_counter()
                raw = _get(metrics_url)
                now = time.perf_counter()  # after the reply: the count is as of when the handler ran
                if first is not None:
                    slowest = max(slowest, now - asked)
                if raw is not None:
                    text = raw.decode()
                    count = metric_total(text, "vigil_events_in_total", topic=source)
                    if count <= 0:
                        prev_zero = now
                    elif first is None:
                        first, cpu_first = (now, count), (cpu_seconds(proc.pid) or 0.0)
                    if count >= n:
                        ingest_done, cpu_ingest = now, (cpu_seconds(proc.pid) or 0.0)
            asked = time.perf_counter()
            body = _get(health_url)
            if first is not None:
                slowest = max(slowest, time.perf_counter() - asked)
            if body is not None:
                watermark = orjson.loads(body).get("watermark")
                if watermark is not None and watermark >= target_watermark - 1e-6:
                    e2e_done, cpu_e2e = time.perf_counter(), (cpu_seconds(proc.pid) or 0.0)
                    if ingest_done is None:  # both finished within one poll
                        ingest_done, cpu_ingest = e2e_done, cpu_e2e
                    break
            time.sleep(poll)
        final = (_get(metrics_url) or b"").decode()
    finally:
        stop_child(proc)
    if first is None or ingest_done is None:
        raise RuntimeError(f"worker did not ingest {n} events within {timeout}s:\n{log_tail(log)}")
    t1, c1 = first
    started_after = first[0] - launched
    ingest = rate(n, int(c1), t1, ingest_done, cpu_ingest - cpu_first)
    end_to_end: dict[str, Any] = {"events_per_s": None, "seconds": None}
    if e2e_done is not None:
        end_to_end = rate(n, int(c1), t1, e2e_done, cpu_e2e - cpu_first)
    end_to_end.update(
        watermark=watermark,
        target_watermark=target_watermark,
        reached=e2e_done is not None,
        partials_out=int(metric_total(final, "vigil_partials_out_total")),
        late_events=int(metric_total(final, "vigil_events_late_total")),
        alert_transitions=int(metric_total(final, "vigil_alert_transitions_total")),
    )
    return {
        "ingest": ingest,
        "end_to_end": end_to_end,
        "first_events_seen_after_launch_s": round(started_after, 2),
        "poll_interval_s": poll,
        "first_poll_count": int(c1),
        "last_zero_poll_before_first_s": round(t1 - prev_zero, 3),
        "web_slowest_reply_s": round(max(slowest, t1 - prev_zero - poll), 3),
    }


# ------------------------------------------------------------------ phase 3: faust agent


def faust_agent(bootstrap: str, topic: str, app_id: str, n: int, work: Path, timeout: float) -> dict[str, Any]:
    out = work / "faust.jsonl"
    log = work / "faust.log"
    out.touch()
    cmd = [
        sys.executable,
        str(Path(__file__).with_name("faust_agent.py")),
        "--bootstrap",
        bootstrap,
        "--topic",
        topic,
        "--app-id",
        app_id,
        "--data-dir",
        str(work / "faust-data"),
        "--events",
        str(n),
        "--out",
        str(out),
    ]
    with log.open("wb") as logf:
        proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, cwd=REPO, preexec_fn=die_with_parent())
    last: dict[str, Any] = {}
    shown = 0.0
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"faust agent exited with {proc.returncode}:\n{log_tail(log)}")
            lines = out.read_text().splitlines()
            if lines:
                last = json.loads(lines[-1])
                if last.get("done"):
                    break
                if time.monotonic() - shown >= 5:
                    say(f"  faust agent: {last['count']:,} / {n:,} events")
                    shown = time.monotonic()
            time.sleep(0.2)
    finally:
        stop_child(proc)
    if not last:
        raise RuntimeError(f"faust agent consumed nothing within {timeout}s:\n{log_tail(log)}")
    result = rate(last["count"], last["n_first"], last["first"], last["last"], last["cpu_last"] - last["cpu_first"])
    result.update(
        complete=bool(last.get("done")),
        batches=last["batches"],
        take=10_000,
        within_s=1.0,
        stream_buffer_maxsize=131_072,
    )
    return result


# ------------------------------------------------------------------ CPU breakdown, no Kafka


def cpu_breakdown(values: list[bytes]) -> dict[str, float]:
    """Microseconds per event of each step of IngestLoop.fold, on the same values, in memory."""

    def best(fn: Any, repeat: int = 3) -> float:
        times = []
        for _ in range(repeat):
            gc.collect()
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times) * 1e6 / len(values)

    loads = orjson.loads
    events = [decode(MetricSample, v) for v in values]
    samples = [sample_of("metrics", e) for e in events]

    def fold_all() -> None:
        add = PartialFolder(window_seconds=10.0).add
        for s in samples:
            add(*s)

    def full() -> None:
        add = PartialFolder(window_seconds=10.0).add
        for v in values:
            add(*sample_of("metrics", decode(MetricSample, v)))

    return {
        "orjson_loads": round(best(lambda: [loads(v) for v in values]), 2),
        "schemas_decode": round(best(lambda: [decode(MetricSample, v) for v in values]), 2),
        "sample_of": round(best(lambda: [sample_of("metrics", e) for e in events]), 2),
        "partial_folder_add": round(best(fold_all), 2),
        "fold_total": round(best(full), 2),
        "events": len(values),
    }


# ------------------------------------------------------------------ main


def _dump(prof: cProfile.Profile, base: str, what: str) -> str:
    path = f"{base}.{what}.pstats"
    prof.dump_stats(path)
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(25)
    print(f"--- cProfile {what}: top 25 by tottime ({path}) ---\n{buf.getvalue()}", file=sys.stderr)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--bootstrap", default=None, help="use this cluster instead of starting a local broker")
    parser.add_argument("--kafka-port", type=int, default=0, help="port of the local broker (default: a free one)")
    parser.add_argument("--timeout", type=float, default=120, help="per-phase timeout, seconds")
    parser.add_argument("--skip-faust", action="store_true")
    parser.add_argument("--raw-runs", type=int, default=3, help="repeat the cheap raw phase, report the median")
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="also cProfile ingest and windowing in process into PREFIX.{ingest,windowing}.pstats",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    n = args.events
    tag = uuid.uuid4().hex[:8]
    prefix = f"bench-{tag}-"
    source = f"{prefix}metrics"
    report: dict[str, Any] = {}
    with work_dir("vigil-bench-") as work, broker(args.bootstrap, work, port=args.kafka_port) as bootstrap:
        load_before = os.getloadavg()
        say(f"generating {n:,} metric events")
        data = make_events(n)
        asyncio.run(ensure_topics(bootstrap, Topics(prefix=prefix).all(), partitions=PARTITIONS))
        say(f"producing to {source} ({PARTITIONS} partitions)")
        produced = asyncio.run(produce(bootstrap, source, data))
        say(f"  produced in {produced['seconds']}s ({produced['events_per_s']:,}/s) {produced['partition_counts']}")

        say("cpu breakdown (in memory)")
        breakdown = cpu_breakdown([v for _, v in data.records[: min(n, 30_000)]])

        say(f"phase 1: raw aiokafka getmany + orjson.loads (x{args.raw_runs}, median)")
        raw_runs = []
        for _ in range(args.raw_runs):
            raw_runs.append(asyncio.run(raw_aiokafka(bootstrap, source, n, args.timeout)))
            say(f"  {raw_runs[-1]['events_per_s']} events/s")
        raw = dict(sorted(raw_runs, key=lambda r: r["events_per_s"] or 0)[len(raw_runs) // 2])
        raw["runs_events_per_s"] = [r["events_per_s"] for r in raw_runs]

        say("phase 2a: streams.ingest.IngestLoop in process")
        inproc = asyncio.run(vigil_in_process(bootstrap, prefix, f"bench-{tag}-inproc", n, args.timeout))
        say(f"  {inproc['events_per_s']} events/s, {inproc['partials_out']} partials")
        say("phase 2a': the evaluate agent's work without Faust (partials -> RuleEngine)")
        side = _SideOutputs(prefix=prefix, side=f"bench-{tag}-inproc-").partials
        windowing = asyncio.run(windowing_in_process(bootstrap, side, inproc["partials_out"], args.timeout))
        say(f"  {windowing['partials_per_s']} partials/s = {windowing['events_per_s']} events/s")

        say("phase 2b: real worker (vigil run): ingest + evaluate agent")
        target = produced["low_watermark_at_end"] - EvaluationSettings().allowed_lateness
        worker = vigil_worker(bootstrap, prefix, f"bench-{tag}-worker", n, target, work, args.timeout)
        say(
            f"  ingest {worker['ingest']['events_per_s']} events/s, "
            f"end to end {worker['end_to_end']['events_per_s']} events/s"
        )

        faust: dict[str, Any] | None = None
        if not args.skip_faust:
            say("phase 3: faust agent, stream.take(10000, within=1)")
            faust = faust_agent(bootstrap, source, f"bench-{tag}-faust", n, work, args.timeout)
            say(f"  {faust['events_per_s']} events/s (complete: {faust['complete']})")

        profiles: dict[str, str] = {}
        if args.profile:
            say("profiling (not measured): IngestLoop in process, then the windowing step")
            prof = cProfile.Profile()
            app_id = f"bench-{tag}-profile"
            profiled = asyncio.run(vigil_in_process(bootstrap, prefix, app_id, n, args.timeout, prof))
            profiles["ingest"] = _dump(prof, args.profile, "ingest")
            prof = cProfile.Profile()
            side = _SideOutputs(prefix=prefix, side=f"{app_id}-").partials
            asyncio.run(windowing_in_process(bootstrap, side, profiled["partials_out"], args.timeout, prof))
            profiles["windowing"] = _dump(prof, args.profile, "windowing")

        v = inproc["events_per_s"]
        e2e = worker["end_to_end"]["events_per_s"]
        f = faust["events_per_s"] if faust else None
        report = {
            "events": n,
            "bytes": data.value_bytes,
            "avg_value_bytes": round(data.value_bytes / n, 1),
            "series": data.series,
            "event_time_span_s": data.span_s,
            "topic_partitions": PARTITIONS,
            "broker": {"kafka_version": KAFKA_VERSION, "bootstrap": bootstrap, "started_by_bench": not args.bootstrap},
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            # Other processes on the machine compete for the same cores: wall-clock rates move with
            # them; events_per_cpu_s (CPU time of the consuming process) much less so.
            "loadavg_1_5_15": load_avg(load_before),
            "platform": platform.platform(),
            "packages": package_versions(PACKAGES),
            "produce": produced,
            "raw_aiokafka": raw,
            "vigil_ingest": {
                "events_per_s": v,
                "seconds": inproc["seconds"],
                "in_process": inproc,
                "windowing_in_process": windowing,
                # Both in one core, back to back, with no Faust in between: 1 / (1/ingest + 1/windowing).
                "in_process_ingest_plus_windowing_events_per_s": (
                    round(1 / (1 / v + 1 / windowing["events_per_s"])) if v and windowing["events_per_s"] else None
                ),
                "worker_ingest": worker["ingest"],
                "end_to_end": worker["end_to_end"],
                "worker": {k: worker[k] for k in worker if k not in ("ingest", "end_to_end")},
                "flush_interval_s": Settings().flush_interval,
                "allowed_lateness_s": EvaluationSettings().allowed_lateness,
            },
            "faust_agent": faust,
            "ratios": {
                "vigil_ingest/raw_aiokafka": ratio(v, raw["events_per_s"]),
                "vigil_ingest/faust_agent": ratio(v, f),
                "vigil_worker_ingest/raw_aiokafka": ratio(worker["ingest"]["events_per_s"], raw["events_per_s"]),
                "vigil_end_to_end/raw_aiokafka": ratio(e2e, raw["events_per_s"]),
                "vigil_end_to_end/faust_agent": ratio(e2e, f),
            },
            "cpu_us_per_event": breakdown,
            "rate_definition": "events after the first batch / seconds from the first batch processed to the last",
        }
        if profiles:
            report["profiles"] = profiles
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
