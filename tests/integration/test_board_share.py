"""Every worker's dashboard shows the whole board, and a restarted worker keeps its sparklines.

Two real workers of one consumer group split the services' shards between them, so each engine knows
only its own share; the `vigil-board` topic carries each worker's tiles to the other. Then one worker is
restarted and its history comes back from the topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer

from tests.integration.scenario_player import wait_for_group
from tests.integration.test_incidents import call
from tests.integration.waiting import eventually
from tests.integration.worker import RunningWorker, running_worker

TOKEN = "viewer-token-0123456789abc"
WAIT = 90.0  #: seconds for each step of the story
SERVICES = [f"svc-{i}" for i in range(8)]  # their keys land on all three partitions
PACK = """
slos:
  - name: uptime
    objective: 99
    period: 6h
    sli: {source: metrics, metric: up, ge: 1}
"""


async def probe(producer: AIOKafkaProducer, topic: str, stop: asyncio.Event) -> None:
    """An `up` = 1 probe from every service each second, as live traffic would send."""
    while not stop.is_set():
        now = time.time()
        for service in SERVICES:
            event = {"ts": now, "service": service, "name": "up", "value": 1.0, "labels": {}}
            await producer.send(topic, orjson.dumps(event), key=service.encode())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def board(worker: RunningWorker) -> dict[str, Any]:
    status, body = call(f"{worker.web}/api/slos", token=TOKEN)
    assert status == 200, body
    return body


def uptime_services(body: dict[str, Any]) -> set[str]:
    return {t["service"] for t in body["slos"] if t["name"] == "uptime" and t["status"] == "ok"}


def points(worker: RunningWorker, service: str) -> list[list[float]]:
    status, body = call(f"{worker.web}/api/series?rule=uptime&service={service}&range=15m", token=TOKEN)
    assert status == 200, body
    return body["points"]


def owned(worker: RunningWorker) -> set[str]:
    """The services this worker's own engine evaluates, from its /metrics."""
    lines = [
        line for line in worker.metrics_text().splitlines() if line.startswith("vigil_slo_error_budget_remaining{")
    ]
    return {s for s in SERVICES if any(f'service="{s}"' in line and 'slo="uptime"' in line for line in lines)}


async def test_each_worker_shows_every_workers_tiles_and_a_restart_keeps_the_history(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK)
    tag = uuid.uuid4().hex[:8]
    env = {"VIGIL_CONFIG": str(pack), "VIGIL_API_TOKENS": f"{TOKEN}:viewer:vera"}
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    stop = asyncio.Event()
    probing: asyncio.Task[None] | None = None
    try:
        with ExitStack() as both:
            first = both.enter_context(running_worker(kafka_bootstrap, tmp_path, tag=tag, **env))
            second = both.enter_context(
                running_worker(kafka_bootstrap, tmp_path, tag=tag, VIGIL_DATA_DIR=str(tmp_path / "second"), **env)
            )
            await wait_for_group(kafka_bootstrap, f"vigil-{tag}", members=2)
            probing = asyncio.create_task(probe(producer, first.topics.metrics, stop))

            await eventually(
                lambda: owned(first) | owned(second) == set(SERVICES),
                "every service evaluated",
                WAIT,
                explain=lambda: (
                    f"{owned(first)=} {owned(second)=}\n{first.metrics_text()[-3000:]}\n{first.log.read_text()[-3000:]}"
                ),
            )
            await eventually(
                lambda: uptime_services(board(first)) == uptime_services(board(second)) == set(SERVICES),
                "both boards show every service",
                WAIT,
            )
            mine, theirs = owned(first), owned(second)
            assert mine and theirs and not mine & theirs, (mine, theirs)  # each engine has only its share
            assert len(board(first)["workers"]) == 2
            await eventually(lambda: len(points(first, SERVICES[0])) >= 2, "two samples of svc-0 in the history", WAIT)
            had = points(first, SERVICES[0])

        # Restart one worker (alone now): the history it had comes back from the topic.
        service = SERVICES[0]
        with running_worker(kafka_bootstrap, tmp_path, tag=tag, **env) as again:
            restarted = time.time()
            await eventually(lambda: service in uptime_services(board(again)), "the restarted worker's board", WAIT)
            after = points(again, service)
            assert [p for p in had if p in after] == had, (had, after)  # not one sample lost
            assert min(ts for ts, _ in after) < restarted
    finally:
        stop.set()
        if probing is not None:
            await probing
        await producer.stop()
