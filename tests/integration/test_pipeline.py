"""End to end on a real broker: events in, alerts and dead letters out."""

from __future__ import annotations

import random
from pathlib import Path

import orjson
import pytest

from tests.integration.records import produce, read_until
from tests.integration.worker import running_worker

T0 = 1_700_000_000.0


def latency_events(n: int, *, fault: tuple[float, float], seconds: float, seed: int = 1) -> list[dict[str, object]]:
    """`n` API latency samples spread over `seconds` of event time, slow inside `fault`."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        offset = i * seconds / n
        slow = fault[0] <= offset < fault[1]
        latency = rng.lognormvariate(0.4, 0.2) if slow else rng.lognormvariate(-2.0, 0.3)
        events.append(
            {
                "ts": T0 + offset,
                "service": "advisor-api",
                "name": "http_request_duration_seconds",
                "value": latency,
                "labels": {"route": rng.choice(["/v1/advice", "/v1/quotes"]), "status": "200"},
            }
        )
    return events


#: The one rule these tests are about (the default pack adds SLO burn-rate alerts on top).
LATENCY_PACK = """
rules:
  - name: ApiLatencyP95High
    source: metrics
    metric: http_request_duration_seconds
    aggregation: p95
    op: ">"
    threshold: 0.5
    window: 30s
    for: 20s
    severity: high
    annotations: {summary: "{service} P95 latency {value:.3f}s exceeds {threshold}s"}
"""


def latency_pack(tmp_path: Path) -> str:
    path = tmp_path / "latency.yaml"
    path.write_text(LATENCY_PACK)
    return str(path)


@pytest.fixture
def worker(kafka_bootstrap: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=latency_pack(tmp_path)) as w:
        yield w


async def test_latency_fault_fires_once_then_resolves(worker) -> None:  # type: ignore[no-untyped-def]
    events = latency_events(10_000, fault=(150.0, 300.0), seconds=500.0)
    sent = await produce(worker.bootstrap, ((worker.topics.metrics, b"advisor-api", orjson.dumps(e)) for e in events))
    assert sent == 10_000

    def resolved(records: list) -> bool:  # type: ignore[type-arg]
        return any(orjson.loads(r.value)["status"] == "resolved" for r in records)

    records = await read_until(worker.bootstrap, worker.topics.alerts, resolved, timeout=90)
    alerts = [orjson.loads(r.value) for r in records]
    # One alert: its firing transition, periodic refreshes of it (same starts_at), then its resolution.
    transitions = [a for i, a in enumerate(alerts) if i == 0 or a["status"] != alerts[i - 1]["status"]]
    assert [(a["rule"], a["status"]) for a in transitions] == [
        ("ApiLatencyP95High", "firing"),
        ("ApiLatencyP95High", "resolved"),
    ], alerts
    assert len({(a["fingerprint"], a["starts_at"]) for a in alerts}) == 1
    firing, resolution = transitions
    assert firing["fingerprint"] == resolution["fingerprint"]
    assert firing["labels"]["service"] == "advisor-api"
    assert firing["value"] > 0.5
    # Fires after the breach has held for `for` (20 s) past the first breaching window.
    assert T0 + 150 < firing["event_ts"] <= T0 + 150 + 30 + 20 + 10
    assert T0 + 300 <= resolution["event_ts"] <= T0 + 300 + 40
    assert worker.metric("vigil_events_in_total", topic=worker.topics.metrics) == 10_000
    assert worker.metric("vigil_events_invalid_total", topic=worker.topics.metrics) == 0
    assert worker.metric("vigil_events_late_total") == 0  # a catch-up of 500 s in one go loses nothing


MALFORMED: list[tuple[str, bytes, str]] = [
    # (topic family, raw bytes, field the reason must name)
    ("metrics", b"{not json", "$"),
    ("metrics", b'{"ts": 1700000000.0, "service": "a", "name": "m", "value": "fast"}', "$.value"),
    ("metrics", b'{"ts": 1700000000.0, "service": "a", "value": 1.0}', "$.name"),
    ("metrics", b'{"ts": 1700000000.0, "service": "a", "name": "m", "value": 1e400}', "$.value"),
    ("metrics", b"\xff\xfe\x00garbage", "$"),
    ("metrics", b'{"ts": 1700000000.0, "service": "' + b"x" * 70_000 + b'", "name": "m", "value": 1}', "$"),
    ("logs", b'{"ts": 1700000000.0, "service": "a", "level": "loud", "message": "hi"}', "$.level"),
    (
        "receipts",
        b'{"ts": 1700000000.0, "service": "w", "message_id": "m1", "channel": "whatsapp", '
        b'"provider": "meta", "status": "lost"}',
        "$.status",
    ),
]


async def test_malformed_records_go_to_deadletter_and_valid_ones_still_count(worker) -> None:  # type: ignore[no-untyped-def]
    topics = {"metrics": worker.topics.metrics, "logs": worker.topics.logs, "receipts": worker.topics.receipts}
    valid = {
        "metrics": lambda i: {
            "ts": T0 + i,
            "service": "advisor-api",
            "name": "http_request_duration_seconds",
            "value": 0.1,
            "labels": {"status": "200"},
        },
        "logs": lambda i: {"ts": T0 + i, "service": "advisor-api", "level": "info", "message": f"ok {i}"},
        "receipts": lambda i: {
            "ts": T0 + i,
            "service": "whatsapp-gateway",
            "message_id": f"m{i}",
            "channel": "whatsapp",
            "provider": "meta",
            "status": "delivered",
        },
    }
    stream: list[tuple[str, bytes | None, bytes]] = []
    expected_valid = {"metrics": 0, "logs": 0, "receipts": 0}
    for i, (family, raw, _) in enumerate(MALFORMED):
        for j in range(3):  # valid neighbours before and after every bad record
            stream.append((topics[family], b"k", orjson.dumps(valid[family](i * 10 + j))))
            expected_valid[family] += 1
        stream.append((topics[family], b"bad", raw))
    await produce(worker.bootstrap, stream)

    dead = await read_until(
        worker.bootstrap, worker.topics.deadletter, lambda rs: len(rs) >= len(MALFORMED), timeout=60
    )
    assert len(dead) == len(MALFORMED)
    by_value = {r.value: r for r in dead}
    for family, raw, field in MALFORMED:
        record = by_value[raw]  # the original bytes, untouched
        headers = {k: v.decode() for k, v in record.headers}
        assert headers["vigil.deadletter.topic"] == topics[family]
        assert headers["vigil.deadletter.field"] == field, headers
        assert headers["vigil.deadletter.reason"], headers
        assert int(headers["vigil.deadletter.offset"]) >= 0
        assert record.key == b"bad"

    # Every valid record around the bad ones was folded: partial counts add up per family.
    def counted(records: list) -> dict[str, int]:  # type: ignore[type-arg]
        totals = {"metrics": 0, "logs": 0, "receipts": 0}
        for r in records:
            p = orjson.loads(r.value)
            # Watermarks have no series; derived series (delivery outcomes, log patterns) count again.
            if "series" in p and p["series"][2] in ("http_request_duration_seconds", "log_events", "delivery_receipts"):
                totals[p["series"][0]] += p["count"]
        return totals

    partials = await read_until(
        worker.bootstrap, worker.topics.partials, lambda rs: counted(rs) == expected_valid, timeout=60
    )
    assert counted(partials) == expected_valid
    for family in topics:
        assert worker.metric("vigil_events_invalid_total", topic=topics[family]) == sum(
            1 for f, _, _ in MALFORMED if f == family
        )
