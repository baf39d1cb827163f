"""A real Prometheus scrapes a real worker and a PromQL query returns the P95 Vigil computed.

The latencies are a fixed cycle of 100 values, 5 s long at 20 samples/s, so
every rule window (30 s, aligned to the 10 s base windows) holds whole
cycles and its exact P95 is known in advance: the cycle puts 8 of its 100
values at exactly 0.300 s, ranks 90 to 97, so any definition of the 95th
percentile lands on 0.300 s. Vigil's sketch promises 1 % relative accuracy.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.prometheus import Vector, prometheus_binary, running_prometheus, scalar
from tests.integration.records import produce
from tests.integration.worker import RunningWorker, running_worker

T0 = 1_700_000_000.0  # a multiple of 10 s and 5 s: base windows and cycles line up
RATE = 20  # samples per second of event time
SECONDS = 120  # of event time, produced in one go: several 30 s rule windows close
RULE = "ApiLatencyP95High"
RULE_WINDOW = 30.0
BASE_WINDOW = 10.0
LATENESS = 5.0
SERVICE = "advisor-api"
ACCURACY = 0.0101  # the sketch's 1 % relative accuracy, plus a hair


def latency_cycle() -> list[float]:
    """100 latencies (one 5 s cycle): 90 fast ones, 8 at the P95 plateau, 2 slow ones; shuffled."""
    values = [0.050 + 0.001 * k for k in range(90)] + [0.300] * 8 + [0.900, 1.200]
    random.Random(3).shuffle(values)
    return values


def samples() -> list[tuple[float, float]]:
    cycle = latency_cycle()
    return [(T0 + i / RATE, cycle[i % len(cycle)]) for i in range(SECONDS * RATE)]


def exact_p95(values: list[float]) -> float:
    """The P95 of `values`, insisting that the usual definitions agree (the data is built so they do)."""
    ordered = sorted(values)
    n = len(ordered)
    rank = 0.95 * (n - 1)
    lower, upper = ordered[int(rank)], ordered[min(int(rank) + 1, n - 1)]  # linear interpolation's ends
    nearest = ordered[max(0, -(-95 * n // 100) - 1)]  # nearest rank: the ceil(0.95 n)-th value
    assert lower == upper == nearest, (lower, upper, nearest)
    return lower


def closed_rule_windows(events: list[tuple[float, float]]) -> list[list[float]]:
    """The values of every rule range the engine evaluates, given the watermark the data allows."""
    watermark = max(ts for ts, _ in events) - LATENESS
    ranges = []
    end = T0 + BASE_WINDOW
    while end <= watermark:
        ranges.append([v for ts, v in events if end - RULE_WINDOW <= ts < end])
        end += BASE_WINDOW
    return ranges


def worker_samples(worker: RunningWorker, name: str, **labels: str) -> list[float]:
    """Values of the samples of `name` on the worker's /metrics whose labels include `labels`."""
    return [
        sample.value
        for family in text_string_to_metric_families(worker.metrics_text())
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    ]


def wait_until(what: str, check: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"after {timeout}s, still waiting for {what}: {describe()}")
        time.sleep(0.5)


async def test_promql_returns_the_p95_vigil_computed(kafka_bootstrap: str, tmp_path: Path) -> None:
    try:
        prometheus_binary()
    except RuntimeError as exc:  # fail, never skip: a skipped test would look green while testing nothing
        pytest.fail(str(exc), pytrace=False)
    events = samples()
    windows = closed_rule_windows(events)
    assert len(windows) >= 8  # several rule windows close, the early ones partly filled
    p95s = {exact_p95(w) for w in windows}
    assert p95s == {0.300}, p95s  # stationary: every window has the same exact P95
    exact = p95s.pop()

    with running_worker(kafka_bootstrap, tmp_path) as worker:
        target = worker.web.removeprefix("http://")
        with running_prometheus([target], tmp_path, scrape_interval="1s") as prom:
            topic = worker.topics.metrics
            sent = await produce(
                worker.bootstrap,
                (
                    (
                        topic,
                        SERVICE.encode(),
                        orjson.dumps(
                            {
                                "ts": ts,
                                "service": SERVICE,
                                "name": "http_request_duration_seconds",
                                "value": value,
                                "labels": {"route": "/v1/advice", "status": "200"},
                            }
                        ),
                    )
                    for ts, value in events
                ),
            )
            assert sent == len(events)

            # 1. Vigil itself: every event read, and the rule's P95 gauge set.
            gauge = {"rule": RULE, "service": SERVICE}
            await asyncio.to_thread(
                wait_until,
                "the worker to read every event and evaluate the rule",
                lambda: (
                    worker.metric("vigil_events_in_total", topic=topic) == len(events)
                    and len(worker_samples(worker, "vigil_rule_value", **gauge)) == 1
                ),
                90,
                lambda: (
                    f"vigil_events_in_total={worker.metric('vigil_events_in_total', topic=topic)} "
                    f"of {len(events)}, vigil_rule_value{gauge}={worker_samples(worker, 'vigil_rule_value', **gauge)}"
                    f"\nworker log:\n{worker.log.read_text()[-3000:]}"
                ),
            )
            (vigil_p95,) = worker_samples(worker, "vigil_rule_value", **gauge)
            assert abs(vigil_p95 - exact) <= ACCURACY * exact, (vigil_p95, exact)

            # 2. Prometheus, through PromQL: the same number, scraped.
            selector = f'vigil_rule_value{{rule="{RULE}",service="{SERVICE}"}}'

            def equals(value: float) -> Callable[[Vector], bool]:
                return lambda result: len(result) == 1 and scalar(result) == value

            result = await asyncio.to_thread(prom.wait_for, selector, equals(vigil_p95), 60)
            assert scalar(result) == vigil_p95
            assert result[0]["metric"]["job"] == "vigil"
            # Still what Vigil reports now (the data is stationary, so the gauge stays put).
            assert worker_samples(worker, "vigil_rule_value", **gauge) == [vigil_p95]
            assert abs(scalar(result) - exact) <= ACCURACY * exact

            # 3. An independent check: Prometheus counted every produced event.
            counted = await asyncio.to_thread(
                prom.wait_for, f'vigil_events_in_total{{topic="{topic}"}}', equals(float(len(events))), 60
            )
            assert scalar(counted) == len(events)
            assert scalar(prom.query(f'up{{instance="{target}"}}')) == 1
