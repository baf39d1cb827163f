"""Replay speed: events per second and speed-up over real time, for the demo traffic and a 10x stream.

    .venv/bin/python bench/replay.py [--quick] [--demo-minutes 60] [--heavy-minutes 10] [--heavy-rate 10]
                                     [--repeat 2] [--no-cli] [--keep] [--bootstrap HOST:PORT]

One broker (a LocalKafka unless --bootstrap). Two data sets, each produced
once to topics of its own prefix (logs, metrics, receipts, plus empty
changes and commands; 3 partitions, Kafka's default partitioner, the
record timestamp is the event time):

demo    --demo-minutes (default 60) of `vigil.demo` traffic (PlatformTraffic,
        seed 7, rate 1, the demo's fault: advisor-api P95 1.5 s from 30 s to
        150 s after the start), event time ending on the whole minute at
        least two minutes ago.
heavy   the same generator at --heavy-rate (default 10) times the request
        and message rate, over --heavy-minutes (default 10: a full hour at
        10x is 2.3 M events, about 2 min to generate and produce and 4.5 min
        for the whole run on a 2-core machine; pass --heavy-minutes 60).

Per data set, over exactly the range produced, with packs/demo.yaml:

raw_read     the baseline: a group-less aiokafka consumer, the same
             partitions and offset ranges (offsets_for_times), getmany +
             orjson.loads per value and nothing else.
read_merge   `vigil.replay.source.RangeReader` alone: plan, fetch, merge
             the partitions by record time into a list.
core         `vigil.replay.live_replayer` (the pure `Replayer`) fed that
             list in memory, then `finish()`: no Kafka.
replay       what `vigil replay` runs (`vigil/commands/replay.py`, `_Job`):
             RangeReader records fed one by one to the Replayer, `finish()`.
             Demo: at least twice, whatever --repeat says, and the report.json
             bytes of every run are compared (`deterministic`),
             and with the in-memory core's (`same_report_as_in_memory`).
cli          demo only (unless --no-cli): the real `python -m vigil.cli replay
             --quiet --out DIR` in a subprocess; its timing.json, and whether
             its report.json has the same bytes.

Every phase runs --repeat times (default 2) and the fastest run is
reported, with every run's rate. A phase's time runs from opening the
consumer (setup and plan included, as in `vigil replay`'s timing.json) to
the last record (replay: to the end of `finish()`; building the report is
timed apart). events/s = records
replayed / seconds; speedup = event-time seconds of the range / wall seconds;
vs_raw_read = replay events/s / raw_read events/s. `*_after_setup` leaves
out opening the consumer and the offsets lookup. events_per_cpu_s uses
this process's CPU time (not the broker's), which other load on the
machine moves less than wall time.

Prints ONE JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import murmur2
from harness import PARTITIONS, broker, machine, ratio, say, send_batches, work_dir

from correlator.config import load_packs
from correlator.replay import ReplayRecord, build_report, report_bytes
from streams.topics import ensure_topics
from vigil.demo.traffic import DEFAULT_FAULTS, DemoEvent, PlatformTraffic
from vigil.replay import live_replayer
from vigil.replay.source import RangeReader, _partitions

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "packs" / "demo.yaml"
SOURCES = ("logs", "metrics", "receipts")  # `vigil replay`'s default --sources
FAMILIES = (*SOURCES, "changes", "commands")  # what it reads
SEED = 7
RAW_MAX_RECORDS = 20_000
PACKAGES = ("aiokafka", "orjson", "msgspec", "ddsketch")


class Timer:
    """Wall and CPU time of this process from creation to `stop()`, with a mark at the end of the setup."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.c0 = time.process_time()
        self.setup = 0.0
        self.wall = self.cpu = 0.0

    def mark_setup(self) -> None:
        self.setup = time.perf_counter() - self.t0

    def stop(self) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0

    def result(self, events: int, event_seconds: float) -> dict[str, Any]:
        return {
            "events": events,
            "seconds": round(self.wall, 3),
            "setup_seconds": round(self.setup, 3),
            "events_per_s": round(events / self.wall) if self.wall else None,
            "speedup": round(event_seconds / self.wall, 1) if self.wall else None,
            # without opening the consumer and looking the range's offsets up
            "events_per_s_after_setup": round(events / (self.wall - self.setup)) if self.wall > self.setup else None,
            "cpu_seconds": round(self.cpu, 3),
            "events_per_cpu_s": round(events / self.cpu) if self.cpu else None,
        }


# ------------------------------------------------------------------ data


def generate(start: float, seconds: float, rate: float) -> tuple[list[DemoEvent], float]:
    t = time.perf_counter()
    traffic = PlatformTraffic(seed=SEED, start=start, rate=rate, faults=DEFAULT_FAULTS)
    events = list(traffic.events(start, start + seconds))
    return events, time.perf_counter() - t


async def produce(bootstrap: str, prefix: str, events: list[DemoEvent]) -> dict[str, Any]:
    """Every event to `prefix + topic`, fast: pre-built batches, one sender per partition, acks=1.

    Partitions as Kafka's default partitioner places them (murmur2 of the key, as
    `vigil.replay.records_from_events` does); the record timestamp is the event time, as
    `vigil.demo.producer` sends it. Events come in time order, so each partition is too.
    """
    started = time.perf_counter()
    by_partition: dict[tuple[str, int], list[tuple[bytes, bytes, int]]] = defaultdict(list)
    part_of: dict[bytes, int] = {}
    dumps = orjson.dumps
    for event in events:
        p = part_of.get(event.key)
        if p is None:
            p = part_of[event.key] = (murmur2(event.key) & 0x7FFFFFFF) % PARTITIONS
        value = event.value
        by_partition[(prefix + event.topic, p)].append((event.key, dumps(value), int(value["ts"] * 1000)))
    encoded = time.perf_counter() - started
    value_bytes = sum(len(v) for recs in by_partition.values() for _, v, _ in recs)

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=1,
        linger_ms=5,
        max_batch_size=512 * 1024,
        max_request_size=2 * 1024 * 1024,
    )
    await producer.start()
    try:
        await asyncio.gather(*(send_batches(producer, t, p, recs) for (t, p), recs in sorted(by_partition.items())))
    finally:
        await producer.stop()
    seconds = time.perf_counter() - started
    per_topic: dict[str, int] = defaultdict(int)
    for (topic, _), recs in by_partition.items():
        per_topic[topic[len(prefix) :]] += len(recs)
    return {
        "seconds": round(seconds, 3),
        "encode_seconds": round(encoded, 3),
        "events_per_s": round(len(events) / seconds),
        "value_bytes": value_bytes,
        "avg_value_bytes": round(value_bytes / max(1, len(events)), 1),
        "per_topic": dict(sorted(per_topic.items())),
    }


# ------------------------------------------------------------------ phases


def _topics(prefix: str) -> dict[str, str]:
    """topic name → family, as `vigil replay` builds it."""
    return {f"{prefix}{family}": family for family in FAMILIES}


async def raw_read(bootstrap: str, prefix: str, from_ts: float, to_ts: float) -> dict[str, Any]:
    """The baseline: the range's offsets from the time index, then getmany + orjson.loads per value."""
    timer = Timer()
    consumer = AIOKafkaConsumer(  # the consumer settings RangeReader uses
        bootstrap_servers=bootstrap,
        client_id="vigil-bench-raw",
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    count = 0
    loads = orjson.loads
    try:
        # Metadata first, exactly as RangeReader.plan gets it, so both phases pay the same for it
        # (without it, end_offsets waits about 0.5 s for the leaders).
        await consumer.topics()
        tps = [TopicPartition(t, p) for t in sorted(_topics(prefix)) for p in sorted(await _partitions(consumer, t))]
        ends = await consumer.end_offsets(tps)
        starts_at = await consumer.offsets_for_times({tp: int(from_ts * 1000) for tp in tps})
        ends_at = await consumer.offsets_for_times({tp: int(to_ts * 1000) for tp in tps})
        span: dict[TopicPartition, tuple[int, int]] = {}
        for tp in tps:
            start = starts_at[tp].offset if starts_at.get(tp) is not None else ends[tp]
            stop = min(ends_at[tp].offset if ends_at.get(tp) is not None else ends[tp], ends[tp])
            if stop > start:
                span[tp] = (start, stop)
        consumer.assign(list(span))
        for tp, (start, _) in span.items():
            consumer.seek(tp, start)
        timer.mark_setup()
        left = set(span)
        while left:
            batches = await consumer.getmany(timeout_ms=1000, max_records=RAW_MAX_RECORDS)
            for tp, records in batches.items():
                end = span[tp][1]
                for record in records:
                    if record.offset >= end:
                        break
                    loads(record.value)
                    count += 1
            for tp in list(left):
                if await consumer.position(tp) >= span[tp][1]:
                    left.discard(tp)
                    consumer.pause(tp)
        timer.stop()
    finally:
        await consumer.stop()
    return timer.result(count, to_ts - from_ts)


async def read_merge(
    bootstrap: str, prefix: str, from_ts: float, to_ts: float
) -> tuple[list[ReplayRecord], dict[str, Any]]:
    """RangeReader alone: the records of the range, merged by time, into a list."""
    timer = Timer()
    out: list[ReplayRecord] = []
    async with RangeReader(bootstrap, _topics(prefix), from_ts, to_ts) as reader:
        await reader.plan()
        timer.mark_setup()
        append = out.append
        async for record in reader.records():
            append(record)
        timer.stop()
        fetched = reader.read
    result = timer.result(len(out), to_ts - from_ts) | {"records_fetched": fetched}
    return out, result


def _replayer(pack: Any, from_ts: float, to_ts: float) -> Any:
    return live_replayer(pack, from_ts=from_ts, to_ts=to_ts)


def _report(replayer: Any) -> tuple[bytes, dict[str, Any], float]:
    t = time.perf_counter()
    report = build_report(replayer, sources=list(SOURCES), config=[str(PACK)])
    raw = report_bytes(report)
    return raw, report, time.perf_counter() - t


def _replayed(report: dict[str, Any]) -> int:
    """Records the replay applied, counted as `vigil replay`'s timing.json counts them."""
    stats = report["stats"]
    return stats["events"] + stats["changes"] + stats["commands"]


def outcome(report: dict[str, Any]) -> dict[str, Any]:
    """What the replay found: enough to see the same story in every run."""
    run, stats = report["runs"]["current"], report["stats"]
    return {
        "incidents": [
            {k: i[k] for k in ("severity", "status", "root_cause", "services", "time_to_detect")}
            for i in run["incidents"]
        ],
        "alerts_fired": sum(1 for a in run["alerts"] if a["status"] == "firing"),
        "alert_records": stats["alert_records"],
        "notifications": len(run["notifications"]),
        "dead_lettered": stats["dead_lettered"],
        "late": stats["late"],
    }


def core(records: list[ReplayRecord], pack: Any, from_ts: float, to_ts: float) -> tuple[bytes, dict[str, Any]]:
    """The Replayer over records already in memory: the pure core's share of a replay."""
    replayer = _replayer(pack, from_ts, to_ts)
    timer = Timer()
    feed = replayer.feed
    for record in records:
        feed(record)
    replayer.finish()
    timer.stop()
    raw, report, report_s = _report(replayer)
    return raw, timer.result(_replayed(report), report["stats"]["event_seconds"]) | {
        "report_seconds": round(report_s, 3)
    }


async def replay(bootstrap: str, prefix: str, pack: Any, from_ts: float, to_ts: float) -> tuple[bytes, dict, dict]:
    """What `vigil replay` does (`_Job._feed` and `run`, without the progress bar): read and feed one by one."""
    replayer = _replayer(pack, from_ts, to_ts)
    timer = Timer()
    feed = replayer.feed
    async with RangeReader(bootstrap, _topics(prefix), from_ts, to_ts) as reader:
        await reader.plan()
        timer.mark_setup()
        async for record in reader.records():
            feed(record)
    replayer.finish()
    timer.stop()
    raw, report, report_s = _report(replayer)
    result = timer.result(_replayed(report), report["stats"]["event_seconds"]) | {
        "report_seconds": round(report_s, 3),
        "report_bytes": len(raw),
    }
    return raw, result, report


def cli(bootstrap: str, prefix: str, from_ts: float, to_ts: float, out: Path) -> tuple[bytes, dict[str, Any]]:
    """`vigil replay` itself, in a subprocess: its own timing.json, and the report bytes."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIGIL_CONFIG", "VIGIL_TOPIC_PREFIX")}
    cmd = [sys.executable, "-m", "vigil.cli", "replay", "--quiet", "--bootstrap", bootstrap, "--prefix", prefix]
    cmd += ["--config", str(PACK), "--from", repr(from_ts), "--to", repr(to_ts), "--out", str(out)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    process_s = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"vigil replay exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    timing = json.loads((out / "timing.json").read_text())
    return (out / "report.json").read_bytes(), {
        "command": "vigil replay --quiet --from F --to T --prefix P --config packs/demo.yaml --out DIR",
        "timing_json": timing,
        "process_seconds": round(process_s, 3),
        "summary": proc.stdout.strip().splitlines(),
    }


# ------------------------------------------------------------------ one data set


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of the runs, with every run's rate (other load on the machine only ever slows a run down)."""
    best = min(runs, key=lambda r: r["seconds"])
    return best | {"runs_events_per_s": [r["events_per_s"] for r in runs]} if len(runs) > 1 else best


async def measure(
    name: str,
    bootstrap: str,
    prefix: str,
    pack: Any,
    from_ts: float,
    to_ts: float,
    *,
    repeat: int,
    run_cli: bool,
    work: Path,
    min_replays: int = 1,
) -> dict[str, Any]:
    say(f"{name}: raw aiokafka read (baseline)")
    raw_runs = []
    for _ in range(repeat):
        raw_runs.append(await raw_read(bootstrap, prefix, from_ts, to_ts))
        say(f"  {raw_runs[-1]['events']:,} records, {raw_runs[-1]['events_per_s']:,}/s")
    raw = _best(raw_runs)

    say(f"{name}: RangeReader alone (read + merge into a list)")
    merged_runs = []
    records: list[ReplayRecord] = []
    for _ in range(repeat):
        records = []
        gc.collect()
        records, result = await read_merge(bootstrap, prefix, from_ts, to_ts)
        merged_runs.append(result)
        say(f"  {result['events']:,} records, {result['events_per_s']:,}/s")
    merged = _best(merged_runs)
    say(f"{name}: the core in memory (Replayer.feed over the list, finish)")
    core_runs = []
    core_bytes = b""
    for _ in range(repeat):
        gc.collect()
        core_bytes, result = core(records, pack, from_ts, to_ts)
        core_runs.append(result)
        say(f"  {result['events_per_s']:,} events/s")
    in_memory = _best(core_runs)
    del records
    gc.collect()

    runs: list[dict[str, Any]] = []
    reports: list[bytes] = []
    report: dict[str, Any] = {}
    replays = max(repeat, min_replays)
    for i in range(replays):
        say(f"{name}: replay {i + 1}/{replays} (RangeReader + Replayer, as `vigil replay`)")
        raw_bytes, result, report = await replay(bootstrap, prefix, pack, from_ts, to_ts)
        runs.append(result)
        reports.append(raw_bytes)
        rate, speedup = result["events_per_s"], result["speedup"]
        say(f"  {result['events']:,} events in {result['seconds']} s: {rate:,}/s, ×{speedup}")
        gc.collect()
    best = _best(runs)

    cli_result: dict[str, Any] | None = None
    cli_bytes: bytes | None = None
    if run_cli:
        say(f"{name}: `vigil replay` CLI (subprocess)")
        cli_bytes, cli_result = cli(bootstrap, prefix, from_ts, to_ts, work / f"cli-{name}")
        t = cli_result["timing_json"]
        say(f"  timing.json: {t['events_per_second']:,} events/s, ×{t['speedup']}")

    split_sum = merged["seconds"] + in_memory["seconds"]
    out: dict[str, Any] = {
        "range": {"from_ts": from_ts, "to_ts": to_ts, "event_seconds": to_ts - from_ts},
        "events_per_s": best["events_per_s"],
        "speedup": best["speedup"],
        "vs_raw_read": ratio(best["events_per_s"], raw["events_per_s"]),
        "vs_raw_read_after_setup": ratio(best["events_per_s_after_setup"], raw["events_per_s_after_setup"]),
        "replay": best,
        "raw_read": raw,
        "split": {
            "read_merge": merged,
            "core_in_memory": in_memory,
            "read_merge_share": round(merged["seconds"] / split_sum, 3),
            "core_share": round(in_memory["seconds"] / split_sum, 3),
            # about 1: reading and feeding one by one costs what the two steps cost apart
            "replay_over_sum_of_parts": round(best["seconds"] / split_sum, 3),
            "read_merge_vs_raw_read": ratio(merged["events_per_s"], raw["events_per_s"]),
        },
        "same_report_as_in_memory": reports[0] == core_bytes,
        "outcome": outcome(report),
    }
    if replays > 1:
        out["deterministic"] = all(r == reports[0] for r in reports)
    if cli_result is not None:
        cli_result["same_report_bytes"] = cli_bytes == reports[0]
        out["cli"] = cli_result
    if raw["events"] != best["events"] or merged["events"] != best["events"]:
        out["count_mismatch"] = {"raw": raw["events"], "read_merge": merged["events"], "replay": best["events"]}
    return out


# ------------------------------------------------------------------ main


async def prepare(
    bootstrap: str, prefix: str, start: float, seconds: float, rate: float, name: str
) -> tuple[dict[str, Any], float]:
    await ensure_topics(bootstrap, list(_topics(prefix)), partitions=PARTITIONS)
    say(f"{name}: generating {seconds / 60:g} min of demo traffic at rate ×{rate:g}")
    events, gen_s = generate(start, seconds, rate)
    say(f"  {len(events):,} events ({len(events) / seconds:.1f}/s of event time) in {gen_s:.1f} s; producing")
    produced = await produce(bootstrap, prefix, events)
    say(f"  produced in {produced['seconds']} s ({produced['events_per_s']:,}/s)")
    data = {
        "events": len(events),
        "events_per_event_second": round(len(events) / seconds, 2),
        "minutes": seconds / 60,
        "rate": rate,
        "seed": SEED,
        "faults": [
            {"kind": f.kind, "target": f.target, "at_s": f.start_offset_s, "for_s": f.duration_s, "p95_s": f.intensity}
            for f in DEFAULT_FAULTS
        ],
        "generate_seconds": round(gen_s, 3),
        "produce": produced,
    }
    del events
    gc.collect()
    return data, seconds


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    pack = load_packs([str(PACK)])
    # Ending on a whole minute at least two minutes ago: nothing of the range is still being written (as in a
    # postmortem), and the data sits the same way against the 10 s windows in every run, so the outcome repeats.
    end = float(math.floor(time.time() / 60) * 60 - 120)
    demo_s, heavy_s = args.demo_minutes * 60.0, args.heavy_minutes * 60.0
    demo_from = end - demo_s
    heavy_from = end - heavy_s
    demo_prefix, heavy_prefix = f"benchr-{tag}-demo-", f"benchr-{tag}-heavy-"

    started = time.perf_counter()
    demo_data, _ = await prepare(bootstrap, demo_prefix, demo_from, demo_s, 1.0, "demo")
    demo = await measure(
        "demo",
        bootstrap,
        demo_prefix,
        pack,
        demo_from,
        end,
        repeat=args.repeat,
        run_cli=not args.no_cli,
        work=work,
        min_replays=2,  # the determinism check needs two
    )
    heavy_data, _ = await prepare(bootstrap, heavy_prefix, heavy_from, heavy_s, args.heavy_rate, "heavy")
    heavy = await measure(
        "heavy", bootstrap, heavy_prefix, pack, heavy_from, end, repeat=args.repeat, run_cli=False, work=work
    )
    note = None
    if args.heavy_minutes != args.demo_minutes:
        note = (
            f"{args.heavy_minutes:g} min of ×{args.heavy_rate:g} traffic, not {args.demo_minutes:g} min: "
            "a full hour at 10x is about 2.3 M events, too long to generate and produce in the default run; "
            "use --heavy-minutes 60"
        )
    return {
        "bench": "replay",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "pack": "packs/demo.yaml",
        "partitions": PARTITIONS,
        "demo": {"data": demo_data, **demo},
        "heavy": {"data": heavy_data, "note": note, **heavy},
        "heavy_vs_demo": {
            "events_per_s": ratio(heavy["events_per_s"], demo["events_per_s"]),
            "events_per_cpu_s": ratio(heavy["replay"]["events_per_cpu_s"], demo["replay"]["events_per_cpu_s"]),
            "speedup": ratio(heavy["speedup"], demo["speedup"]),
        },
        "bench_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo-minutes", type=float, default=60.0, help="event time of the demo data set")
    parser.add_argument("--heavy-minutes", type=float, default=10.0, help="event time of the heavy data set")
    parser.add_argument("--heavy-rate", type=float, default=10.0, help="traffic rate multiplier of the heavy set")
    parser.add_argument("--repeat", type=int, default=2, help="runs of every phase; the fastest is reported")
    parser.add_argument(
        "--quick", action="store_true", help="15 min of demo and 5 min of heavy traffic, no CLI run, --repeat 1"
    )
    parser.add_argument("--no-cli", action="store_true", help="skip the `vigil replay` subprocess run")
    parser.add_argument("--bootstrap", help="use this cluster instead of starting a LocalKafka")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (CLI report, Kafka logs)")
    args = parser.parse_args()
    if args.quick:
        args.demo_minutes, args.heavy_minutes, args.no_cli, args.repeat = 15.0, 5.0, True, 1
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    load_before = os.getloadavg()
    with work_dir("vigil-bench-replay-", keep=args.keep) as work, broker(args.bootstrap, work) as bootstrap:
        result = asyncio.run(run(args, bootstrap, work))
    result["machine"] = machine(args.bootstrap, PACKAGES, load_before)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
