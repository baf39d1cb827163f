"""Scenario files played live: real records through the broker into two workers of one consumer group.

The same files the pure core plays (tests/unit/incidents/test_scenarios.py)
are produced as real records (`tests/integration/scenario_player.py`): alerts
keyed by correlation domain, changes keyed by service, commands keyed by
their domain, each with the Kafka timestamp the scenario gives it (the
correlate agent decides on the record's own time). The incidents the
workers publish are read back from the `incidents` topic and checked with
the scenario's own `check_scenario`, except `expect.commands`: the worker
only logs a command's outcome, it publishes none, so a rejected command is
seen live only through the incident events it did not cause.

Two kinds of scenario:

- `LIVE` (tests/scenarios/*.yaml whose outcome does not depend on when a
  tick lands): moved to end a minute ago and produced at once; any tick
  then finds every input in the past, which is what auto-resolve needs.
- `REALTIME` (tests/scenarios/realtime/*.yaml, times in seconds): silence
  expiry, flapping, auto-resolve and reopen depend on the worker's clock,
  which ticks every second on wall-clock time. They are played in real
  time: each input is produced when the wall clock reaches it. Their
  deadlines are at least 2–3 s from the next input, so neither a tick's
  ±1 s nor broker latency can change the outcome. They share one
  `settings` block and have distinct domains, so all of them are played
  at once on one pair of workers. Their live events are also compared with
  the pure core's (`run_scenario`, `tick_every: 1s`): the same incident
  ids, kinds, order and notify flags, input-caused events at the record's
  own time, tick-caused ones at most `TICK_LAG` after the pure tick.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka import AIOKafkaProducer

from correlator.incidents.scenario import Scenario, check_scenario, scenario_from_mapping
from schemas import Change, IncidentEvent, decode
from tests.integration.records import read_until
from tests.integration.scenario_player import (
    IncidentFeed,
    Played,
    live_expectations,
    play_scenario,
    pure_run,
    wait_for_group,
)
from tests.integration.worker import RunningWorker, running_worker

SCENARIOS = Path(__file__).parents[1] / "scenarios"
LIVE = ["storm-dedup", "topology-root-cause"]
REALTIME = sorted((SCENARIOS / "realtime").glob("*.yaml"))
LEAD = 2.0  #: seconds between the start of a real-time run and its first input
SETTLE = 3.0  #: seconds to wait after a run has passed, for stray events that must not come
TICK_LAG = 2.0  #: a live tick lands within a second (plus jitter) after the pure core's tick on the second


def scenario_ending_now(path: Path) -> Scenario:
    """The scenario as written, moved so that its last moment (`until`) is a minute ago."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    as_written = scenario_from_mapping(data, path)
    span = as_written.until - as_written.start
    return scenario_from_mapping({**data, "start": float(int(time.time() - span - 60))}, path)


@contextmanager
def two_workers(bootstrap: str, tmp: Path, settings: dict[str, Any]) -> Iterator[tuple[RunningWorker, str]]:
    """Two `vigil run` workers of one consumer group on the same topics, correlating with `settings`."""
    pack = tmp / "pack.yaml"
    pack.write_text(yaml.safe_dump({"correlation": settings}), encoding="utf-8")
    tag = uuid.uuid4().hex[:8]  # one tag: the same app id (consumer group) and topics for both workers
    with ExitStack() as stack:
        first = stack.enter_context(running_worker(bootstrap, tmp, tag=tag, VIGIL_CONFIG=str(pack)))
        stack.enter_context(
            running_worker(
                bootstrap, tmp, tag=tag, VIGIL_CONFIG=str(pack), VIGIL_DATA_DIR=str(tmp / f"worker-{tag}-second")
            )
        )
        yield first, f"vigil-{tag}"


def render(scenario: Scenario, events: list[IncidentEvent]) -> list[tuple[float, str, str, bool]]:
    """Events as (offset from the scenario's start, incident, event, notify), for failure messages."""
    return [(round(e.ts - scenario.start, 2), e.incident_id, str(e.event), e.notify) for e in events]


# -- scenarios moved into the past, produced at once ------------------------------------------------


@pytest.mark.parametrize("name", LIVE)
async def test_scenario_live_with_two_workers(kafka_bootstrap: str, tmp_path: Path, name: str) -> None:
    path = SCENARIOS / f"{name}.yaml"
    scenario = scenario_ending_now(path)
    settings = yaml.safe_load(path.read_text(encoding="utf-8")).get("settings") or {}
    with two_workers(kafka_bootstrap, tmp_path, settings) as (first, group):
        await wait_for_group(kafka_bootstrap, group, members=2)
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            await play_scenario(scenario, producer, first.topics, realtime=False)
        finally:
            await producer.stop()

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


# -- scenarios played in real time ----------------------------------------------------------------


@dataclass(frozen=True)
class RealtimeRun:
    scenario: Scenario  #: as played (its start moved to the run's start), without expect.commands
    played: Played
    events: list[IncidentEvent]  #: its domain's events, read once every scenario had passed and SETTLE more


def realtime_scenarios(start: float) -> list[Scenario]:
    """Every file under realtime/, starting at `start`; they must agree on settings and not share a domain."""
    datas = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in REALTIME]
    settings = [data.get("settings") or {} for data in datas]
    assert all(s == settings[0] for s in settings), (
        "the real-time scenarios are played on one pair of workers, so they need the same `settings`: "
        + ", ".join(f"{p.name}: {s}" for p, s in zip(REALTIME, settings, strict=True))
    )
    scenarios = [
        live_expectations(scenario_from_mapping({**data, "start": start}, path))
        for path, data in zip(REALTIME, datas, strict=True)
    ]
    assert all(s.tick_every == 1.0 for s in scenarios), "real-time scenarios tick as the worker does: tick_every: 1s"
    domains = [s.domain for s in scenarios]
    assert len(set(domains)) == len(domains), f"real-time scenarios must not share a domain: {domains}"
    return scenarios


@pytest.fixture(scope="module")
async def realtime_runs(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, RealtimeRun]]:
    """All real-time scenarios played at once, in real time, on one pair of workers; by file stem."""
    tmp = tmp_path_factory.mktemp("realtime")
    settings = yaml.safe_load(REALTIME[0].read_text(encoding="utf-8")).get("settings") or {}
    with two_workers(kafka_bootstrap, tmp, settings) as (first, group):
        await wait_for_group(kafka_bootstrap, group, members=2)
        scenarios = realtime_scenarios(float(math.ceil(time.time() + LEAD)))
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, enable_idempotence=True)
        await producer.start()
        try:
            async with IncidentFeed(kafka_bootstrap, first.topics.incidents) as feed:
                played = await asyncio.gather(
                    *(play_scenario(s, producer, first.topics, feed=feed, realtime=True) for s in scenarios)
                )

                def all_pass() -> bool:
                    return all(check_scenario(s, feed.of_domain(s.domain)) == [] for s in scenarios)

                deadline = max(s.until for s in scenarios) + 30
                while not all_pass() and time.time() < deadline:
                    await asyncio.sleep(0.25)
                # Nothing more than the scenarios expect: no stray event after their last moment either.
                await asyncio.sleep(max(0.0, max(s.until for s in scenarios) - time.time()) + SETTLE)
                yield {
                    s.path.stem: RealtimeRun(s, p, feed.of_domain(s.domain))
                    for s, p in zip(scenarios, played, strict=True)
                    if s.path is not None
                }
        finally:
            await producer.stop()


@pytest.mark.parametrize("path", REALTIME, ids=[p.stem for p in REALTIME])
async def test_realtime_scenario_live_with_two_workers(realtime_runs: dict[str, RealtimeRun], path: Path) -> None:
    run = realtime_runs[path.stem]
    problems = check_scenario(run.scenario, run.events)
    assert problems == [], {
        "problems": problems,
        "events": render(run.scenario, run.events),
        "sent late by at most (s)": round(run.played.latest, 3),
    }


def same_as_pure(run: RealtimeRun, *, change_times: bool) -> list[str]:
    """How the live events differ from the pure core's for the same scenario and start.

    Incident ids are a hash of the opening record's time, so they must be
    equal; so must the order, kinds and notify flags. An event caused by an
    input carries that record's time exactly; one caused by a tick may come
    up to `TICK_LAG` later, when the worker's wall-clock tick lands. With
    `change_times` False the time of events caused by a change is not judged.
    """
    pure = pure_run(run.scenario)
    want = [(e.incident_id, str(e.event), e.notify) for e in pure.events]
    got = [(e.incident_id, str(e.event), e.notify) for e in run.events]
    if got != want:
        return [f"events differ: live {got}, pure {want}"]
    problems = []
    for live, expected, cause in zip(run.events, pure.events, pure.causes, strict=True):
        lag = live.ts - expected.ts
        if cause == "tick":
            if not 0 <= lag < TICK_LAG:
                problems.append(f"{live.event} (tick) at +{live.ts - run.scenario.start:.3f}s, {lag:+.3f}s from pure")
        elif (cause == "input" or change_times) and live.ts != expected.ts:
            problems.append(f"{live.event} ({cause}) at +{live.ts - run.scenario.start:.3f}s, {lag:+.3f}s from pure")
    return problems


@pytest.mark.parametrize("path", REALTIME, ids=[p.stem for p in REALTIME])
async def test_realtime_live_run_is_the_pure_run(realtime_runs: dict[str, RealtimeRun], path: Path) -> None:
    """Beyond the expectations: the same events, ids and record times as `run_scenario` with `tick_every: 1s`."""
    run = realtime_runs[path.stem]
    assert same_as_pure(run, change_times=False) == [], render(run.scenario, run.events)


async def test_realtime_events_of_a_change_carry_its_record_time(realtime_runs: dict[str, RealtimeRun]) -> None:
    with_changes = [r for r in realtime_runs.values() if any(isinstance(s.record, Change) for s in r.scenario.steps)]
    assert with_changes, "no real-time scenario has a change"
    for run in with_changes:
        assert same_as_pure(run, change_times=True) == [], render(run.scenario, run.events)
