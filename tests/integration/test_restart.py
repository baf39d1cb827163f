"""A worker killed in the middle of an alert carries on where it stopped."""

from __future__ import annotations

import uuid
from pathlib import Path

import orjson

from tests.integration.records import produce, read_until
from tests.integration.test_pipeline import latency_events, latency_pack
from tests.integration.worker import running_worker


async def test_restart_mid_breach_neither_refires_nor_loses_the_resolution(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    events = latency_events(10_000, fault=(150.0, 300.0), seconds=500.0)
    first_half = [e for e in events if e["ts"] < events[0]["ts"] + 220]  # type: ignore[operator]
    second_half = events[len(first_half) :]

    tag = uuid.uuid4().hex[:8]  # the same worker twice: same app id, topics and data dir

    def statuses(records: list) -> list[str]:  # type: ignore[type-arg]
        return [orjson.loads(r.value)["status"] for r in records]

    with running_worker(kafka_bootstrap, tmp_path, tag=tag, VIGIL_CONFIG=latency_pack(tmp_path)) as worker:
        await produce(worker.bootstrap, ((worker.topics.metrics, b"advisor-api", orjson.dumps(e)) for e in first_half))
        await read_until(worker.bootstrap, worker.topics.alerts, lambda rs: "firing" in statuses(rs), timeout=60)
    # The worker is gone (SIGTERM); its windows and alert state live only in the changelog now.
    with running_worker(kafka_bootstrap, tmp_path, tag=tag, VIGIL_CONFIG=latency_pack(tmp_path)) as worker:
        await produce(worker.bootstrap, ((worker.topics.metrics, b"advisor-api", orjson.dumps(e)) for e in second_half))
        records = await read_until(
            worker.bootstrap, worker.topics.alerts, lambda rs: "resolved" in statuses(rs), timeout=90
        )
        alerts = [orjson.loads(r.value) for r in records]
        assert worker.metric("vigil_events_late_total") == 0
    changes = [a["status"] for i, a in enumerate(alerts) if i == 0 or a["status"] != alerts[i - 1]["status"]]
    assert changes == ["firing", "resolved"], [(a["status"], a["event_ts"]) for a in alerts]
    assert len({a["starts_at"] for a in alerts}) == 1  # the same alert all along, not a second one
