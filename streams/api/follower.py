"""Feeds the read model from Kafka, so that any worker can answer the API's reads.

Every worker reads the whole of the ``incidents`` and ``commands`` topics
with a consumer that has no group: it assigns itself every partition,
starts at the beginning and follows forever, reading committed records
only. So it neither takes partitions from the correlate agents nor moves
anyone's offsets. Once it has read what was on the topics when it started
(or was assigned new partitions), the read model is marked caught up and
the API answers.

A topic that does not exist yet counts as empty; the follower looks for it
(and for partitions added later) every ``refresh_seconds``. A record that
does not decode is logged and skipped, never fatal.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from mode import Service

from schemas import Command, IncidentEvent, SchemaError, decode
from streams.api.readmodel import IncidentReadModel

__all__ = ["IncidentFollower"]

log = logging.getLogger("vigil.api.follower")


class IncidentFollower(Service):
    """A group-less, read_committed consumer of ``incidents`` (and ``commands``) feeding a read model."""

    def __init__(
        self,
        *,
        bootstrap: str,
        read_model: IncidentReadModel,
        incidents_topic: str,
        commands_topic: str | None = None,
        refresh_seconds: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bootstrap = bootstrap
        self.read_model = read_model
        self.incidents_topic = incidents_topic
        self.commands_topic = commands_topic
        self.refresh_seconds = refresh_seconds
        self.skipped = 0  #: records that did not decode
        self.consumer: AIOKafkaConsumer | None = None
        self._assigned: set[TopicPartition] = set()
        self._catch_up_to: dict[TopicPartition, int] = {}

    @property
    def topics(self) -> list[str]:
        return [self.incidents_topic] + ([self.commands_topic] if self.commands_topic else [])

    async def on_start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        await self.consumer.start()

    async def on_stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()

    @Service.task
    async def _follow(self) -> None:
        assert self.consumer is not None
        next_refresh = 0.0
        while not self.should_stop:
            if time.monotonic() >= next_refresh:
                await self._refresh_assignment()
                next_refresh = time.monotonic() + self.refresh_seconds
            if not self._assigned:
                await self.sleep(min(1.0, self.refresh_seconds))
                continue
            batches = await self.consumer.getmany(timeout_ms=500, max_records=5_000)
            for tp, records in batches.items():
                self._apply(tp, records)
                await asyncio.sleep(0)  # let the web server answer during a long catch-up
            if self._catch_up_to:
                await self._check_caught_up()

    async def _refresh_assignment(self) -> None:
        """Assign every partition of the topics, keeping positions; new ones start at the beginning."""
        assert self.consumer is not None
        try:
            cluster = await self.consumer._client.fetch_all_metadata()  # no auto-creation of topics
        except Exception as exc:  # the broker may be down; keep serving what we have
            log.warning("cannot read topic metadata: %r", exc)
            return
        wanted = {
            TopicPartition(topic, p) for topic in self.topics for p in (cluster.partitions_for_topic(topic) or ())
        }
        new = wanted - self._assigned
        if not new:
            if not self._assigned and not self.read_model.caught_up:
                self.read_model.caught_up = True  # no topic yet: nothing to read
            return
        positions = {tp: await self.consumer.position(tp) for tp in self._assigned}
        self.consumer.assign(sorted(wanted))
        for tp, offset in positions.items():
            self.consumer.seek(tp, offset)
        await self.consumer.seek_to_beginning(*new)
        self._assigned = wanted
        ends = await self.consumer.end_offsets(sorted(new))
        self._catch_up_to.update({tp: end for tp, end in ends.items() if end > 0})
        await self._check_caught_up()

    async def _check_caught_up(self) -> None:
        assert self.consumer is not None
        for tp, end in list(self._catch_up_to.items()):
            if await self.consumer.position(tp) >= end:
                del self._catch_up_to[tp]
        if not self._catch_up_to and not self.read_model.caught_up:
            self.read_model.caught_up = True
            log.info("read model caught up: %d incidents", len(self.read_model))

    def _apply(self, tp: TopicPartition, records: list[Any]) -> None:
        is_incidents = tp.topic == self.incidents_topic
        for record in records:
            try:
                if is_incidents:
                    self.read_model.apply(decode(IncidentEvent, record.value))
                else:
                    self.read_model.apply_command(decode(Command, record.value))
            except SchemaError as exc:
                self.skipped += 1
                log.warning("skipped %s/%d@%d: %s", tp.topic, tp.partition, record.offset, exc)
