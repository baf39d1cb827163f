"""What the benches share: progress lines, the broker and a worker, topic tails, paced sends and their latency.

The benches run as scripts (`python bench/notify.py`), so this module is
imported as `harness` from their own folder.
"""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from vigil.broker import KAFKA_VERSION, LocalKafka
from vigil.children import free_port, spawn_worker, stop_child

PARTITIONS = 3  #: partitions of every topic a bench creates

# ------------------------------------------------------------------ progress, figures, the machine


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def percentiles(values: list[float]) -> dict[str, Any]:
    """n, p50/p95/p99/max in ms of durations in seconds (nearest rank)."""
    if not values:
        return {"n": 0}
    s = sorted(values)

    def q(p: float) -> float:
        return round(s[min(len(s) - 1, max(0, int(round(p * len(s))) - 1))] * 1000, 2)

    return {"n": len(s), "p50_ms": q(0.50), "p95_ms": q(0.95), "p99_ms": q(0.99), "max_ms": round(s[-1] * 1000, 2)}


def ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 3) if a and b else None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process `pid` (all its threads) so far; None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_avg(before: tuple[float, float, float]) -> dict[str, list[float]]:
    """The 1/5/15-minute load before the run and now: other processes compete for the same cores."""
    return {"before": [round(x, 2) for x in before], "after": [round(x, 2) for x in os.getloadavg()]}


def package_versions(names: Iterable[str]) -> dict[str, str]:
    return {name: metadata.version(name) for name in names}


def machine(bootstrap: str | None, packages: Iterable[str], load_before: tuple[float, float, float]) -> dict[str, Any]:
    """What a figure was measured on: Python, cores, platform, Kafka (ours or `bootstrap`'s), packages, load.

    Other processes compete for the same cores: wall-clock rates move with the load, *_per_cpu_s much less.
    """
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "kafka": f"existing cluster {bootstrap}" if bootstrap else KAFKA_VERSION,
        "packages": package_versions(packages),
        "loadavg_1_5_15": load_avg(load_before),
    }


# ------------------------------------------------------------------ the broker, the work directory, a worker


@contextmanager
def work_dir(prefix: str, *, keep: bool = False) -> Iterator[Path]:
    """A fresh temporary directory, removed at the end unless `keep`."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


@contextmanager
def broker(bootstrap: str | None, work: Path, *, port: int = 0) -> Iterator[str]:
    """`bootstrap` when given, else a LocalKafka in `work`/kafka for the duration; yields the bootstrap address."""
    if bootstrap:
        say(f"using Kafka at {bootstrap}")
        yield bootstrap
        return
    say(f"starting Kafka {KAFKA_VERSION}")
    kafka = LocalKafka(data_dir=work / "kafka", port=port)
    try:
        address = kafka.start()
        say(f"Kafka ready at {address}")
        yield address
    finally:
        say("stopping Kafka")
        kafka.stop()


def log_tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def launch_worker(
    bootstrap: str, prefix: str, app_id: str, work: Path, *, pack: Path | None = None
) -> tuple[subprocess.Popen[bytes], int, Path]:
    """A `vigil run` subprocess on `pack` (else the default config); (process, web port, log)."""
    port = free_port()
    log = work / "worker.log"
    proc = spawn_worker(
        bootstrap=bootstrap,
        prefix=prefix,
        app_id=app_id,
        web_port=port,
        data_dir=work / "worker-data",
        log=log,
        env={"VIGIL_CONFIG": str(pack)} if pack is not None else None,
        loglevel="warning",
    )
    return proc, port, log


def start_worker(
    bootstrap: str, prefix: str, app_id: str, work: Path, *, pack: Path, timeout: float = 90.0
) -> tuple[subprocess.Popen[bytes], Path]:
    """`launch_worker`, once its /health answers; (process, its log)."""
    proc, port, log = launch_worker(bootstrap, prefix, app_id, work, pack=pack)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited with {proc.returncode}:\n{log_tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as resp:
                if resp.status == 200:
                    return proc, log
        except OSError:
            pass
        time.sleep(0.3)
    stop_child(proc)
    raise TimeoutError(f"worker not healthy:\n{log_tail(log)}")


# ------------------------------------------------------------------ Kafka: batched produce, tails


async def send_batches(
    producer: AIOKafkaProducer, topic: str, partition: int, records: Iterable[tuple[bytes, bytes, int | None]]
) -> None:
    """(key, value, timestamp ms or None) records to one partition, in pre-built batches, all in flight at once."""
    pending = []
    batch = producer.create_batch()
    for key, value, ts in records:
        if batch.append(key=key, value=value, timestamp=ts) is None:
            batch.close()
            pending.append(await producer.send_batch(batch, topic, partition=partition))
            batch = producer.create_batch()
            batch.append(key=key, value=value, timestamp=ts)
    batch.close()
    pending.append(await producer.send_batch(batch, topic, partition=partition))
    await asyncio.gather(*pending)


class Tail:
    """Reads a topic from its current end in the background, calling each handler `(record, arrived_at)`.

    `poll_ms` and `consumer` (aiokafka consumer options) default to a quick reader; a bench that compares
    itself with one of Vigil's own followers passes that follower's settings instead.
    """

    def __init__(self, bootstrap: str, topic: str, *, poll_ms: int = 200, **consumer: Any) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.poll_ms = poll_ms
        self.options = {"fetch_max_wait_ms": 100, "max_partition_fetch_bytes": 8 * 1024 * 1024, **consumer}
        self.handlers: list[Callable[[ConsumerRecord, float], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False, **self.options
        )
        await consumer.start()
        parts = consumer.partitions_for_topic(self.topic) or set(range(PARTITIONS))
        tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:  # resolve the end offsets now, so nothing produced from here on is skipped
            await consumer.position(tp)
        self._consumer = consumer
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=self.poll_ms, max_records=5000)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    for handler in self.handlers:
                        handler(record, now)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._consumer is not None:
            await self._consumer.stop()


# ------------------------------------------------------------------ latency: paced sends, arrivals


async def paced(
    producer: AIOKafkaProducer, topic: str, items: list[tuple[str, bytes, bytes]], rate: float, waiting: dict[str, Any]
) -> tuple[dict[str, float], dict[str, float]]:
    """Send one record at a time on a fixed schedule; return per-id send-start and ack times."""
    sent: dict[str, float] = {}
    acked: dict[str, float] = {}
    t0 = time.perf_counter()
    for i, (ident, key, value) in enumerate(items):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        waiting[ident] = None
        sent[ident] = time.perf_counter()
        await producer.send_and_wait(topic, key=key, value=value)
        acked[ident] = time.perf_counter()
    return sent, acked


async def collect(waiting: dict[str, Any], arrived: dict[str, float], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(arrived) < len(waiting) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)


def latency_report(
    sent: dict[str, float], acked: dict[str, float], arrived: dict[str, float], *, from_send_start: bool = True
) -> dict[str, Any]:
    """Ack → arrival percentiles, how many never arrived, and (optionally) send start → arrival, send → ack."""
    out = percentiles([arrived[i] - acked[i] for i in acked if i in arrived])
    out["missing"] = len(sent) - sum(1 for i in acked if i in arrived)
    if from_send_start:
        out["from_send_start"] = percentiles([arrived[i] - sent[i] for i in sent if i in arrived])
    out["ack"] = percentiles([acked[i] - sent[i] for i in acked])
    return out


async def broker_latency(
    bootstrap: str,
    producer: AIOKafkaProducer,
    topic: str,
    items: list[tuple[str, bytes, bytes]],
    rate: float,
    ident_of: Callable[[bytes | None, bytes], str],
    *,
    from_send_start: bool = True,
) -> dict[str, Any]:
    """The latency schedule through the broker alone: `(id, key, value)` items produced and consumed back here."""
    tail = Tail(bootstrap, topic)
    await tail.start()
    waiting: dict[str, Any] = {}
    arrived: dict[str, float] = {}

    def on_record(record: ConsumerRecord, at: float) -> None:
        ident = ident_of(record.key, record.value)
        if ident in waiting and ident not in arrived:
            arrived[ident] = at

    tail.handlers.append(on_record)
    try:
        sent, acked = await paced(producer, topic, items, rate, waiting)
        await collect(waiting, arrived, 30)
    finally:
        await tail.stop()
    return latency_report(sent, acked, arrived, from_send_start=from_send_start)
