"""`vigil replay` on the real broker: a range of demo traffic with a fault, replayed group-less and deterministically."""

from __future__ import annotations

import math
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from correlator.config import load_packs
from correlator.replay import ReplayRecord, build_report, merge_partitions, report_bytes
from tests.integration.kafka_helpers import create_topic, delete_topics
from tests.integration.records import read_until
from vigil.demo.producer import produce_scenario
from vigil.demo.traffic import DemoEvent, Fault, PlatformTraffic
from vigil.replay import live_replayer, records_from_events

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "packs" / "demo.yaml"
SECONDS = 600.0
FAMILIES = ("logs", "metrics", "receipts", "changes", "commands")


def vigil_replay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigil.cli", "replay", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


async def groups(admin: AIOKafkaAdminClient) -> set[str]:
    return {str(g[0]) for g in await admin.list_consumer_groups()}


async def test_replay_of_a_fault_from_kafka(
    kafka_bootstrap: str, kafka_admin: AIOKafkaAdminClient, tmp_path: Path
) -> None:
    prefix = f"r{uuid.uuid4().hex[:8]}-"
    topics = [prefix + family for family in FAMILIES]
    for topic in topics:
        await create_topic(kafka_admin, topic, 3)
    published = f"{prefix}replayed-incidents"
    try:
        t0 = math.floor(time.time()) - 1800.0  # recent enough for retention, in the past like any postmortem
        traffic = PlatformTraffic(seed=11, start=t0, faults=(Fault("api_latency", 120.0, 120.0, 1.5),))
        events = list(traffic.events(t0, t0 + SECONDS))
        await produce_scenario(kafka_bootstrap, (DemoEvent(prefix + e.topic, e.key, e.value) for e in events))
        deploy = {
            "id": "deploy-42",
            "kind": "deploy",
            "service": "advisor-api",
            "version": "1.4.2",
            "author": "bruno@example.com",
            "ts": t0 + 100.0,
            "link": "https://ci.example.com/deploys/42",
        }
        extras = [  # (family, partition, time offset, bytes)
            ("changes", 0, 100.0, orjson.dumps(deploy)),
            ("metrics", 0, 50.25, b"{not json"),
            ("logs", 1, 60.5, b'{"ts": 1, "service": "a", "level": "loud", "message": "m"}'),
        ]
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
        await producer.start()
        try:
            for family, partition, at, raw in extras:
                await producer.send_and_wait(
                    prefix + family, raw, key=b"advisor-api", partition=partition, timestamp_ms=int((t0 + at) * 1000)
                )
        finally:
            await producer.stop()
        before = await groups(kafka_admin)

        common = ["--bootstrap", kafka_bootstrap, "--prefix", prefix, "--config", str(PACK)]
        common += ["--from", str(t0), "--to", str(t0 + SECONDS)]
        first = vigil_replay(*common, "--out", str(tmp_path / "a"), "--publish", published)
        assert first.returncode == 0, first.stderr
        second = vigil_replay(*common, "--out", str(tmp_path / "b"))
        assert second.returncode == 0, second.stderr
        raw = (tmp_path / "a" / "report.json").read_bytes()
        assert raw == (tmp_path / "b" / "report.json").read_bytes()
        assert "× real time" in first.stdout and "1 incident" in first.stdout, first.stdout

        report = orjson.loads(raw)
        assert report["complete"] is True
        assert report["sources"] == ["logs", "metrics", "receipts"]
        stats = report["stats"]
        assert stats["events"] == len(events) + 2 and stats["changes"] == 1
        assert stats["dead_lettered"] == 2 and stats["late"] == 0
        assert {(d["topic"], d["field"]) for d in report["dead_letters"]} == {("metrics", "$"), ("logs", "$.level")}
        run = report["runs"]["current"]
        (incident,) = run["incidents"]
        assert incident["root_cause"] == "postgres"  # advisor-api's latency joined by postgres' lock waits
        assert incident["services"] == ["advisor-api", "postgres"]
        assert incident["status"] == "resolved"
        fired = {(a["rule"], a["labels"]["service"]) for a in run["alerts"] if a["status"] == "firing"}
        assert {("ApiLatencyP95High", "advisor-api"), ("PostgresLockWaits", "postgres")} <= fired
        assert {a["alertname"] for a in incident["alerts"]} >= {"ApiLatencyP95High", "PostgresLockWaits"}
        assert t0 + 120 <= incident["first_breach_at"] < incident["detected_at"] < t0 + 240
        assert incident["suspects"] and "1.4.2" in incident["suspects"][0]
        assert {n["receiver"] for n in incident["notifications"]} >= {"console", "oncall-pager"}
        assert any(e["kind"] == "escalated" for e in incident["timeline"])
        assert (tmp_path / "a" / "timing.json").exists()

        # The Kafka side changes nothing: the same records fed in memory give the same report.
        offsets: dict[tuple[str, int], int] = {}
        memory = []
        for record in records_from_events(events):
            memory.append(record)
            offsets[(record.family, record.partition)] = record.offset + 1
        for family, partition, at, value in extras:
            offset = offsets.get((family, partition), 0)
            offsets[(family, partition)] = offset + 1
            memory.append(ReplayRecord(family, partition, offset, int((t0 + at) * 1000) / 1000, b"advisor-api", value))
        replayer = live_replayer(load_packs([PACK]), from_ts=t0, to_ts=t0 + SECONDS)
        replayer.run(merge_partitions(memory))
        in_memory = build_report(replayer, sources=["logs", "metrics", "receipts"], config=[str(PACK)])
        assert report_bytes(in_memory) == raw

        # Group-less: no consumer group appeared; the replayed incidents went where they were told.
        assert await groups(kafka_admin) - before == set()
        records = await read_until(kafka_bootstrap, published, lambda rs: len(rs) >= len(replayer.events), timeout=30)
        assert len(records) == len(replayer.events)
        assert {r.key.decode() for r in records} == {incident["id"]}
    finally:
        await delete_topics(kafka_admin, [*topics, published])
