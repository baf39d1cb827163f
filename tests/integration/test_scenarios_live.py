"""Scenario files played live: real records through the broker into two workers of one consumer group.

The same files the pure core plays (tests/unit/incidents/test_scenarios.py)
are produced as real `alerts` records, keyed by correlation domain, with the
Kafka timestamps the scenario gives them (the correlate agent decides on the
record's own time). The incidents the workers publish are read back from the
`incidents` topic and checked with the scenario's own `check_scenario`.

Only scenarios whose ticks may come late are played here: the worker's clock
ticks on wall-clock time, so the scenario is moved to end just before now;
any tick then finds every input in the past, which is what auto-resolve needs.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from correlator.incidents.labels import service_of
from correlator.incidents.scenario import Scenario, check_scenario, scenario_from_mapping
from schemas import Alert, Change, IncidentEvent, decode, encode
from tests.integration.records import read_until
from tests.integration.worker import RunningWorker, running_worker

SCENARIOS = Path(__file__).parents[1] / "scenarios"
LIVE = ["storm-dedup", "topology-root-cause"]


def scenario_ending_now(path: Path) -> Scenario:
    """The scenario as written, moved so that its last moment (`until`) is a minute ago."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    as_written = scenario_from_mapping(data, path)
    span = as_written.until - as_written.start
    return scenario_from_mapping({**data, "start": float(int(time.time() - span - 60))}, path)


async def produce_scenario(worker: RunningWorker, scenario: Scenario) -> None:
    """Every input as a record in file order, keyed by domain, stamped with its scenario time."""
    topology = scenario.settings.topology
    producer = AIOKafkaProducer(bootstrap_servers=worker.bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        for step in scenario.steps:
            record = step.record
            stamp = int(step.at * 1000)
            if isinstance(record, Alert):
                key = topology.domain(service_of(record.labels)).encode()
                await producer.send_and_wait(worker.topics.alerts, encode(record), key=key, timestamp_ms=stamp)
            elif isinstance(record, Change):
                key = record.service.encode()  # the worker re-keys changes by domain itself
                await producer.send_and_wait(worker.topics.changes, encode(record), key=key, timestamp_ms=stamp)
            else:
                raise AssertionError(f"{scenario.name}: only alerts and changes are played live, not {record!r}")
    finally:
        await producer.stop()


async def wait_for_group(bootstrap: str, group: str, members: int, timeout: float = 60.0) -> None:
    """Until the consumer group is Stable with `members` members (both workers share the partitions)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    seen: object = None
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                responses = await admin.describe_consumer_groups([group])
            except KafkaError as exc:  # the coordinator may not be up yet on a fresh broker
                seen, responses = exc, []
            for response in responses:
                for described in response.groups:
                    seen = (described[2], len(described[5]))
                    if seen == ("Stable", members):
                        return
            await asyncio.sleep(0.5)
    finally:
        await admin.close()
    raise AssertionError(f"group {group} not stable with {members} members in {timeout}s; last seen {seen}")


@pytest.mark.parametrize("name", LIVE)
async def test_scenario_live_with_two_workers(kafka_bootstrap: str, tmp_path: Path, name: str) -> None:
    path = SCENARIOS / f"{name}.yaml"
    scenario = scenario_ending_now(path)
    pack = tmp_path / "pack.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8")).get("settings") or {}
    pack.write_text(yaml.safe_dump({"correlation": settings}), encoding="utf-8")

    tag = uuid.uuid4().hex[:8]  # one tag: the same app id (consumer group) and topics for both workers
    with ExitStack() as stack:
        first = stack.enter_context(running_worker(kafka_bootstrap, tmp_path, tag=tag, VIGIL_CONFIG=str(pack)))
        stack.enter_context(
            running_worker(
                kafka_bootstrap,
                tmp_path,
                tag=tag,
                VIGIL_CONFIG=str(pack),
                VIGIL_DATA_DIR=str(tmp_path / f"worker-{tag}-second"),
            )
        )
        await wait_for_group(kafka_bootstrap, f"vigil-{tag}", members=2)
        await produce_scenario(first, scenario)

        def events_of(records: list) -> list[IncidentEvent]:  # type: ignore[type-arg]
            return [decode(IncidentEvent, r.value) for r in records]

        records = await read_until(
            kafka_bootstrap,
            first.topics.incidents,
            lambda rs: check_scenario(scenario, events_of(rs)) == [],
            timeout=90,
        )
        events = events_of(records)
        assert check_scenario(scenario, events) == [], [(e.event, e.incident.group_key, e.notify) for e in events]
        # Nothing more than the scenario expects: no stray incident shows up a little later.
        await asyncio.sleep(3)
        again = await read_until(kafka_bootstrap, first.topics.incidents, lambda rs: False, timeout=3)
        assert check_scenario(scenario, events_of(again)) == []
