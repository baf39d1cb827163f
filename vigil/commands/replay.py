"""`vigil replay`: rerun a time range of the topics through Vigil's core, with notifiers dry.

    vigil replay --from 2026-11-27T10:00:00Z --to 2026-11-27T11:00:00Z --out postmortem/
    vigil replay --from -1h --to now --rules stricter.yaml --out what-if/

Reads logs, metrics and receipts (`--sources`) plus changes and commands
from `--from` to `--to` without a consumer group, drives ingest, windows,
rules, incidents and escalation on a simulated clock, and records every
notification instead of sending it. `--out DIR` writes report.json (the
same range and config always give the same bytes), report.html when the
report renderer is installed, and timing.json (how fast it ran).
`--rules FILE` replays the range a second time under that config and
reports the difference. `--publish TOPIC` writes the replayed incident
events to a topic of your choice, never the live `incidents`. Ctrl-C
stops, writes what it has (`"complete": false`) and exits 130.

Exit codes: 0 done, 1 Kafka or output trouble, 2 bad usage or config, 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

__all__ = ["add_replay_parser", "parse_time", "replay"]

SOURCES = ("logs", "metrics", "receipts")
CONTROLS = ("changes", "commands")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
#: Arguments argparse must take as values, not options: negative numbers and durations before now (`-1h`).
_NEGATIVE = re.compile(r"^-([0-9]+(\.[0-9]+)?|([0-9]+(ms|[smhdwy]))+)$")


def add_replay_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "replay",
        help="rerun a time range of the topics through the rules, incidents and escalation (notifiers dry)",
        description="Rerun a time range of the topics deterministically; nothing is sent, nothing live is touched.",
    )
    # So that `--from -1h` reads as a value: argparse only knows plain negative numbers.
    parser._negative_number_matcher = _NEGATIVE
    parser.add_argument(
        "--from",
        dest="from_",
        required=True,
        metavar="T",
        help="start: ISO-8601 (2026-11-27T10:00:00Z), Unix seconds, or relative (-1h or now-1h, now)",
    )
    parser.add_argument("--to", default="now", metavar="T", help="end, exclusive (default: now)")
    parser.add_argument(
        "--sources",
        default=",".join(SOURCES),
        help="source topics to read, comma-separated (default: %(default)s); changes and commands are always read",
    )
    parser.add_argument(
        "--config",
        action="append",
        default=None,  # not $VIGIL_CONFIG here: argparse would append --config to it instead of replacing it
        metavar="PACK",
        help="rule pack (repeat to merge; default: $VIGIL_CONFIG or packs/default.yaml)",
    )
    parser.add_argument(
        "--rules",
        action="append",
        default=None,
        metavar="PACK",
        help="what-if: replay again under this pack (repeat to merge) and report the difference",
    )
    parser.add_argument("--out", default=None, metavar="DIR", help="write report.json, report.html, timing.json")
    parser.add_argument("--publish", default=None, metavar="TOPIC", help="write the replayed incident events here")
    parser.add_argument(
        "--prefix",
        default=os.environ.get("VIGIL_TOPIC_PREFIX", ""),
        help="topic name prefix (default: $VIGIL_TOPIC_PREFIX)",
    )
    parser.add_argument(
        "--drain",
        default=None,
        metavar="DURATION",
        help="how long incidents and escalations run on after --to (default: the pack's resolve_timeout + 1m)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or %(default)s)",
    )


def parse_time(text: str, now: float) -> float:
    """Unix seconds from `now`, `-1h` or `now-1h` (a duration before now), `1767225600[.5]`, or ISO-8601
    (UTC when it names no zone)."""
    from correlator.durations import parse_duration

    value = text.strip()
    if value == "now":
        return now
    if value.startswith("now-"):
        value = value[3:]
    if value.startswith("-"):
        return now - parse_duration(value[1:])
    if _NUMBER.fullmatch(value):
        return float(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a time: {text!r} (expected ISO-8601 like 2026-11-27T10:00:00Z, Unix seconds, -1h or now)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def replay(args: argparse.Namespace) -> int:
    from correlator.config import ConfigError, load_packs
    from correlator.durations import parse_duration
    from streams.settings import Topics
    from vigil.commands.run import default_pack_path

    now = time.time()
    try:
        from_ts, to_ts = parse_time(args.from_, now), parse_time(args.to, now)
        drain = parse_duration(args.drain) if args.drain is not None else None
    except ValueError as exc:
        return _usage(str(exc))
    if to_ts <= from_ts:
        return _usage(f"--to ({args.to}) must be after --from ({args.from_})")
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    unknown = [s for s in sources if s not in SOURCES]
    if unknown or not sources:
        return _usage(f"--sources takes some of {', '.join(SOURCES)}; got {args.sources!r}")
    sources = [s for s in SOURCES if s in sources]  # a stable order, whatever order they were given in
    topics = Topics(prefix=args.prefix)
    if args.publish is not None:
        live = {topics.incidents, "incidents", *topics.all()}
        if args.publish in live:
            return _usage(f"--publish {args.publish}: refusing to write into a live topic; name another one")
    from_env = [p for p in os.environ.get("VIGIL_CONFIG", "").split(os.pathsep) if p]
    config = [str(p) for p in (args.config or from_env or [default_pack_path()])]
    packs = {}
    for name, paths in (("current", config), ("alternative", args.rules)):
        if not paths:
            continue
        try:
            packs[name] = load_packs(paths)
        except ConfigError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return _usage(f"{len(exc.problems)} problem(s) in {' '.join(map(str, paths))}")
    options = {"drain_seconds": drain} if drain is not None else {}
    job = _Job(args, from_ts, to_ts, sources, config, packs, options)
    return asyncio.run(job.run())


def _usage(message: str) -> int:
    print(f"vigil replay: {message}", file=sys.stderr)
    return 2


class _Job:
    """One `vigil replay` invocation: read, feed, report, publish."""

    def __init__(
        self,
        args: argparse.Namespace,
        from_ts: float,
        to_ts: float,
        sources: list[str],
        config: list[str],
        packs: dict[str, Any],
        options: dict[str, Any],
    ) -> None:
        from vigil.replay import live_replayer

        self.args = args
        self.from_ts, self.to_ts = from_ts, to_ts
        self.sources = sources
        self.config = config
        self.current = live_replayer(packs["current"], from_ts=from_ts, to_ts=to_ts, **options)
        self.alternative = (
            live_replayer(packs["alternative"], from_ts=from_ts, to_ts=to_ts, **options)
            if "alternative" in packs
            else None
        )
        self.stopping = False

    async def run(self) -> int:
        from aiokafka.errors import KafkaError

        from correlator.replay import build_report

        started = time.perf_counter()
        previous = signal.signal(signal.SIGINT, self._on_interrupt)
        try:
            missing = await self._feed()
        except (KafkaError, OSError) as exc:
            print(f"vigil replay: cannot read the topics from {self.args.bootstrap}: {exc}", file=sys.stderr)
            return 1
        finally:
            signal.signal(signal.SIGINT, previous)
        complete = not self.stopping
        if complete:
            self.current.finish()
            if self.alternative is not None:
                self.alternative.finish()
        wall = time.perf_counter() - started
        report = build_report(
            self.current,
            self.alternative,
            sources=self.sources,
            config=self.config,
            alternative_config=[str(p) for p in self.args.rules] if self.args.rules else None,
            complete=complete,
        )
        timing = _timing(report, wall)
        for topic in missing:
            print(f"vigil replay: topic {topic} does not exist; replayed without it", file=sys.stderr)
        status = self._write(report, timing)
        if self.args.publish is not None and status == 0:
            status = await self._publish()
        _print_summary(report, timing, self.args)
        if status == 0 and not complete:
            return 130
        return status

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        if self.stopping:
            raise KeyboardInterrupt
        self.stopping = True

    async def _feed(self) -> list[str]:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        from correlator.replay import iso_time
        from vigil.replay.source import RangeReader

        prefix = self.args.prefix
        topics = {f"{prefix}{family}": family for family in (*self.sources, *CONTROLS)}
        progress = Progress(
            TextColumn("replay"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[position]}"),
            TextColumn("{task.fields[records]} records, {task.fields[rate]} events/s"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=self.args.quiet,
            transient=False,
        )
        span = self.to_ts - self.from_ts
        feeds = [self.current.feed] + ([self.alternative.feed] if self.alternative is not None else [])
        async with RangeReader(self.args.bootstrap, topics, self.from_ts, self.to_ts) as reader:
            await reader.plan()
            with progress:
                task = progress.add_task("replay", total=span, position=iso_time(self.from_ts), records=0, rate="-")
                started, count = time.perf_counter(), 0
                async for record in reader.records():
                    if self.stopping:
                        break
                    for feed in feeds:
                        feed(record)
                    count += 1
                    if count % 2000 == 0:
                        elapsed = max(time.perf_counter() - started, 1e-9)
                        progress.update(
                            task,
                            completed=self.current.now - self.from_ts,
                            position=iso_time(self.current.now),
                            records=f"{count:,}",
                            rate=f"{count / elapsed:,.0f}",
                        )
                elapsed = max(time.perf_counter() - started, 1e-9)
                done = span if not self.stopping else self.current.now - self.from_ts
                progress.update(
                    task,
                    completed=done,
                    position=iso_time(self.from_ts + done),
                    records=f"{count:,}",
                    rate=f"{count / elapsed:,.0f}",
                )
            return reader.missing

    def _write(self, report: dict[str, Any], timing: dict[str, Any]) -> int:
        from correlator.replay import report_bytes

        if self.args.out is None:
            return 0
        out = Path(self.args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            (out / "report.json").write_bytes(report_bytes(report))
            (out / "timing.json").write_bytes(orjson.dumps(timing, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        except OSError as exc:
            print(f"vigil replay: cannot write the report to {out}: {exc}", file=sys.stderr)
            return 1
        try:
            from vigil.report import render_html  # the postmortem renderer, when installed
        except ImportError:
            print("vigil replay: no HTML renderer (vigil.report) installed; wrote report.json only", file=sys.stderr)
            return 0
        html = render_html(report)
        path = out / "report.html"
        if isinstance(html, bytes):
            path.write_bytes(html)
        else:
            path.write_text(html, encoding="utf-8")
        return 0

    async def _publish(self) -> int:
        from aiokafka import AIOKafkaProducer
        from aiokafka.errors import KafkaError

        from schemas import encode
        from streams.topics import ensure_topics

        topic = self.args.publish
        events = self.current.events
        try:
            await ensure_topics(self.args.bootstrap, [topic])
            producer = AIOKafkaProducer(bootstrap_servers=self.args.bootstrap, acks="all", enable_idempotence=True)
            await producer.start()
            try:
                for event in events:
                    await producer.send(
                        topic,
                        key=event.incident_id.encode(),
                        value=encode(event),
                        timestamp_ms=int(event.ts * 1000),
                    )
                await producer.flush()
            finally:
                await producer.stop()
        except (KafkaError, OSError) as exc:
            print(f"vigil replay: cannot publish to {topic}: {exc}", file=sys.stderr)
            return 1
        print(f"published {len(events)} incident event(s) to {topic}")
        return 0


def _timing(report: dict[str, Any], wall: float) -> dict[str, Any]:
    stats = report["stats"]
    events = stats["events"] + stats["changes"] + stats["commands"]
    return {
        "wall_seconds": round(wall, 3),
        "events": events,
        "events_per_second": round(events / wall, 1) if wall > 0 else None,
        "event_seconds": stats["event_seconds"],
        "speedup": round(stats["event_seconds"] / wall, 1) if wall > 0 else None,
        "complete": report["complete"],
    }


def _print_summary(report: dict[str, Any], timing: dict[str, Any], args: argparse.Namespace) -> None:
    from correlator.replay import iso_time

    stats, rng = report["stats"], report["range"]
    speed = f", {timing['speedup']:,.0f}× real time" if timing["speedup"] else ""
    rate = f"{timing['events_per_second']:,.0f} events/s" if timing["events_per_second"] else "-"
    if report["complete"]:
        what = f"replayed {rng['from']} → {rng['to']}"
    else:
        what = f"stopped at {iso_time(rng['position_ts'])} (incomplete): replayed {rng['from']} → {rng['to']}"
    print(
        f"{what} ({_span(stats['event_seconds'])} of events) in "
        f"{timing['wall_seconds']:.1f} s: {timing['events']:,} events, {rate}{speed}"
    )
    for name in ("current", "alternative"):
        run = report["runs"][name]
        if run is None:
            continue
        label = f"{name}:" if report["runs"]["alternative"] is not None else "result:"
        firing = sum(1 for a in run["alerts"] if a["status"] == "firing")
        print(
            f"{label} {_count(len(run['incidents']), 'incident')}, {_count(firing, 'alert')} fired, "
            f"{_count(len(run['notifications']), 'notification')} (dry run: none sent)"
        )
        for incident in run["incidents"]:
            ttd = incident["time_to_detect"]
            detect = f", detected {ttd:.0f} s after the breach" if ttd is not None else ""
            print(
                f"  {incident['id']} [{incident['severity']}] {incident['status']}, root cause "
                f"{incident['root_cause'] or '-'}{detect}: {incident['title']}"
            )
    diff = report["diff"]
    if diff is not None:
        gained = [b["detect_delta_s"] for b in diff["both"] if b["detect_delta_s"] is not None]
        detect = f", detection {min(gained):+.0f} s at best" if gained else ""
        print(
            f"what-if: {len(diff['only_alternative'])} incident(s) only with {' '.join(args.rules)}, "
            f"{len(diff['only_current'])} only with the current config{detect}, "
            f"{diff['notifications_saved']:+d} notification(s) saved"
        )
    print(f"dead letters: {stats['dead_lettered']:,}, late events: {stats['late']:,}")
    if args.out is not None:
        print(f"report: {Path(args.out) / 'report.json'}")


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _span(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{math.ceil(seconds)} s"
