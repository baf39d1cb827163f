"""Two workers with one name: the newer one fences the older one's ingest, and the older one stops.

The ingest producer's transactional id is `<app id>-ingest-<worker name>`
(streams/ingest.py). A second process started under the same name (same
app id, same `VIGIL_WORKER_NAME`) takes that id over: Kafka fences the
first producer, its next transaction fails with `ProducerFenced`, and the
IngestLoop crashes the worker rather than fail every flush forever. The
newer worker keeps ingesting, on every source partition once the older one
has left the group.

How the older one stops (mode): `Service.crash` marks every service up to the
Worker as crashed, the Worker stops them all (both consumers leave their
groups), then re-raises the ProducerFenced, and `execute_from_commandline`
exits with status 1, about a second after the refused transaction.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import orjson

from tests.integration.records import produce
from tests.integration.worker import RunningWorker, running_worker

SERVICES = [f"svc-{i}" for i in range(12)]  #: keys that spread over every partition of the metrics topic


def metric_events(topic: str, n: int) -> list[tuple[str, bytes, bytes]]:
    """`n` valid MetricSamples stamped now, round-robin over SERVICES."""
    now = time.time()
    records = []
    for i in range(n):
        service = SERVICES[i % len(SERVICES)]
        sample = {
            "v": 1,
            "ts": round(now + i / 1000, 3),
            "service": service,
            "name": "http_request_duration_seconds",
            "value": 0.05,
            "labels": {"route": "/v1/x", "method": "GET", "status": "200"},
        }
        records.append((topic, service.encode(), orjson.dumps(sample)))
    return records


async def wait_for_metric(worker: RunningWorker, name: str, above: float, *, timeout: float, feed: int = 0) -> float:
    """Poll `name` on `worker` until it exceeds `above`, producing `feed` more events each round; its last value."""
    deadline = time.monotonic() + timeout
    value = worker.metric(name)
    while value <= above and time.monotonic() < deadline:
        if feed:
            await produce(worker.bootstrap, metric_events(worker.topics.metrics, feed))
        await asyncio.sleep(0.5)
        value = worker.metric(name)
    assert value > above, f"{name} stayed at {value} (<= {above}) for {timeout}s:\n{worker.log.read_text()[-4000:]}"
    return value


async def test_the_older_of_two_same_named_workers_is_fenced_and_stops(kafka_bootstrap: str, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:8]  # one tag: the same app id (groups, transactional id prefix) and topics for both
    name = f"fence-{tag}"
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    with ExitStack() as stack:
        first = stack.enter_context(
            running_worker(kafka_bootstrap, tmp_path / "first", tag=tag, VIGIL_WORKER_NAME=name)
        )
        assert first.proc is not None
        # The first worker's ingest commits at least one transaction under the shared id.
        await wait_for_metric(first, "vigil_partials_out_total", 0, timeout=60, feed=60)

        second = stack.enter_context(
            running_worker(kafka_bootstrap, tmp_path / "second", tag=tag, VIGIL_WORKER_NAME=name)
        )
        fenced_at = time.monotonic()
        # Keep events coming: the first worker's next flush (on its timer or when the group takes its
        # partitions away) is the transaction Kafka refuses.
        deadline = fenced_at + 90
        while first.proc.poll() is None and time.monotonic() < deadline:
            await produce(kafka_bootstrap, metric_events(first.topics.metrics, 30))
            await asyncio.sleep(0.5)
        log = first.log.read_text(errors="replace")
        assert first.proc.poll() is not None, f"the fenced worker still runs after 90 s:\n{log[-6000:]}"
        stopped_after = time.monotonic() - fenced_at
        assert "ingest fenced by a newer worker named" in log, log[-6000:]
        assert f"'vigil-{tag}-ingest-{name}'" in log, log[-6000:]
        assert first.proc.returncode != 0, (
            f"exit code {first.proc.returncode} after {stopped_after:.1f}s:\n{log[-6000:]}"
        )

        # The newer worker is unharmed: it was not fenced, and it keeps reading and handing partials on.
        assert second.proc is not None and second.proc.poll() is None
        assert "fenced" not in second.log.read_text(errors="replace")
        events = second.metric("vigil_events_in_total")
        partials = second.metric("vigil_partials_out_total")
        await wait_for_metric(second, "vigil_events_in_total", events, timeout=60, feed=60)
        await wait_for_metric(second, "vigil_partials_out_total", partials, timeout=60, feed=60)
