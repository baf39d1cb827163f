"""Kafka side of the demo: a real-time loop for ``make run`` and a bulk sender for tests.

All randomness and timing decisions live in :mod:`vigil.demo.traffic`; this module
only reads the wall clock, asks for the events of the elapsed interval and produces
them, so what the live demo sends is exactly what a test can precompute.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Sequence

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from rich.console import Console

from vigil.demo.traffic import DEFAULT_FAULTS, DemoEvent, Fault, PlatformTraffic, fault_active

__all__ = ["produce_scenario", "run_demo_traffic"]

TICK_S = 0.25


async def _send(producer: AIOKafkaProducer, event: DemoEvent) -> asyncio.Future[object]:
    """Queue one event; the Kafka record timestamp is the event time so brokers and readers agree."""
    return await producer.send(
        event.topic,
        value=orjson.dumps(event.value),
        key=event.key,
        timestamp_ms=int(event.value["ts"] * 1000),
    )


async def run_demo_traffic(
    bootstrap: str,
    *,
    seed: int = 7,
    rate: float = 1.0,
    faults: Sequence[Fault] = DEFAULT_FAULTS,
    stop: asyncio.Event | None = None,
    console: Console | None = None,
    connect_timeout_s: float = 30.0,
) -> None:
    """Produce live platform traffic in real time until ``stop`` is set or the task is cancelled.

    Every :data:`TICK_S` the events of ``[last, now)`` are sent and their delivery
    awaited, which gives back-pressure and surfaces broker errors instead of
    silently dropping records; a slow tick just makes the next window larger.
    The producer is always flushed and closed on the way out.  Connecting is
    retried for ``connect_timeout_s`` because ``make run`` may start this before
    the broker accepts connections.
    """
    console = console or Console(stderr=True)
    if stop is None:
        stop = asyncio.Event()
    producer = await _connect(bootstrap, stop, connect_timeout_s)
    if producer is None:
        return
    start = time.time()
    traffic = PlatformTraffic(seed=seed, start=start, rate=rate, faults=faults)
    active: set[int] = set()
    try:
        emitted = start
        while not stop.is_set():
            now = time.time()
            pending = [await _send(producer, e) for e in traffic.events(emitted, now)]
            emitted = now
            active = _announce(
                console,
                traffic.faults,
                active,
                {i for i, f in enumerate(traffic.faults) if fault_active([f], start, now)},
            )
            if pending:
                await asyncio.gather(*pending)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK_S)
    finally:
        await _close(producer)


async def _close(producer: AIOKafkaProducer) -> None:
    """Flush and close even if cancelled meanwhile (callers often set ``stop`` *and* cancel)."""
    closing = asyncio.ensure_future(producer.stop())
    try:
        await asyncio.shield(closing)
    except asyncio.CancelledError:
        await closing
        raise


async def _connect(bootstrap: str, stop: asyncio.Event, timeout_s: float) -> AIOKafkaProducer | None:
    """A started producer, retrying refused connections until ``timeout_s``; None if stopped first."""
    deadline = time.monotonic() + timeout_s
    while True:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, client_id="vigil-demo", linger_ms=20)
        try:
            await producer.start()
            return producer
        except KafkaConnectionError:
            await producer.stop()
            if time.monotonic() >= deadline:
                raise
        except BaseException:
            await producer.stop()
            raise
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
        if stop.is_set():
            return None


def _announce(console: Console, faults: Sequence[Fault], before: set[int], now: set[int]) -> set[int]:
    """Print one line per fault (by schedule index) that started or ended since the previous tick."""
    for i in sorted(now - before):
        f = faults[i]
        line = f"⚡ fault injected: {f.describe()} for {f.duration_s:g} s"
        console.print(line, style="bold yellow", highlight=False)
    for i in sorted(before - now):
        f = faults[i]
        console.print(f"✓ fault cleared: {f.kind} on {f.target}, recovering", style="bold green", highlight=False)
    return now


async def produce_scenario(bootstrap: str, events: Iterable[DemoEvent], *, batch: int = 1000) -> int:
    """Produce precomputed events as fast as the broker takes them; returns how many were sent.

    Deliveries are awaited every ``batch`` records so memory stays bounded and a
    failure raises here rather than being lost; ``acks="all"`` so that once this
    returns, every record is durably in the log for the test's consumers.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id="vigil-demo-scenario",
        linger_ms=5,
        acks="all",
        max_batch_size=256 * 1024,
    )
    sent = 0
    try:
        await producer.start()
        pending: list[asyncio.Future[object]] = []
        for event in events:
            pending.append(await _send(producer, event))
            if len(pending) >= batch:
                await asyncio.gather(*pending)
                sent += len(pending)
                pending = []
        await asyncio.gather(*pending)
        sent += len(pending)
    finally:
        await _close(producer)
    return sent
