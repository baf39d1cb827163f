"""The correlate agent: alerts, changes and people's commands in, incident events out.

`alerts`, `commands` and the re-keyed changes are all keyed by correlation
domain (the connected part of the service map), so everything that may
belong to one incident meets in one partition, and the agent owning that
partition is the single writer of its incidents. Decisions are made by
`correlator.incidents.IncidentBook`; this module only moves records and
keeps each domain's book in a changelog-backed table.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import faust
import orjson

from correlator.incidents import CorrelationSettings, IncidentBook
from schemas import Alert, Change, Command, IncidentEvent, SchemaError, decode, encode
from streams.api import ALL_DOMAINS  # a command for every domain (silences), sent to every partition
from streams.settings import Settings
from streams.tables import partitioner_ready

__all__ = ["install_correlation"]

log = logging.getLogger("vigil.incidents")

_MAX_BROADCASTS = 1000


def install_correlation(
    app: faust.App, settings: Settings, correlation: CorrelationSettings, *, alerts_topic: str
) -> None:
    topics = settings.topics
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    incidents = app.topic(topics.incidents, **raw)
    changes = app.topic(topics.changes, **raw)
    changes_by_domain = app.topic(topics.changes_by_domain, partitions=settings.partitions, **raw)
    inbox = app.topic(alerts_topic, topics.commands, topics.changes_by_domain, **raw)
    saved = app.Table(
        f"{topics.prefix}incident-books",
        key_type=bytes,
        value_type=bytes,
        partitions=settings.partitions,
        use_partitioner=True,
    )
    ready = partitioner_ready(app, saved)
    books: dict[str, IncidentBook] = {}
    unsaved: set[str] = set()  #: books changed only by refreshes since their last save
    broadcasts: list[Command] = []  #: silences for every domain, replayed into books created later

    def book(domain: str) -> IncidentBook:
        found = books.get(domain)
        if found is None:
            raw_book = saved.get(domain.encode())
            if raw_book is not None:
                found = IncidentBook.from_wire(correlation, orjson.loads(raw_book))
            else:
                found = IncidentBook(correlation, domain)
                for command in broadcasts:
                    found.on_command(command, command.ts)
            books[domain] = found
        return found

    async def publish(events: list[IncidentEvent] | tuple[IncidentEvent, ...]) -> None:
        for event in events:
            await incidents.send(key=event.incident_id.encode(), value=encode(event))
            if event.notify:
                log.warning(
                    "INCIDENT %s %s [%s] %s",
                    event.event,
                    event.incident_id,
                    event.incident.severity,
                    event.incident.title,
                )

    def save(book_: IncidentBook) -> None:
        unsaved.discard(book_.domain)
        saved[book_.domain.encode()] = orjson.dumps(book_.to_wire())  # reassigned: reaches the changelog

    @app.agent(changes, name="route-changes")
    async def route_changes(stream: Any) -> None:
        """Deploys arrive keyed by service; re-key them by domain to meet that domain's incidents."""
        async for event in stream.events():
            try:
                change = decode(Change, event.value)
            except SchemaError as exc:
                log.warning("ignoring a malformed change record: %s", exc)
                continue
            key = correlation.topology.domain(change.service).encode()
            await changes_by_domain.send(key=key, value=event.value, timestamp=event.message.timestamp)

    @app.agent(inbox, name="correlate")
    async def correlate(stream: Any) -> None:
        await ready.wait()
        async for event in stream.events():
            topic = event.message.topic
            domain = (event.key or b"").decode("utf-8", "replace")
            # The record's own time, not the clock: replaying the topics reproduces the same incidents.
            now = event.message.timestamp or time.time()
            try:
                if topic == alerts_topic:
                    target = book(domain)
                    changes_ = target.on_alert(decode(Alert, event.value), now)
                    await publish(changes_)
                    if changes_:
                        save(target)
                    else:
                        # A refresh or duplicate only moves counters: save with the next clock tick,
                        # rather than writing the whole book to the changelog for every re-sent alert.
                        unsaved.add(target.domain)
                elif topic == topics.commands:
                    await apply_command(decode(Command, event.value), now)
                else:
                    target = book(domain)
                    target_events = target.on_change(decode(Change, event.value), now)
                    await publish(target_events)
                    save(target)
            except SchemaError as exc:
                log.warning("ignoring a malformed record on %s: %s", topic, exc)

    async def apply_command(command: Command, now: float) -> None:
        targets = list(books.values()) if command.domain == ALL_DOMAINS else [book(command.domain)]
        if command.domain == ALL_DOMAINS:
            broadcasts.append(command)
            del broadcasts[:-_MAX_BROADCASTS]
        for target in targets:
            outcome = target.on_command(command, now)
            if not outcome.accepted:
                log.warning("command %s (%s) not applied: %s", command.id, command.kind, outcome.reason)
            await publish(outcome.events)
            save(target)

    @app.timer(interval=1.0)
    async def incident_clock() -> None:
        """Auto-resolve, silence expiry and flap stabilisation run on wall-clock time."""
        if not ready.is_set():
            return
        now = time.time()
        for target in list(books.values()):
            events = target.tick(now)
            if events:
                await publish(events)
            if events or target.domain in unsaved:
                save(target)
        unsaved.clear()
