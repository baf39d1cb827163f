"""Follows the ``vigil-board`` topic into a :class:`~streams.dashboard.shared.BoardShare`.

A consumer with no group, like the incident follower: it assigns itself
every partition of the topic, so it takes nothing from anyone. On start it
reads back the last ``span`` seconds (the history's span) from each
partition, found by timestamp, so a restarted worker's sparklines and
charts pick up where they were. A record that does not parse is logged and
skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from mode import Service

from streams.dashboard.shared import BoardShare

__all__ = ["BoardFeed"]

log = logging.getLogger("vigil.dashboard.feed")


class BoardFeed(Service):
    """A group-less consumer of the board topic feeding a share, from `span` seconds ago onwards."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topic: str,
        share: BoardShare,
        span: float,
        refresh_seconds: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bootstrap = bootstrap
        self.topic = topic
        self.share = share
        self.span = span
        self.refresh_seconds = refresh_seconds
        self.skipped = 0  #: records that did not parse
        self.consumer: AIOKafkaConsumer | None = None
        self._assigned: set[TopicPartition] = set()

    async def on_start(self) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False)
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
                await self.sleep(1.0)
                continue
            batches = await self.consumer.getmany(timeout_ms=500, max_records=2_000)
            for tp, records in batches.items():
                for record in records:
                    self._apply(tp, record)
                await asyncio.sleep(0)  # let the web server answer during a catch-up

    async def _refresh_assignment(self) -> None:
        """Assign every partition, keeping positions; a new one starts `span` seconds back."""
        assert self.consumer is not None
        try:
            cluster = await self.consumer._client.fetch_all_metadata()  # no auto-creation of the topic
        except Exception as exc:  # the broker may be down; keep serving what we have
            log.warning("cannot read topic metadata: %r", exc)
            return
        wanted = {TopicPartition(self.topic, p) for p in (cluster.partitions_for_topic(self.topic) or ())}
        new = wanted - self._assigned
        if not new:
            return
        positions = {tp: await self.consumer.position(tp) for tp in self._assigned}
        self.consumer.assign(sorted(wanted))
        for tp, offset in positions.items():
            self.consumer.seek(tp, offset)
        since_ms = int((time.time() - self.span) * 1000)
        found = await self.consumer.offsets_for_times(dict.fromkeys(new, since_ms))
        ends = await self.consumer.end_offsets(sorted(new))
        for tp in new:
            at = found.get(tp)
            self.consumer.seek(tp, at.offset if at is not None else ends[tp])
        self._assigned = wanted

    def _apply(self, tp: TopicPartition, record: Any) -> None:
        try:
            self.share.add(orjson.loads(record.value))
        except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
            self.skipped += 1
            log.warning("skipped %s/%d@%d: %s", tp.topic, tp.partition, record.offset, exc)
