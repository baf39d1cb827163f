"""Playing scenario files live: their inputs as real records, their incidents read back from the broker.

`play_scenario` produces a scenario's inputs the way Vigil's own producers
do: alerts on `alerts` keyed by correlation domain, changes on `changes`
keyed by service (the worker re-keys them by domain), and commands on
`commands` keyed by the command's domain (as the worker's `send_command`
does for the HTTP API). Every record carries its scenario time as its
Kafka timestamp, which is the time the correlate agent decides on.

Two ways to play:

- all at once (`realtime=False`), for scenarios moved into the past, whose
  outcome does not depend on when the worker's wall-clock ticks land;
- in real time (`realtime=True`): each input is produced when the wall
  clock reaches its time, so the worker's own 1 s ticks (auto-resolve,
  silence expiry, flap stabilisation) fall between the inputs as the pure
  core's `tick_every: 1s` ticks do. Explicit `tick: true` steps need no
  record: the worker ticks by itself.

A command names its incident by group key; live, the id is looked up in
what the workers published on `incidents` so far (`IncidentFeed`), as a
person would find it through the API's read model.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from correlator.incidents import CorrelationSettings, IncidentBook
from correlator.incidents.labels import group_key, service_of
from correlator.incidents.scenario import Scenario, bind_command, run_scenario
from schemas import Alert, Change, Command, IncidentEvent, IncidentStatus, decode, encode
from streams.settings import Topics

__all__ = [
    "IncidentFeed",
    "Played",
    "PureRun",
    "live_expectations",
    "play_scenario",
    "pure_run",
    "wait_for_group",
]

LOOKUP_GRACE = 0.5  #: how long a command waits for its incident to show up on `incidents` before it is sent unbound


class IncidentFeed:
    """Every record of an `incidents` topic from the start, decoded, as the workers publish them.

    Reads without a consumer group in the background; `events` grows while
    it runs. Use as an async context manager.
    """

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.events: list[IncidentEvent] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> IncidentFeed:
        self._consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await self._consumer.start()
        self._task = asyncio.create_task(self._follow(self._consumer))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                self.events.extend(decode(IncidentEvent, record.value) for record in batch)

    def of_domain(self, domain: str) -> list[IncidentEvent]:
        return [e for e in self.events if e.incident.domain == domain]

    def incident_for_group(self, scenario: Scenario, key: str, now: float) -> str | None:
        """What `IncidentBook.incident_for_group` would answer at `now`, from the published incidents:
        the latest-opened incident of the domain holding alerts of group `key`, unless it was resolved
        longer than the reopen window ago (the book has forgotten it then)."""
        latest = {e.incident_id: e.incident for e in self.of_domain(scenario.domain)}
        group_by = scenario.settings.group_by
        candidates = [
            snapshot
            for snapshot in latest.values()
            if snapshot.group_key == key or any(group_key(d.labels, group_by) == key for d in snapshot.alert_details)
        ]
        if not candidates:
            return None
        found = max(candidates, key=lambda s: s.opened_at)
        resolved_at = found.resolved_at
        forgotten = resolved_at is not None and now - resolved_at > scenario.settings.reopen_window
        return None if found.status == IncidentStatus.RESOLVED and forgotten else found.id


@dataclass
class Played:
    """What the player did: how late (wall clock after the input's time) each record went out."""

    scenario: Scenario
    late: list[tuple[float, float]] = field(default_factory=list)  #: (scenario offset, seconds late)
    commands: list[Command] = field(default_factory=list)  #: as sent, with their incident ids

    @property
    def latest(self) -> float:
        return max((late for _, late in self.late), default=0.0)


async def play_scenario(
    scenario: Scenario,
    producer: AIOKafkaProducer,
    topics: Topics,
    *,
    feed: IncidentFeed | None = None,
    realtime: bool,
) -> Played:
    """Produce the scenario's inputs in file order; in real time, each when the wall clock reaches it."""
    topology = scenario.settings.topology
    played = Played(scenario)
    for step in scenario.steps:
        if realtime:
            await asyncio.sleep(max(0.0, step.at - time.time()))
        record = step.record
        stamp = round(step.at * 1000)
        if record is None:
            if not realtime:
                raise AssertionError(f"{scenario.name}: an explicit tick can only be played in real time")
            continue  # the worker's clock ticks by itself
        if isinstance(record, Alert):
            key = topology.domain(service_of(record.labels)).encode()
            await producer.send_and_wait(topics.alerts, encode(record), key=key, timestamp_ms=stamp)
        elif isinstance(record, Change):
            key = record.service.encode()  # the worker re-keys changes by domain itself
            await producer.send_and_wait(topics.changes, encode(record), key=key, timestamp_ms=stamp)
        else:
            if not realtime or feed is None:
                raise AssertionError(f"{scenario.name}: commands are played in real time only, with a feed")
            incident_id = None
            if step.incident_group is not None:
                incident_id = await _look_up(feed, scenario, step.incident_group, step.at)
            command = bind_command(step, scenario.domain, lambda _key, found=incident_id: found)
            played.commands.append(command)
            key = command.domain.encode()
            await producer.send_and_wait(topics.commands, encode(command), key=key, timestamp_ms=stamp)
        played.late.append((step.at - scenario.start, time.time() - step.at))
    return played


async def _look_up(feed: IncidentFeed, scenario: Scenario, key: str, at: float) -> str | None:
    """The incident id for group `key`; waits briefly in case its event is still on the way."""
    deadline = time.monotonic() + LOOKUP_GRACE
    while True:
        found = feed.incident_for_group(scenario, key, at)
        if found is not None or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class PureRun:
    """The scenario through the pure core, with the cause of each event: `tick`, `change` or `input`."""

    events: list[IncidentEvent]
    causes: list[str]


class _CauseBook(IncidentBook):
    """An IncidentBook that remembers which of its events a tick or a change caused."""

    def __init__(self, settings: CorrelationSettings, domain: str) -> None:
        super().__init__(settings, domain)
        self.caused: dict[int, str] = {}

    def tick(self, now: float) -> list[IncidentEvent]:
        out = super().tick(now)
        self.caused.update((id(e), "tick") for e in out)
        return out

    def on_change(self, change: Change, now: float) -> list[IncidentEvent]:
        out = super().on_change(change, now)
        self.caused.update((id(e), "change") for e in out)
        return out


def pure_run(scenario: Scenario) -> PureRun:
    """`run_scenario` on a fresh book for the scenario's domain, telling which events ticks and changes caused."""
    book = _CauseBook(scenario.settings, scenario.domain)
    events = run_scenario(scenario, book).events
    return PureRun(events, [book.caused.get(id(e), "input") for e in events])


def live_expectations(scenario: Scenario) -> Scenario:
    """The scenario without `expect.commands`: the worker only logs command outcomes, it publishes none."""
    return replace(scenario, expect={k: v for k, v in scenario.expect.items() if k != "commands"})


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
