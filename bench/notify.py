"""Notification throughput and latency: incident events in, webhook requests out, on a real worker.

    .venv/bin/python bench/notify.py [--incidents 5000] [--rate 50] [--seconds 10] [--bootstrap HOST:PORT]

One broker (a LocalKafka unless --bootstrap), one real `vigil run` worker
subprocess with its own topic prefix, and a pack with one webhook receiver
`hook` (rate limit 100 000/s, so it never throttles) on the root route with
`group_wait: 0s` and no escalation. The receiver is an aiohttp server in this
process that answers 200 and records when each request arrives and its
`Idempotency-Key` (`<incident>/hook/opened-0`). Incident events of kind
`opened`, one distinct incident each, are produced straight onto the
worker's `incidents` topic keyed by incident id, so the correlator does no
work: the `page` agent decides, `notifications` carries the decision, the
`dispatch` agent POSTs it. Phases, after a warm-up (events until the first
request arrives):

latency      events one at a time at --rate per second for --seconds.
             Latency = wall time from the produce ack of the incident event
             to the arrival of its HTTP request; p50/p95/p99/max in ms. The
             bench also tails `notifications`, which splits it into `page`
             (ack -> notification seen by the bench's consumer) and the rest.
throughput   N events (default 5000) produced all at once. Rate = N / (time
             from the first produce to the last request arriving). Counts the
             requests that arrived, any key that arrived twice, any body whose
             incident.id is not its key's, and the worker's CPU seconds.
baselines    (a) raw aiohttp POSTs of the same body and headers to the same
             receiver from a separate client process (as the worker is one),
             one at a time and with as many in flight as the dispatcher's
             batch (64); (b) the Kafka round trip on the same broker: the
             latency schedule with records of the same size produced to a
             scratch topic and consumed back in this process.

Prints ONE JSON object on stdout; progress goes to stderr. A run where
something never arrived keeps the worker's log and lists its errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from aiokafka import AIOKafkaProducer, ConsumerRecord
from harness import (
    PARTITIONS,
    Tail,
    broker,
    broker_latency,
    collect,
    cpu_seconds,
    latency_report,
    paced,
    percentiles,
    say,
    work_dir,
)
from harness import start_worker as start_vigil

from correlator.alerts import fingerprint
from notifiers.base import Message
from notifiers.webhook import IDEMPOTENCY_HEADER, TIMESTAMP_HEADER, body_for
from schemas import (
    IncidentAlert,
    IncidentEvent,
    IncidentEventType,
    IncidentSnapshot,
    IncidentStatus,
    Severity,
    TimelineEntry,
    encode,
)
from streams.settings import Topics
from streams.topics import ensure_topics
from vigil.children import free_port, stop_child

RECEIVER = "hook"
BATCH = 64  #: the dispatch agent's batch (streams/notify.py `_BATCH`): at most this many deliveries in flight
PACK = """\
receivers:
  - name: {receiver}
    kind: webhook
    url: {url}
    rate_per_second: 100000
    burst: 100000
route:
  receivers: [{receiver}]
  group_wait: 0s
"""
RULES = ("HighErrorRatio", "HighLatencyP95", "SaturationHigh", "PodRestarting", "QueueBacklog")


# ------------------------------------------------------------------ records


def make_incident(tag: str, i: int, now: float) -> IncidentEvent:
    """An `opened` event of a fresh one-alert incident, as the correlator publishes it."""
    service = f"svc-{i % 40:02d}"
    rule = RULES[i % len(RULES)]
    labels = {"alertname": rule, "service": service, "pod": f"{service}-{i}"}
    fp = fingerprint(rule, labels)
    incident_id = f"inc-{tag}-{i:06d}"
    summary = f"{rule} on {service}: 7.2% of requests failed over 5m (threshold 5%)"
    snapshot = IncidentSnapshot(
        id=incident_id,
        status=IncidentStatus.TRIGGERED,
        severity=Severity.HIGH,
        title=f"{service}: {summary}",
        group_key=f"service={service}",
        services=[service],
        alerts=[fp],
        labels={"service": service},
        opened_at=now,
        domain=service,
        root_cause=service,
        alert_details=[
            IncidentAlert(
                fingerprint=fp,
                alertname=rule,
                status="firing",
                severity=Severity.HIGH,
                labels=labels,
                summary=summary,
                first_seen=now - 1.0,
                last_seen=now - 1.0,
            )
        ],
        timeline=[
            TimelineEntry(ts=now, kind=IncidentEventType.OPENED, text=f"opened by {rule} on {service} (high)"),
        ],
        detected_at=now - 1.0,
    )
    return IncidentEvent(event=IncidentEventType.OPENED, incident_id=incident_id, ts=now, incident=snapshot)


def webhook_body(event: IncidentEvent) -> bytes:
    """The body the webhook notifier POSTs for `event`'s announcement (for the raw HTTP baseline)."""
    message = Message(
        key=f"{event.incident_id}/{RECEIVER}/opened-0",
        receiver=RECEIVER,
        event=event.event,
        incident=event.incident,
        ts=event.ts,
        note=None,
    )
    return body_for(message)


# ------------------------------------------------------------------ the receiver


class Receiver:
    """The webhook endpoint: answers 200, records (arrival time, key) of every request.

    `on_request(incident_id, key, at)` handlers run as each request arrives (perf_counter clock).
    """

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}  #: key -> requests with it
        self.handlers: list[Callable[[str, str, float], None]] = []
        self.bad_bodies = 0  #: body's incident.id differs from the key's incident (or is not JSON)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=1024).start()
        self._runner = runner
        self.url = f"http://127.0.0.1:{port}/hook"

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.perf_counter()  # headers parsed: the request has arrived
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        body = await request.read()
        incident_id = key.split("/", 1)[0]
        self.counts[key] = self.counts.get(key, 0) + 1
        try:
            if orjson.loads(body)["incident"]["id"] != incident_id:
                self.bad_bodies += 1
        except (orjson.JSONDecodeError, KeyError, TypeError):
            self.bad_bodies += 1
        for handler in self.handlers:
            handler(incident_id, key, at)
        return web.Response(status=200, text="ok")

    def reset(self) -> None:
        self.counts.clear()
        self.bad_bodies = 0

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# ------------------------------------------------------------------ worker


def start_worker(
    bootstrap: str, prefix: str, app_id: str, work: Path, url: str
) -> tuple[subprocess.Popen[bytes], Path]:
    pack = work / "notify-only.yaml"
    pack.write_text(PACK.format(receiver=RECEIVER, url=url))
    return start_vigil(bootstrap, prefix, app_id, work, pack=pack)


def log_problems(log: Path, limit: int = 40) -> list[str]:
    """The worker log's ERROR/CRITICAL lines and tracebacks (a crashed agent leaves the worker running)."""
    out: list[str] = []
    in_traceback = False
    for line in log.read_text(errors="replace").splitlines():
        line = line.replace("\x1b[?25h", "").replace("\x1b[?25l", "").rstrip()
        if "[ERROR]" in line or "[CRITICAL]" in line:
            out.append(line)
        elif line.startswith("Traceback"):
            in_traceback = True
            out.append(line)
        elif in_traceback:
            out.append(line)
            in_traceback = line.startswith((" ", "\t"))  # the exception's own line ends it
        if len(out) >= limit:
            break
    return out


# ------------------------------------------------------------------ phases


async def warm_up(producer: AIOKafkaProducer, receiver: Receiver, incidents_topic: str, tag: str) -> float:
    """Incident events until the first request arrives: both agents are assigned and running."""
    got = asyncio.Event()
    started = time.perf_counter()
    ids: set[str] = set()

    def on_request(incident_id: str, key: str, at: float) -> None:
        if incident_id in ids:
            got.set()

    receiver.handlers.append(on_request)
    try:
        attempt = 0
        while not got.is_set():
            if time.perf_counter() - started > 120:
                raise TimeoutError("no webhook request for the warm-up incidents")
            event = make_incident(f"{tag}w", attempt, time.time())
            ids.add(event.incident_id)
            await producer.send_and_wait(incidents_topic, key=event.incident_id.encode(), value=encode(event))
            attempt += 1
            try:
                await asyncio.wait_for(got.wait(), 5)
            except TimeoutError:
                say("warm-up: no request yet, sending again")
        # A few more, so the first of the measured ones pays for no lazy start-up either.
        for i in range(5):
            event = make_incident(f"{tag}w", attempt + i, time.time())
            await producer.send_and_wait(incidents_topic, key=event.incident_id.encode(), value=encode(event))
        await asyncio.sleep(1.0)
    finally:
        receiver.handlers.remove(on_request)
    return round(time.perf_counter() - started, 2)


async def notify_latency(
    producer: AIOKafkaProducer,
    receiver: Receiver,
    notes: Tail,
    incidents_topic: str,
    count: int,
    rate: float,
    tag: str,
) -> dict[str, Any]:
    now = time.time()
    items = []
    for i in range(count):
        event = make_incident(tag, i, now)
        items.append((event.incident_id, event.incident_id.encode(), encode(event)))
    waiting: dict[str, Any] = {}
    arrived: dict[str, float] = {}
    decided: dict[str, float] = {}

    def on_request(incident_id: str, key: str, at: float) -> None:
        if incident_id in waiting and incident_id not in arrived:
            arrived[incident_id] = at

    def on_note(record: ConsumerRecord, at: float) -> None:
        ident = (record.key or b"").decode()
        if ident in waiting and ident not in decided:
            decided[ident] = at

    receiver.handlers.append(on_request)
    notes.handlers.append(on_note)
    try:
        sent, acked = await paced(producer, incidents_topic, items, rate, waiting)
        await collect(waiting, arrived, 30)
    finally:
        receiver.handlers.remove(on_request)
        notes.handlers.remove(on_note)
    out = latency_report(sent, acked, arrived)
    # The split: ack -> the decision on `notifications` as this process's consumer sees it (includes one
    # consumer fetch of its own), and that -> the request (the dispatch agent's fetch, batch wait and POST).
    # The median per second of the phase: a transient (a rebalance, a GC pause, a busy machine) shows here.
    t0 = min(acked.values(), default=0.0)
    by_second: dict[int, list[float]] = {}
    for i in acked:
        if i in arrived:
            by_second.setdefault(int(acked[i] - t0), []).append(arrived[i] - acked[i])
    out["p50_ms_by_second"] = [percentiles(v)["p50_ms"] for _, v in sorted(by_second.items())]
    out["page_stage"] = percentiles([decided[i] - acked[i] for i in acked if i in decided])
    out["dispatch_stage"] = percentiles([arrived[i] - decided[i] for i in decided if i in arrived])
    return out


async def throughput(
    producer: AIOKafkaProducer,
    receiver: Receiver,
    incidents_topic: str,
    n: int,
    tag: str,
    idle_s: float,
    worker_pid: int,
) -> dict[str, Any]:
    now = time.time()
    records = []
    for i in range(n):
        event = make_incident(tag, i, now)
        records.append((event.incident_id.encode(), encode(event)))
    ids = {k.decode() for k, _ in records}
    arrivals: list[float] = []

    def on_request(incident_id: str, key: str, at: float) -> None:
        if incident_id in ids:
            arrivals.append(at)

    receiver.reset()
    receiver.handlers.append(on_request)
    try:
        worker_cpu = cpu_seconds(worker_pid)
        own_cpu = time.process_time()
        started = time.perf_counter()
        futures = [await producer.send(incidents_topic, key=k, value=v) for k, v in records]
        await asyncio.gather(*futures)
        produced = time.perf_counter()
        say(f"{n} incident events produced in {produced - started:.2f}s; waiting for the requests")
        last_n, last_change = 0, time.perf_counter()
        while len(arrivals) < n and time.perf_counter() - last_change < idle_s:
            await asyncio.sleep(0.1)
            if len(arrivals) != last_n:
                last_n, last_change = len(arrivals), time.perf_counter()
        worker_end, own_end = cpu_seconds(worker_pid), time.process_time()
        await asyncio.sleep(1.0)  # a duplicate would come right behind
    finally:
        receiver.handlers.remove(on_request)
    keys = {k: c for k, c in receiver.counts.items() if k.split("/", 1)[0] in ids}
    if not arrivals:
        return {"incidents": n, "requests": 0, "per_s": None}
    first, last = arrivals[0], arrivals[-1]
    return {
        "incidents": n,
        "requests": len(arrivals),
        "distinct_keys": len(keys),
        "missing": n - len({k.split("/", 1)[0] for k in keys}),
        "duplicates": sum(c - 1 for c in keys.values() if c > 1),
        "bad_bodies": receiver.bad_bodies,
        "produce_s": round(produced - started, 3),
        "first_produce_to_first_request_s": round(first - started, 3),
        "first_produce_to_last_request_s": round(last - started, 3),
        "per_s": round(n / (last - started)),
        "first_to_last_request_s": round(last - first, 3),
        "per_s_first_to_last_request": round(len(arrivals) / (last - first)) if last > first else None,
        # CPU over the whole phase (until the last request, or the idle timeout): the worker is one process.
        "worker_cpu_s": round(worker_end - worker_cpu, 2)
        if worker_end is not None and worker_cpu is not None
        else None,
        "worker_cpu_ms_per_incident": (
            round((worker_end - worker_cpu) * 1000 / n, 2)
            if worker_end is not None and worker_cpu is not None
            else None
        ),
        "bench_cpu_s": round(own_end - own_cpu, 2),
    }


# ------------------------------------------------------------------ raw HTTP baseline


async def raw_client(url: str, body: bytes, count: int, concurrency: int) -> dict[str, Any]:
    """In the child process: `count` POSTs one at a time, then `count` with `concurrency` in flight."""
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: str(int(time.time()))}
    out: dict[str, Any] = {"body_bytes": len(body), "count": count}
    async with aiohttp.ClientSession() as http:  # the worker's session: default connector, 100 connections

        async def one(label: str, i: int) -> float:
            began = time.perf_counter()
            sent = {**headers, IDEMPOTENCY_HEADER: f"raw-{label}-{i:06d}/{RECEIVER}/opened-0"}
            async with http.post(url, data=body, headers=sent, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"receiver answered {resp.status}")
            return time.perf_counter() - began

        for i in range(20):  # open the connections
            await one("warm", i)
        began = time.perf_counter()
        took = [await one("seq", i) for i in range(count)]
        elapsed = time.perf_counter() - began
        out["sequential"] = {"per_s": round(count / elapsed), **percentiles(took)}

        gate = asyncio.Semaphore(concurrency)

        async def gated(i: int) -> float:
            async with gate:
                return await one("conc", i)

        began = time.perf_counter()
        took = list(await asyncio.gather(*(gated(i) for i in range(count))))
        elapsed = time.perf_counter() - began
        out["concurrent"] = {"in_flight": concurrency, "per_s": round(count / elapsed), **percentiles(took)}
    return out


async def raw_http(url: str, body: bytes, count: int, work: Path) -> dict[str, Any]:
    """Runs `raw_client` in a child process (the receiver stays in this one, as in the worker runs)."""
    body_file = work / "raw-body.json"
    body_file.write_bytes(body)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).resolve()),
        "--raw-client",
        url,
        "--raw-body",
        str(body_file),
        "--raw-count",
        str(count),
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"raw HTTP client exited with {proc.returncode}")
    return json.loads(stdout)


# ------------------------------------------------------------------ main


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    prefix = f"benchn-{tag}-"
    topics = Topics(prefix=prefix)
    raw_topic = f"{prefix}bench-roundtrip"
    await ensure_topics(bootstrap, [*topics.all(), raw_topic], partitions=PARTITIONS)
    count = int(args.rate * args.seconds)
    sample = make_incident(tag, 0, time.time())
    incident_bytes = len(encode(sample))
    body = webhook_body(sample)

    receiver = Receiver()
    await receiver.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks="all")
    await producer.start()
    try:
        say(f"baseline: raw HTTP to {receiver.url} ({len(body)} byte body)")
        raw = await raw_http(receiver.url, body, args.raw_requests, work)
        say(f"raw HTTP {raw['sequential']['per_s']}/s one at a time, {raw['concurrent']['per_s']}/s x{BATCH}")
        receiver.reset()

        say("baseline: broker round trip")
        scratch = [encode(make_incident(f"{tag}r", i, time.time())) for i in range(count)]
        items = [(f"r{i:06d}", f"r{i:06d}".encode(), value) for i, value in enumerate(scratch)]
        kafka = await broker_latency(
            bootstrap,
            producer,
            raw_topic,
            items,
            args.rate,
            lambda key, value: (key or b"").decode(),
            from_send_start=False,
        )
        say(f"broker round trip p50 {kafka.get('p50_ms')} ms, p99 {kafka.get('p99_ms')} ms")

        say("starting worker")
        proc, log = start_worker(bootstrap, prefix, f"vigil-benchn-{tag}", work, receiver.url)
        notes = Tail(bootstrap, topics.notifications)
        try:
            await notes.start()
            warm = await warm_up(producer, receiver, topics.incidents, tag)
            say(f"worker warm after {warm}s")
            say(f"latency: {count} incidents at {args.rate:g}/s")
            lat = await notify_latency(producer, receiver, notes, topics.incidents, count, args.rate, f"{tag}l")
            say(f"incident -> request p50 {lat.get('p50_ms')} ms, p99 {lat.get('p99_ms')} ms")
            say(f"throughput: {args.incidents} incidents at once")
            burst = await throughput(
                producer, receiver, topics.incidents, args.incidents, f"{tag}t", args.idle, proc.pid
            )
            say(f"throughput {burst.get('per_s')}/s, {burst.get('requests')} requests")
        finally:
            await notes.stop()
            say("stopping worker")
            stop_child(proc)
            problems = log_problems(log)
            for line in problems:
                say(f"worker log: {line}")
    finally:
        await producer.stop()
        await receiver.stop()

    kept = str(log) if args.keep else None
    if not args.keep and (lat.get("missing") or burst.get("missing", 1)):
        # Something never arrived: keep the worker's log, as the work directory goes.
        fd, kept = tempfile.mkstemp(prefix="vigil-bench-notify-worker-", suffix=".log")
        os.close(fd)
        shutil.copy(log, kept)
        say(f"incomplete run: worker log kept at {kept}")
    marks = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
    added = {k: round(lat[k] - kafka[k], 2) for k in marks if k in lat and k in kafka}
    per_s = burst.get("per_s")
    return {
        "bench": "notify",
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "partitions": PARTITIONS,
        "incident_event_bytes": incident_bytes,
        "webhook_body_bytes": len(body),
        "throughput": {
            **burst,
            "raw_http_per_s": raw["concurrent"]["per_s"],
            "vs_raw_http": round(per_s / raw["concurrent"]["per_s"], 3) if per_s else None,
        },
        "latency": {
            "rate_per_s": args.rate,
            "seconds": args.seconds,
            "incident_to_request": lat,
            "kafka_round_trip": kafka,
            "raw_http_request": {k: raw["sequential"][k] for k in ("p50_ms", "p99_ms")},
            "added_ms_over_kafka": added,
            "added_p99_ms_over_kafka": added.get("p99_ms"),
        },
        "raw_http": raw,
        "worker_log_problems": problems,
        "worker_log": kept,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=5000, help="incident events in the throughput burst")
    parser.add_argument("--rate", type=float, default=50.0, help="incident events per second in the latency phase")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency phase")
    parser.add_argument("--raw-requests", type=int, default=2000, help="requests per raw HTTP baseline")
    parser.add_argument("--idle", type=float, default=15.0, help="the burst is over after this long without a request")
    parser.add_argument("--bootstrap", help="use this cluster instead of starting a LocalKafka")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (worker log)")
    parser.add_argument("--raw-client", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--raw-body", help=argparse.SUPPRESS)
    parser.add_argument("--raw-count", type=int, default=2000, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.raw_client:  # the raw HTTP baseline's client process
        body = Path(args.raw_body).read_bytes()
        print(json.dumps(asyncio.run(raw_client(args.raw_client, body, args.raw_count, BATCH))))
        return 0

    with work_dir("vigil-bench-notify-", keep=args.keep) as work, broker(args.bootstrap, work) as bootstrap:
        result = asyncio.run(run(args, bootstrap, work))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
