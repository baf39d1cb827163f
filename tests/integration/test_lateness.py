"""Event time on a real broker: an event inside the allowed lateness lands in its window; a later one is dropped and counted."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from tests.integration.records import produce, read_until
from tests.integration.worker import running_worker

T0 = 1_700_000_000.0

#: Fires on any window whose maximum exceeds 5 s, the moment that window closes.
SPIKE_PACK = """
settings: {window: 10s, allowed_lateness: 5s}
rules:
  - name: LatencySpike
    source: metrics
    metric: http_request_duration_seconds
    aggregation: max
    op: ">"
    threshold: 5
    window: 10s
    severity: high
"""


def sample(offset: float, value: float) -> bytes:
    return orjson.dumps(
        {"ts": T0 + offset, "service": "advisor-api", "name": "http_request_duration_seconds", "value": value}
    )


async def test_late_event_inside_lateness_changes_its_window_and_later_ones_are_counted(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    pack = tmp_path / "spike.yaml"
    pack.write_text(SPIKE_PACK)
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(pack), VIGIL_FLUSH_INTERVAL="0.2") as worker:
        topic = worker.topics.metrics

        async def send(*values: bytes) -> None:
            await produce(worker.bootstrap, ((topic, b"advisor-api", v) for v in values))
            await asyncio.sleep(1.5)  # let ingest flush: the next records come in a later flush

        # Up to 103.9 s: window [90,100) has ended, but stays open for the 5 s of allowed lateness.
        await send(*(sample(t / 10, 0.1) for t in range(0, 1040)))
        await send(sample(97.0, 9.0))  # 6.9 s behind the newest event: late, but inside the lateness
        await send(*(sample(t / 10, 0.1) for t in range(1040, 1300)))  # event time moves on: [90,100) closes
        await send(sample(42.0, 9.0))  # window [40,50) closed long ago: dropped, counted
        await send(*(sample(t / 10, 0.1) for t in range(1300, 1400)))

        records = await read_until(worker.bootstrap, worker.topics.alerts, lambda rs: len(rs) >= 2, timeout=60)
        alerts = [orjson.loads(r.value) for r in records]
        assert [(a["status"], a["event_ts"] - T0) for a in alerts[:2]] == [("firing", 100.0), ("resolved", 110.0)]
        assert alerts[0]["value"] == 9.0
        assert worker.metric("vigil_events_late_total", topic=topic) == 1
