"""The Kafka side of the demo, against a recording stand-in for AIOKafkaProducer (no broker)."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import orjson
import pytest
from rich.console import Console

from vigil.demo import producer as demo_producer
from vigil.demo.__main__ import _parse
from vigil.demo.traffic import Fault, PlatformTraffic


class FakeProducer:
    """Records what would be produced; every send is acknowledged at once."""

    instances: list[FakeProducer] = []

    def __init__(self, **config: Any) -> None:
        self.config = config
        self.records: list[dict[str, Any]] = []
        self.started = self.stopped = False
        FakeProducer.instances.append(self)

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        await asyncio.sleep(0)
        self.stopped = True

    async def send(self, topic: str, value: bytes, key: bytes, timestamp_ms: int) -> asyncio.Future[None]:
        self.records.append({"topic": topic, "value": value, "key": key, "timestamp_ms": timestamp_ms})
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        fut.set_result(None)
        return fut


@pytest.fixture(autouse=True)
def fake_kafka(monkeypatch: pytest.MonkeyPatch) -> type[FakeProducer]:
    FakeProducer.instances = []
    monkeypatch.setattr(demo_producer, "AIOKafkaProducer", FakeProducer)
    return FakeProducer


async def test_produce_scenario_sends_everything_in_order() -> None:
    events = list(PlatformTraffic(seed=1, start=1000.0).events(1000.0, 1010.0))
    assert await demo_producer.produce_scenario("kafka:9092", events, batch=64) == len(events)
    (p,) = FakeProducer.instances
    assert p.started and p.stopped
    assert [r["topic"] for r in p.records] == [e.topic for e in events]
    assert [orjson.loads(r["value"]) for r in p.records] == [e.value for e in events]
    assert all(
        r["key"] == e.key and r["timestamp_ms"] == int(e.value["ts"] * 1000)
        for r, e in zip(p.records, events, strict=True)
    )


async def test_live_loop_stops_on_event_and_announces_faults() -> None:
    out = io.StringIO()
    stop = asyncio.Event()
    faults = (Fault("api_errors", 0.0, 0.3, 0.5),)
    task = asyncio.create_task(
        demo_producer.run_demo_traffic("kafka:9092", stop=stop, faults=faults, console=Console(file=out, width=200))
    )
    await asyncio.sleep(0.9)
    stop.set()
    await asyncio.wait_for(task, 2)
    (p,) = FakeProducer.instances
    assert p.stopped and p.config["linger_ms"] == 20
    assert p.records, "the first ticks produce the start-of-run up probes at least"
    ts = [orjson.loads(r["value"])["ts"] for r in p.records]
    assert ts == sorted(ts)
    text = out.getvalue()
    assert "⚡ fault injected: api_errors on advisor-api (50% failing) for 0.3 s" in text
    assert "fault cleared: api_errors on advisor-api" in text


async def test_live_loop_closes_producer_on_cancel() -> None:
    console = Console(file=io.StringIO())
    task = asyncio.create_task(demo_producer.run_demo_traffic("kafka:9092", faults=(), console=console))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (p,) = FakeProducer.instances
    assert p.stopped


def test_cli_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    args = _parse([])
    assert (args.bootstrap, args.rate, args.seed, args.no_faults) == ("127.0.0.1:9092", 1.0, 7, False)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:29092")
    args = _parse(["--rate", "2.5", "--seed", "3"])
    assert (args.bootstrap, args.rate, args.seed) == ("broker:29092", 2.5, 3)
