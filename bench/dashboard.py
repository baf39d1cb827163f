"""Live dashboard fan-out: incident events to open SSE streams, and board reads, on a real worker.

    .venv/bin/python bench/dashboard.py [--clients 1,10,100,500] [--incidents 100] [--rate 10]
                                        [--inject api|topic] [--board-concurrency 10] [--board-seconds 5]
                                        [--burst 2000] [--burst-clients 100] [--stall-burst 3000]
                                        [--stall-clients 10] [--stalled 1] [--quick] [--keep]
                                        [--bootstrap HOST:PORT]

One broker (a LocalKafka unless --bootstrap), one real `vigil run` worker
subprocess (packs/default.yaml, its own topic prefix and app id, a viewer
token in VIGIL_API_TOKENS) and, all along, live `vigil.demo` traffic
without faults (rate 1, about 65 events/s), so the SLA board has tiles and
the worker does its ordinary ingest work. Phases, after a warm-up (one
alert until its incident event reaches a stream):

fanout       for each N of --clients, in order: N aiohttp clients hold
             `GET /api/stream` open (the streams grow from one N to the next;
             each is open once its first `slos` event has arrived), then
             --incidents alerts are POSTed one at a time to /api/v2/alerts at
             --rate per second, each with its own alertname and service, so
             each opens an incident of its own (--inject topic: IncidentEvents
             of kind `opened` produced straight onto `incidents` instead).
             Every incident event of those incidents is timed twice:
               a  the baseline: a group-less, read_committed aiokafka consumer
                  in this process following `incidents` with the settings of
                  the worker's IncidentFollower, at the getmany that returns it;
               b  each client, at the chunk that carries its `incident` frame
                  (SSE parsed per the HTML standard; matched on incident id +
                  event type + ts).
             Reported: b - a over every (client, event); per event the slowest
             client's b - a and the spread between the first and the last
             client; b - record timestamp and a - record timestamp (the record
             timestamp is the producer's CreateTime, 1 ms resolution); every
             delivery missing or duplicated; streams the worker ended.
board        no stream open: --board-concurrency clients GET /api/slos
             (viewer token) back to back for --board-seconds; the same
             against /health on the same worker first (the baseline: the web
             server and this client, with no board work).
burst        --burst-clients streams, then --burst IncidentEvents (one alert,
             about 1.5 KB) produced at once onto `incidents` in pre-built
             batches: does every stream get every event, or does the hub's
             bounded queue (streams/dashboard/hub.py, 1000 frames per stream)
             close streams that fall behind? Deliveries per second and worker
             CPU per delivery. The events are of kind `resolved` (fresh
             incidents already over), so the worker's `page` agent keeps no
             pager for them and the read model may evict them: a burst of open
             incidents would leave announcements due 30 s later, and past the
             read model's 10 000 incidents every event would pay for the
             eviction (see bench/README.md), in the phases after it.
stall        twice --stall-burst such events (four alerts each, about 3.1 KB)
             at once to --stall-clients reading streams: first alone, then
             with --stalled more streams that stop reading after their first
             `slos` event (a raw socket with a 4 KiB receive buffer and an
             HTTP/1.0 request). Is a stalled stream closed once it is 1000
             frames behind, and does it slow the readers down? After the burst
             the stalled stream is read to its end: what it got, and whether
             the worker ended it.

Every phase reports the worker's CPU seconds (from /proc), this process's
CPU seconds and this process's event-loop lag (a 10 ms sleep's overshoot):
the clients and the baseline consumer share this process and the machine's
cores with the worker and the broker.

Prints ONE JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.partitioner import murmur2
from harness import (
    PARTITIONS,
    Tail,
    broker,
    cpu_seconds,
    launch_worker,
    log_tail,
    machine,
    percentiles,
    ratio,
    say,
    send_batches,
    work_dir,
)

from correlator.alerts import fingerprint
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
from vigil.children import stop_child
from vigil.demo.traffic import PlatformTraffic

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "packs" / "default.yaml"
TOKEN = "bench-dashboard-viewer-0123456789"
PACKAGES = ("aiohttp", "aiokafka", "faust-streaming", "msgspec", "orjson")
HUB_QUEUE = 1000  #: streams/dashboard/hub.py EventHub(queue_size=...) as the worker builds it
STALL_ALERTS = 4  #: alerts per incident in the stall bursts: about 3.1 KB per event, so fewer fill the socket

Key = tuple[str, str, float]  #: (incident id, event type, ts): one incident event
WALL = time.time() - time.perf_counter()  #: perf_counter -> Unix seconds (same process, a few minutes)


# ------------------------------------------------------------------ server-sent events, client side


class SseParser:
    """The `text/event-stream` parsing of the HTML standard: lines end in CRLF, LF or CR; fields; dispatch.

    `feed(chunk)` returns the (event type, data) of every event completed by the chunk.
    """

    _EOL = re.compile(rb"\r\n|\r|\n")

    def __init__(self) -> None:
        self._buf = b""
        self._event = ""
        self._data: list[str] = []
        self._first = True
        self.last_id = ""
        self.retry_ms: int | None = None
        self.comments = 0

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        buf = self._buf + chunk
        if self._first and buf:
            if len(buf) < 3 and b"\xef\xbb\xbf".startswith(buf):
                self._buf = buf
                return []
            if buf.startswith(b"\xef\xbb\xbf"):  # a byte order mark may start the stream
                buf = buf[3:]
            self._first = False
        out: list[tuple[str, str]] = []
        start = 0
        for match in self._EOL.finditer(buf):
            if match.group() == b"\r" and match.end() == len(buf):
                break  # a CR at the end of the chunk: the LF of a CRLF may come next
            self._line(buf[start : match.start()].decode("utf-8", errors="replace"), out)
            start = match.end()
        self._buf = buf[start:]
        return out

    def _line(self, line: str, out: list[tuple[str, str]]) -> None:
        if not line:  # a blank line dispatches the event
            if self._data:
                out.append((self._event or "message", "\n".join(self._data)))
            self._event, self._data = "", []
            return
        if line.startswith(":"):
            self.comments += 1
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)


class StreamClient:
    """One open `GET /api/stream`: when each incident event first arrived, and how many times."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.ready = asyncio.Event()  #: the first `slos` event arrived: subscribed to the hub
        self.first: dict[Key, float] = {}  #: incident event -> perf_counter of the chunk that completed it
        self.extra: Counter[Key] = Counter()  #: deliveries after the first
        self.kinds: Counter[str] = Counter()  #: events by type
        self.bad_frames = 0
        self.bytes = 0
        self.ended: str | None = None  #: why the stream is over, if it is
        self.ended_at: float | None = None
        self.task: asyncio.Task[None] | None = None

    async def run(self, session: aiohttp.ClientSession, url: str) -> None:
        try:
            async with session.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                if resp.status != 200:
                    self.ended = f"HTTP {resp.status}: {(await resp.text())[:200]}"
                    return
                parser = SseParser()
                async for chunk in resp.content.iter_any():
                    at = time.perf_counter()
                    self.bytes += len(chunk)
                    for event, data in parser.feed(chunk):
                        self.kinds[event] += 1
                        if event == "incident":
                            self._incident(data, at)
                        elif event == "slos":
                            self.ready.set()
                self.ended = "closed by the worker"
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # reported, not raised: one stream's failure is a finding
            self.ended = f"error: {exc!r}"
        finally:
            if self.ended is not None:
                self.ended_at = time.perf_counter()

    def _incident(self, data: str, at: float) -> None:
        try:
            body = orjson.loads(data)
            key = (body["incident_id"], body["event"], float(body["ts"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            self.bad_frames += 1
            return
        if key in self.first:
            self.extra[key] += 1
        else:
            self.first[key] = at


class StalledClient:
    """A stream whose reader stops reading after its first `slos` event: a browser tab on a dead link.

    A raw socket with a small receive buffer and an HTTP/1.0 request (so the body is not chunked and ends
    when the worker closes it). `drain()` reads everything afterwards: what got through, and whether the
    worker ended the stream (the hub closes a subscriber that falls `HUB_QUEUE` frames behind).
    """

    def __init__(self, host: str, port: int, *, rcvbuf: int = 4096) -> None:
        self.host, self.port, self.rcvbuf = host, port, rcvbuf
        self.sock: socket.socket | None = None
        self.parser = SseParser()
        self.keys: set[Key] = set()
        self.repeats = 0
        self.closed_by_worker = False
        self.bytes = 0

    async def open(self, timeout: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)  # before connect: the window
        sock.setblocking(False)
        self.sock = sock
        async with asyncio.timeout(timeout):
            await loop.sock_connect(sock, (self.host, self.port))
            request = (
                f"GET /api/stream HTTP/1.0\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {TOKEN}\r\nAccept: text/event-stream\r\n\r\n"
            )
            await loop.sock_sendall(sock, request.encode())
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = await loop.sock_recv(sock, 4096)
                if not chunk:
                    raise ConnectionError("stream closed before its headers")
                head += chunk
            status = head.split(b"\r\n", 1)[0]
            if b" 200 " not in status + b" ":
                raise RuntimeError(f"stalled client: {status.decode(errors='replace')}")
            body = head.split(b"\r\n\r\n", 1)[1]
            while not any(event == "slos" for event, _ in self._feed(body)):
                body = await loop.sock_recv(sock, 4096)
                if not body:
                    raise ConnectionError("stream closed before its first slos event")

    def _feed(self, chunk: bytes) -> list[tuple[str, str]]:
        self.bytes += len(chunk)
        events = self.parser.feed(chunk)
        for event, data in events:
            if event == "incident":
                body = orjson.loads(data)
                key = (body["incident_id"], body["event"], float(body["ts"]))
                if key in self.keys:
                    self.repeats += 1
                self.keys.add(key)
        return events

    async def drain(self, idle: float = 3.0) -> None:
        """Read on until the worker closes the stream, or nothing comes for `idle` seconds."""
        assert self.sock is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                chunk = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), idle)
            except TimeoutError:
                return
            except OSError:
                self.closed_by_worker = True
                return
            if not chunk:
                self.closed_by_worker = True
                return
            self._feed(chunk)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


class Streams:
    """The open streams of the bench, on one session with no connection limit."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: list[StreamClient] = []
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60),
        )

    @property
    def open(self) -> list[StreamClient]:
        return [c for c in self.clients if c.ended is None]

    async def grow(self, n: int, *, at_once: int = 50, timeout: float = 60.0) -> dict[str, Any]:
        """Open streams until `n` are open (at most `at_once` connecting at a time); how long it took."""
        started = time.perf_counter()
        gate = asyncio.Semaphore(at_once)
        new = [StreamClient(len(self.clients) + i) for i in range(max(0, n - len(self.open)))]

        async def one(client: StreamClient) -> None:
            async with gate:
                client.task = asyncio.create_task(client.run(self.session, self.url))
                ready = asyncio.create_task(client.ready.wait())
                await asyncio.wait({ready, client.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                ready.cancel()

        self.clients.extend(new)
        await asyncio.gather(*(one(c) for c in new))
        failed = [c.ended or "no slos event in time" for c in new if not c.ready.is_set() or c.ended]
        return {"opened": len(new), "failed": len(failed), "failures": failed[:5], "seconds": _s(started)}

    async def close_all(self) -> None:
        tasks = [c.task for c in self.clients if c.task is not None and not c.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for client in self.clients:
            if client.ended is None:
                client.ended, client.ended_at = "closed by the bench", time.perf_counter()
        self.clients = []

    async def aclose(self) -> None:
        await self.close_all()
        await self.session.close()


# ------------------------------------------------------------------ the baseline: the topic, read as the worker does


@dataclass(slots=True)
class Seen:
    at: float  #: perf_counter when getmany returned it
    record_ts_ms: int  #: the record's timestamp (CreateTime: when the producer sent it)
    services: tuple[str, ...]
    event: str


class Baseline:
    """The `incidents` topic from its current end, read as IncidentFollower reads it (group-less, read_committed)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.seen: dict[Key, Seen] = {}
        self.repeats: Counter[Key] = Counter()  #: the same (id, event, ts) again on the topic
        # the follower's settings (streams/follow.py): aiokafka's fetch defaults, a 500 ms poll
        self.tail = Tail(
            bootstrap,
            topic,
            poll_ms=500,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            fetch_max_wait_ms=500,
            max_partition_fetch_bytes=1024 * 1024,
        )
        self.tail.handlers.append(self._seen)

    async def start(self) -> None:
        await self.tail.start()

    def _seen(self, record: ConsumerRecord, at: float) -> None:
        body = orjson.loads(record.value)
        key = (body["incident_id"], body["event"], float(body["ts"]))
        if key in self.seen:
            self.repeats[key] += 1
        else:
            services = tuple(body.get("incident", {}).get("services") or ())
            self.seen[key] = Seen(at, record.timestamp, services, body["event"])

    def of(self, services: set[str]) -> dict[Key, Seen]:
        return {k: s for k, s in self.seen.items() if services.intersection(s.services)}

    async def stop(self) -> None:
        await self.tail.stop()


# ------------------------------------------------------------------ what this process and the worker spend


class Meter:
    """Worker CPU, this process's CPU and event-loop lag, from `start()` to `stop()`."""

    def __init__(self, worker_pid: int) -> None:
        self.pid = worker_pid
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Meter:
        self.t0, self.w0, self.c0 = time.perf_counter(), cpu_seconds(self.pid), time.process_time()
        self._task = asyncio.create_task(self._probe())
        return self

    async def _probe(self) -> None:
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            self.lags.append(time.perf_counter() - t - 0.01)

    async def stop(self) -> dict[str, Any]:
        w1, c1, t1 = cpu_seconds(self.pid), time.process_time(), time.perf_counter()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        lag = percentiles(self.lags)
        return {
            "seconds": round(t1 - self.t0, 3),
            "worker_cpu_s": round(w1 - self.w0, 3) if w1 is not None and self.w0 is not None else None,
            "bench_cpu_s": round(c1 - self.c0, 3),
            "bench_loop_lag": {k: lag[k] for k in ("p50_ms", "p99_ms", "max_ms") if k in lag},
        }


# ------------------------------------------------------------------ opening incidents


def prometheus_alert(name: str, service: str) -> dict[str, Any]:
    """One alert as Prometheus POSTs it (tests/integration/test_incidents.py); low: the console route only."""
    return {
        "labels": {"alertname": name, "service": service, "severity": "low"},
        "annotations": {"summary": f"{name} on {service}"},
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30)),
        "endsAt": "2999-01-01T00:00:00Z",
    }


def make_incident(service: str, now: float, *, alerts: int = 1, resolved: bool = False) -> IncidentEvent:
    """An event of a fresh incident on `service` with `alerts` alerts, as the correlator publishes it.

    `opened`, or (`resolved`) the same incident already over: the worker's `page` agent then keeps no pager
    for it, and the read model can evict it, so a burst leaves no work behind for the phases after it.
    """
    rule = "DashboardBenchProbe"
    details = []
    for a in range(alerts):
        labels = {"alertname": rule, "service": service, "severity": "low", "pod": f"{service}-{a}"}
        details.append(
            IncidentAlert(
                fingerprint=fingerprint(rule, labels),
                alertname=rule,
                status="resolved" if resolved else "firing",
                severity=Severity.LOW,
                labels=labels,
                summary=f"{rule} on {service}: 7.2% of requests failed over 5m (threshold 5%)",
                first_seen=now - 1.0,
                last_seen=now - 1.0,
                ends_at=now if resolved else None,
            )
        )
    timeline = [TimelineEntry(ts=now, kind=IncidentEventType.OPENED, text=f"opened by {rule} on {service} (low)")]
    if resolved:
        timeline.append(TimelineEntry(ts=now, kind=IncidentEventType.RESOLVED, text="all alerts resolved"))
    snapshot = IncidentSnapshot(
        id=f"inc-{service}",
        status=IncidentStatus.RESOLVED if resolved else IncidentStatus.TRIGGERED,
        severity=Severity.LOW,
        title=f"{service}: {details[0].summary}",
        group_key=f"service={service}",
        services=[service],
        alerts=[d.fingerprint for d in details],
        labels={"service": service},
        opened_at=now,
        resolved_at=now if resolved else None,
        domain=service,
        root_cause=service,
        alert_details=details,
        timeline=timeline,
        detected_at=now - 1.0,
    )
    kind = IncidentEventType.RESOLVED if resolved else IncidentEventType.OPENED
    return IncidentEvent(event=kind, incident_id=snapshot.id, ts=now, incident=snapshot)


class Injector:
    """Opens incidents: alerts POSTed to the worker's /api/v2/alerts, or IncidentEvents produced onto `incidents`."""

    def __init__(self, how: str, web: str, producer: AIOKafkaProducer, incidents_topic: str) -> None:
        self.how, self.web, self.producer, self.topic = how, web, producer, incidents_topic
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))

    async def one(self, name: str, service: str) -> None:
        if self.how == "api":
            body = orjson.dumps([prometheus_alert(name, service)])
            headers = {"Content-Type": "application/json"}
            async with self.http.post(f"{self.web}/api/v2/alerts", data=body, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"/api/v2/alerts answered {resp.status}")
        else:
            event = make_incident(service, time.time())
            await self.producer.send_and_wait(self.topic, key=event.incident_id.encode(), value=encode(event))

    async def paced(self, services: list[str], rate: float) -> dict[str, float]:
        """One incident per service at `rate` per second; service -> perf_counter when its request/send began."""
        began: dict[str, float] = {}
        t0 = time.perf_counter()
        for i, service in enumerate(services):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            began[service] = time.perf_counter()
            await self.one(f"DashProbe{i:03d}", service)
        return began

    async def aclose(self) -> None:
        await self.http.close()


# ------------------------------------------------------------------ live demo traffic (the board's data)


async def demo_traffic(bootstrap: str, topics: Topics, counter: Counter[str]) -> None:
    """The demo's platform traffic without faults, in real time, to the worker's topics."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, acks=1)
    await producer.start()
    try:
        start = time.time()
        traffic = PlatformTraffic(seed=7, start=start, rate=1.0, faults=())
        names = topics.sources()
        by_family = {family: topic for topic, family in names.items()}
        emitted = start
        while True:
            await asyncio.sleep(0.5)
            now = time.time()
            pending = []
            for event in traffic.events(emitted, now):
                value = event.value
                pending.append(
                    await producer.send(
                        by_family[event.topic],
                        key=event.key,
                        value=orjson.dumps(value),
                        timestamp_ms=int(value["ts"] * 1000),
                    )
                )
                counter[event.topic] += 1
            emitted = now
            if pending:
                await asyncio.gather(*pending)
    finally:
        await producer.stop()


# ------------------------------------------------------------------ phases


def delivery_report(
    clients: list[StreamClient], events: dict[Key, Seen], *, since: float
) -> tuple[dict[str, Any], list[float]]:
    """Missing/duplicate deliveries and the latency figures of `events` over `clients`; and every b - a."""
    deltas: list[float] = []
    slowest: list[float] = []
    spread: list[float] = []
    from_record: list[float] = []
    missing = duplicates = 0
    for key, seen in events.items():
        times = []
        for client in clients:
            at = client.first.get(key)
            if at is None:
                missing += 1
                continue
            duplicates += client.extra.get(key, 0)
            times.append(at)
            deltas.append(at - seen.at)
            from_record.append(at + WALL - seen.record_ts_ms / 1000)
        if times:
            slowest.append(max(times) - seen.at)
            spread.append(max(times) - min(times))
    ended = [c for c in clients if c.ended is not None and c.ended_at is not None and c.ended_at >= since]
    out = {
        "events": len(events),
        "events_by_kind": dict(Counter(s.event for s in events.values())),
        "expected_deliveries": len(events) * len(clients),
        "delivered": len(deltas),
        "missing": missing,
        "duplicates": duplicates,
        "streams_ended": len(ended),
        "streams_ended_why": dict(Counter(c.ended or "" for c in ended)),
        "bad_frames": sum(c.bad_frames for c in clients),
        "sse_minus_baseline": percentiles(deltas),
        "slowest_client_minus_baseline": percentiles(slowest),
        "spread_first_to_last_client": percentiles(spread),
        "sse_minus_record_ts": percentiles(from_record),
        "baseline_minus_record_ts": percentiles([s.at + WALL - s.record_ts_ms / 1000 for s in events.values()]),
    }
    return out, deltas


def complete(clients: list[StreamClient], keys: list[Key]) -> bool:
    return all(c.ended is not None or all(k in c.first for k in keys) for c in clients)


def counts(streams: Streams) -> list[int]:
    return [len(c.first) for c in streams.clients]


async def settle(
    streams: Streams,
    baseline: Baseline,
    services: set[str],
    expected: int,
    before: list[int],
    *,
    timeout: float,
    idle: float,
) -> None:
    """Wait until the baseline has `expected` events of `services` and every open client has them all.

    `before`: each client's `counts` before the first of them was sent (a cheap check comes first: the full
    one is not free). Gives up after `timeout`, or after `idle` seconds without a new delivery once the
    baseline has them all.
    """
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        keys = list(baseline.of(services))
        now = counts(streams)
        enough = all(
            c.ended is not None or n - b >= len(keys) for c, n, b in zip(streams.clients, now, before, strict=True)
        )
        if len(keys) >= expected and enough and complete(streams.clients, keys):
            break
        if sum(now) != last:
            last, last_change = sum(now), time.monotonic()
        elif len(keys) >= expected and time.monotonic() - last_change > idle:
            break
    await asyncio.sleep(0.5)  # a duplicate would come right behind


async def fanout(
    n: int,
    streams: Streams,
    baseline: Baseline,
    injector: Injector,
    worker_pid: int,
    tag: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    meter = Meter(worker_pid).start()
    grown = await streams.grow(n)
    opening = await meter.stop()
    clients = streams.open
    say(f"  {len(clients)} streams open ({grown['opened']} new in {grown['seconds']} s, {grown['failed']} failed)")
    services = [f"dash-{tag}-n{n}-{i:04d}" for i in range(args.incidents)]
    await asyncio.sleep(0.5)
    meter = Meter(worker_pid).start()
    since, before = time.perf_counter(), counts(streams)
    began = await injector.paced(services, args.rate)
    await settle(streams, baseline, set(services), args.incidents, before, timeout=30.0, idle=5.0)
    spent = await meter.stop()
    events = baseline.of(set(services))
    report, _ = delivery_report(clients, events, since=since)
    first_of: dict[str, float] = {}
    for seen in events.values():
        for service in seen.services:
            if service in began:
                first_of[service] = min(first_of.get(service, seen.at), seen.at)
    report["inject_to_baseline"] = percentiles([first_of[s] - began[s] for s in first_of])
    report["incidents_not_seen_on_topic"] = len(services) - len(first_of)
    report["topic_repeats"] = sum(baseline.repeats.get(k, 0) for k in events)
    return {"clients": len(clients), "opening": {**grown, **opening}, **report, **spent}


async def board_reads(web: str, path: str, concurrency: int, seconds: float, worker_pid: int) -> dict[str, Any]:
    """`concurrency` clients GET `path` back to back for `seconds`: requests/s and latency."""
    headers = {"Authorization": f"Bearer {TOKEN}"} if path.startswith("/api/") else {}
    took: list[float] = []
    statuses: Counter[int] = Counter()
    body_bytes = 0
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=concurrency), timeout=aiohttp.ClientTimeout(total=10)
    ) as http:

        async def get() -> tuple[int, bytes]:
            async with http.get(f"{web}{path}", headers=headers) as resp:
                return resp.status, await resp.read()

        await asyncio.gather(*(get() for _ in range(concurrency)))  # open the connections, untimed
        meter = Meter(worker_pid).start()
        stop_at = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal body_bytes
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                status, body = await get()
                took.append(time.perf_counter() - began)
                statuses[status] += 1
                body_bytes = len(body)

        await asyncio.gather(*(client() for _ in range(concurrency)))
        spent = await meter.stop()
    n = len(took)
    cpu = spent.get("worker_cpu_s")
    return {
        "path": path,
        "concurrency": concurrency,
        "requests": n,
        "per_s": round(n / spent["seconds"]) if spent["seconds"] else None,
        "non_200": sum(c for s, c in statuses.items() if s != 200),
        "statuses": {str(s): c for s, c in sorted(statuses.items())},
        "body_bytes": body_bytes,
        **percentiles(took),
        "worker_cpu_ms_per_request": round(cpu * 1000 / n, 3) if cpu is not None and n else None,
        **spent,
    }


async def burst(
    streams: Streams,
    baseline: Baseline,
    producer: AIOKafkaProducer,
    incidents_topic: str,
    worker: tuple[int, int],
    label: str,
    *,
    count: int,
    readers: int,
    stalled: int = 0,
    alerts: int = 1,
) -> dict[str, Any]:
    """`count` incident events produced at once to `readers` reading streams (and `stalled` that do not read)."""
    worker_pid, port = worker
    grown = await streams.grow(readers)
    clients = streams.open
    stuck = [StalledClient("127.0.0.1", port) for _ in range(stalled)]
    for client in stuck:
        await client.open()
    say(
        f"  {len(clients)} streams open in {grown['seconds']} s (+ {len(stuck)} that stop reading); "
        f"producing {count} incident events at once"
    )
    now = time.time()
    records = [make_incident(f"dash-{label}-{i:05d}", now, alerts=alerts, resolved=True) for i in range(count)]
    services = {r.incident.services[0] for r in records}
    values = [(r.incident_id.encode(), encode(r)) for r in records]
    by_partition: dict[int, list[tuple[bytes, bytes, int | None]]] = {}
    for key, value in values:  # where Kafka's default partitioner puts each key, as the correlator's records go
        by_partition.setdefault((murmur2(key) & 0x7FFFFFFF) % PARTITIONS, []).append((key, value, None))
    await asyncio.sleep(0.5)
    meter = Meter(worker_pid).start()
    since = started = time.perf_counter()
    before = counts(streams)
    await asyncio.gather(*(send_batches(producer, incidents_topic, p, recs) for p, recs in by_partition.items()))
    produced = time.perf_counter()
    await settle(streams, baseline, services, count, before, timeout=90.0, idle=5.0)
    spent = await meter.stop()
    events = baseline.of(services)
    report, _ = delivery_report(clients, events, since=since)
    keys = list(events)
    per_client = sorted(sum(1 for k in keys if k in c.first) for c in clients)
    last_at = [max((c.first[k] for k in keys if k in c.first), default=started) for c in clients]
    ended_at = [c.ended_at - started for c in clients if c.ended_at is not None and c.ended_at >= since]
    baseline_last = max((s.at for s in events.values()), default=started)
    last = max(last_at, default=started)
    out = {
        "clients": len(clients),
        "incident_events": count,
        "event_bytes": round(sum(len(v) for _, v in values) / max(1, len(values))),
        "produce_s": round(produced - started, 3),
        "baseline_last_event_s": round(baseline_last - started, 3),
        "last_delivery_s": round(last - started, 3),
        "deliveries_per_s": round(report["delivered"] / (last - started)) if last > started else None,
        "worker_cpu_us_per_delivery": (
            round(spent["worker_cpu_s"] * 1e6 / report["delivered"], 1)
            if spent["worker_cpu_s"] is not None and report["delivered"]
            else None
        ),
        "received_per_client": {
            "min": per_client[0] if per_client else None,
            "median": per_client[len(per_client) // 2] if per_client else None,
            "max": per_client[-1] if per_client else None,
        },
        "streams_ended_after_s": [round(x, 3) for x in sorted(ended_at)[:10]],
        "hub_queue_frames": HUB_QUEUE,
        **report,
        **spent,
    }
    if stuck:
        for client in stuck:  # now read what the worker kept for them, to its end
            await client.drain()
            client.close()
        got = sorted(len(client.keys & set(keys)) for client in stuck)
        out["stalled_clients"] = {
            "count": len(stuck),
            "receive_buffer_bytes": stuck[0].rcvbuf,
            "received_min": got[0],
            "received_max": got[-1],
            "closed_by_worker": sum(c.closed_by_worker for c in stuck),
            "repeats": sum(c.repeats for c in stuck),
            "bytes_read": [c.bytes for c in stuck][:5],
        }
    return out


async def wait_ready(web: str, proc: Any, log: Path, timeout: float = 120.0) -> float:
    """Until /health answers and /api/whoami says the read model has caught up."""
    started = time.perf_counter()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while time.perf_counter() - started < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode}:\n{log_tail(log)}")
            try:
                async with http.get(f"{web}/api/whoami", headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                    if resp.status == 200 and (await resp.json()).get("ready"):
                        return _s(started)
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.3)
    raise TimeoutError(f"worker not ready:\n{log_tail(log)}")


async def warm_up(streams: Streams, baseline: Baseline, injector: Injector, tag: str) -> float:
    """One alert at a time until its incident event reaches a stream: correlator, follower and hub all run."""
    started = time.perf_counter()
    await streams.grow(1)
    attempt = 0
    while time.perf_counter() - started < 120:
        service = f"dash-{tag}-warm-{attempt}"
        await injector.one("DashWarmUp", service)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            keys = list(baseline.of({service}))
            if keys and complete(streams.clients, keys):
                await streams.close_all()
                return _s(started)
            await asyncio.sleep(0.05)
        attempt += 1
        say("warm-up: no incident event on the stream yet, sending again")
    raise TimeoutError("no incident event reached the stream in the warm-up")


def log_problems(log: Path, limit: int = 30) -> list[str]:
    """The worker log's ERROR/CRITICAL lines and tracebacks."""
    out: list[str] = []
    in_traceback = False
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return out
    for line in lines:
        line = line.replace("\x1b[?25h", "").replace("\x1b[?25l", "").rstrip()
        if "GroupCoordinatorNotAvailableError" in line:
            continue  # normal while the worker's group forms at start-up
        if "[ERROR]" in line or "[CRITICAL]" in line:
            out.append(line)
        elif line.startswith("Traceback"):
            in_traceback = True
            out.append(line)
        elif in_traceback:
            out.append(line)
            in_traceback = line.startswith((" ", "\t"))
        if len(out) >= limit:
            break
    return out


# ------------------------------------------------------------------ main


async def run(args: argparse.Namespace, bootstrap: str, work: Path) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:8]
    prefix = f"benchd-{tag}-"
    topics = Topics(prefix=prefix)
    await ensure_topics(bootstrap, topics.all(), partitions=PARTITIONS)
    traffic_counts: Counter[str] = Counter()
    traffic = asyncio.create_task(demo_traffic(bootstrap, topics, traffic_counts))

    # The worker inherits this process's environment (vigil.children.spawn_worker): the viewer token.
    os.environ["VIGIL_API_TOKENS"] = f"{TOKEN}:viewer:bench"
    say("starting worker")
    proc, port, log = launch_worker(bootstrap, prefix, f"vigil-benchd-{tag}", work, pack=PACK)
    web = f"http://127.0.0.1:{port}"
    # Large batches: a burst goes out in a few requests, before the streams it feeds crowd this process's loop.
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        linger_ms=0,
        acks="all",
        max_batch_size=512 * 1024,
        max_request_size=2 * 1024 * 1024,
    )
    baseline = Baseline(bootstrap, topics.incidents)
    streams = Streams(f"{web}/api/stream")
    injector = Injector(args.inject, web, producer, topics.incidents)
    out: dict[str, Any] = {}
    try:
        await producer.start()
        ready = await wait_ready(web, proc, log)
        say(f"worker ready after {ready} s")
        await baseline.start()
        warm = await warm_up(streams, baseline, injector, tag)
        say(f"warm after {warm} s")

        by_n: dict[str, Any] = {}
        for n in args.clients:
            say(f"fanout: {n} streams, {args.incidents} incidents at {args.rate:g}/s ({args.inject})")
            result = await fanout(n, streams, baseline, injector, proc.pid, tag, args)
            d = result["sse_minus_baseline"]
            say(
                f"  sse - baseline p50 {d.get('p50_ms')} p99 {d.get('p99_ms')} ms; "
                f"{result['delivered']}/{result['expected_deliveries']} delivered, {result['missing']} missing, "
                f"{result['duplicates']} duplicates, {result['streams_ended']} streams ended; "
                f"worker CPU {result['worker_cpu_s']} s"
            )
            by_n[str(n)] = result
        await streams.close_all()
        out["fanout"] = {
            "inject": args.inject,
            "incidents": args.incidents,
            "rate_per_s": args.rate,
            "by_clients": by_n,
            "marginal_worker_cpu_us_per_delivery": marginal_cpu(by_n),
        }

        say(f"board: {args.board_concurrency} clients for {args.board_seconds:g} s on /health, then /api/slos")
        await asyncio.sleep(1.0)  # the closed streams' handlers go when the next frame fails to write
        health = await board_reads(web, "/health", args.board_concurrency, args.board_seconds, proc.pid)
        slos = await board_reads(web, "/api/slos", args.board_concurrency, args.board_seconds, proc.pid)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{web}/api/slos", headers={"Authorization": f"Bearer {TOKEN}"}) as resp,
        ):
            board = await resp.json()
        say(f"  /health {health['per_s']}/s p99 {health.get('p99_ms')} ms")
        say(f"  /api/slos {slos['per_s']}/s p99 {slos.get('p99_ms')} ms")
        out["board"] = {
            "health": health,
            "slos": slos,
            "slos_vs_health": ratio(slos["per_s"], health["per_s"]),
            "board": {
                "bytes": len(orjson.dumps(board)),
                "slo_tiles": len(board.get("slos", [])),
                "rule_tiles": len(board.get("rules", [])),
                "spark_points": sum(len(t.get("spark", [])) for t in [*board.get("slos", []), *board.get("rules", [])]),
            },
        }

        if args.burst > 0:
            say(f"burst: {args.burst} incident events at once to {args.burst_clients} streams")
            result = await burst(
                streams,
                baseline,
                producer,
                topics.incidents,
                (proc.pid, port),
                f"{tag}-b",
                count=args.burst,
                readers=args.burst_clients,
            )
            say(burst_line(result))
            out["burst"] = result
            await streams.close_all()
            await asyncio.sleep(1.0)
        if args.stall_burst > 0 and args.stalled > 0:
            out["stall"] = {}
            for name, stalled in (("without", 0), ("with", args.stalled)):
                say(
                    f"stall, {name} {args.stalled} stalled: {args.stall_burst} incident events at once to "
                    f"{args.stall_clients} streams" + (f" + {stalled} that stop reading" if stalled else "")
                )
                result = await burst(
                    streams,
                    baseline,
                    producer,
                    topics.incidents,
                    (proc.pid, port),
                    f"{tag}-s{name}",
                    count=args.stall_burst,
                    readers=args.stall_clients,
                    stalled=stalled,
                    alerts=STALL_ALERTS,
                )
                say(burst_line(result))
                if "stalled_clients" in result:
                    say(f"  stalled: {result['stalled_clients']}")
                out["stall"][name] = result
                await streams.close_all()
                await asyncio.sleep(1.0)
    finally:
        await streams.aclose()
        await injector.aclose()
        await baseline.stop()
        await producer.stop()
        traffic.cancel()
        await asyncio.gather(traffic, return_exceptions=True)
        say("stopping worker")
        stop_child(proc)
    problems = log_problems(log)
    for line in problems:
        say(f"worker log: {line}")
    kept = str(log) if args.keep else None
    lost = any(r["missing"] or r["streams_ended"] for r in out["fanout"]["by_clients"].values())
    bursts = [out.get("burst", {}), *out.get("stall", {}).values()]
    lost = lost or any(b.get("missing") or b.get("streams_ended") for b in bursts)
    if not args.keep and (problems or lost):
        fd, kept = tempfile.mkstemp(prefix="vigil-bench-dashboard-worker-", suffix=".log")
        os.close(fd)
        shutil.copy(log, kept)
        say(f"worker log kept at {kept}")
    out["demo_traffic_events"] = dict(traffic_counts)
    out["worker_ready_s"] = ready
    out["warm_up_s"] = warm
    out["worker_log_problems"] = problems
    out["worker_log"] = kept
    return out


def marginal_cpu(by_n: dict[str, Any]) -> float | None:
    """Worker CPU per extra delivery between the fewest and the most streams (the same incidents either way)."""
    lo, hi = min(by_n.values(), key=lambda r: r["clients"]), max(by_n.values(), key=lambda r: r["clients"])
    extra = hi["delivered"] - lo["delivered"]
    if extra <= 0 or hi["worker_cpu_s"] is None or lo["worker_cpu_s"] is None:
        return None
    return round((hi["worker_cpu_s"] - lo["worker_cpu_s"]) * 1e6 / extra, 1)


def burst_line(result: dict[str, Any]) -> str:
    return (
        f"  {result['delivered']}/{result['expected_deliveries']} delivered in {result['last_delivery_s']} s, "
        f"{result['missing']} missing, {result['duplicates']} duplicates, {result['streams_ended']} streams ended; "
        f"worker CPU {result['worker_cpu_s']} s, bench loop lag p99 {result['bench_loop_lag'].get('p99_ms')} ms"
    )


def _s(since: float) -> float:
    return round(time.perf_counter() - since, 3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,10,100,500", help="open streams per fanout phase, comma-separated")
    parser.add_argument("--incidents", type=int, default=100, help="incidents opened per fanout phase")
    parser.add_argument("--rate", type=float, default=10.0, help="incidents per second in the fanout phases")
    parser.add_argument(
        "--inject",
        choices=("api", "topic"),
        default="api",
        help="api: alerts to /api/v2/alerts (the correlator opens the incidents); topic: IncidentEvents produced",
    )
    parser.add_argument("--board-concurrency", type=int, default=10, help="clients reading /api/slos at once")
    parser.add_argument("--board-seconds", type=float, default=5.0, help="length of each board read phase")
    parser.add_argument("--burst", type=int, default=2000, help="incident events in the burst (0: no burst)")
    parser.add_argument("--burst-clients", type=int, default=100, help="open streams during the burst")
    parser.add_argument("--stall-burst", type=int, default=3000, help="incident events per stall burst (0: none)")
    parser.add_argument("--stall-clients", type=int, default=10, help="reading streams during the stall bursts")
    parser.add_argument("--stalled", type=int, default=1, help="streams that stop reading in the second stall burst")
    parser.add_argument("--quick", action="store_true", help="a ~30 s smoke run: 1 and 20 streams, small phases")
    parser.add_argument("--bootstrap", help="use this cluster instead of starting a LocalKafka")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (worker log)")
    args = parser.parse_args()
    if args.quick:  # smaller defaults; options given on the command line still win
        parser.set_defaults(
            clients="1,20",
            incidents=20,
            board_seconds=2.0,
            burst=500,
            burst_clients=10,
            stall_burst=500,
            stall_clients=5,
        )
        args = parser.parse_args()
    try:
        args.clients = [int(x) for x in str(args.clients).split(",") if x.strip()]
    except ValueError:
        parser.error("--clients takes comma-separated numbers, e.g. 1,10,100")
    if not args.clients or min(args.clients) < 1 or args.incidents < 1 or args.rate <= 0:
        parser.error("--clients, --incidents and --rate must be positive")
    if len(set(args.clients)) != len(args.clients):
        parser.error("--clients: each number once")

    load_before = os.getloadavg()
    started = time.perf_counter()
    with work_dir("vigil-bench-dashboard-", keep=args.keep) as work, broker(args.bootstrap, work) as bootstrap:
        result = asyncio.run(run(args, bootstrap, work))
    print(
        json.dumps(
            {
                "bench": "dashboard",
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "pack": str(PACK.relative_to(REPO)),
                "partitions": PARTITIONS,
                **result,
                "bench_seconds": _s(started),
                "machine": machine(args.bootstrap, PACKAGES, load_before),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
