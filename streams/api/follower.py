"""Feeds the read model from Kafka, so that any worker can answer the API's reads.

Every worker reads the whole of the ``incidents`` and ``commands`` topics
from the beginning with a group-less :class:`~streams.follow.TopicFollower`,
so it neither takes partitions from the correlate agents nor moves anyone's
offsets. Once it has read what was on the topics when it started (or was
assigned new partitions), the read model is marked caught up and the API
answers. A record that does not decode is logged and skipped, never fatal.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import TopicPartition

from schemas import Command, IncidentEvent, SchemaError, decode
from streams.api.readmodel import IncidentReadModel
from streams.follow import TopicFollower

__all__ = ["IncidentFollower"]

log = logging.getLogger("vigil.api.follower")


class IncidentFollower(TopicFollower):
    """Follows ``incidents`` (and ``commands``) from the beginning into a read model."""

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
        topics = [incidents_topic] + ([commands_topic] if commands_topic else [])
        super().__init__(bootstrap=bootstrap, topics=topics, refresh_seconds=refresh_seconds, **kwargs)
        self.read_model = read_model
        self.incidents_topic = incidents_topic
        self.commands_topic = commands_topic
        self.skipped = 0  #: records that did not decode
        self._catch_up_to: dict[TopicPartition, int] = {}

    async def on_assignment(self, new: set[TopicPartition]) -> None:
        """New partitions start at the beginning, and count as read once their end then is reached."""
        assert self.consumer is not None
        if new:
            await self.consumer.seek_to_beginning(*new)
            ends = await self.consumer.end_offsets(sorted(new))
            self._catch_up_to.update({tp: end for tp, end in ends.items() if end > 0})
        await self._check_caught_up()  # (with no topic yet there is nothing to read: caught up)

    async def after_batch(self) -> None:
        if self._catch_up_to:
            await self._check_caught_up()

    async def _check_caught_up(self) -> None:
        assert self.consumer is not None
        for tp, end in list(self._catch_up_to.items()):
            if await self.consumer.position(tp) >= end:
                del self._catch_up_to[tp]
        if not self._catch_up_to and not self.read_model.caught_up:
            self.read_model.caught_up = True
            log.info("read model caught up: %d incidents", len(self.read_model))

    def apply(self, tp: TopicPartition, records: list[Any]) -> None:
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
