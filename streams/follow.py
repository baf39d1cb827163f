"""Following whole topics in every worker, without a consumer group.

The incident read model and the shared dashboard board are fed this way: a
consumer with no group assigns itself every partition of its topics, so it
takes partitions from nobody and moves no one's offsets, and it reads
committed records only. A topic that does not exist yet counts as empty;
the follower looks for it (and for partitions added later) every
``refresh_seconds``, without creating it. Subclasses say where a newly
assigned partition starts and what a batch of records does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from mode import Service

__all__ = ["TopicFollower"]

log = logging.getLogger("vigil.follow")


class TopicFollower(Service):
    """A group-less, read_committed consumer of every partition of `topics`, following forever."""

    def __init__(
        self,
        *,
        bootstrap: str,
        topics: Sequence[str],
        refresh_seconds: float = 10.0,
        max_records: int = 5_000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bootstrap = bootstrap
        self.topics = list(topics)
        self.refresh_seconds = refresh_seconds
        self.max_records = max_records
        self.consumer: AIOKafkaConsumer | None = None
        self._assigned: set[TopicPartition] = set()

    # -- what subclasses decide -------------------------------------------------------------------

    async def on_assignment(self, new: set[TopicPartition]) -> None:
        """After each look at the topics: seek the partitions in `new` (possibly none) to where they start."""

    def apply(self, tp: TopicPartition, records: list[Any]) -> None:
        """Take one partition's batch of records."""
        raise NotImplementedError

    async def after_batch(self) -> None:
        """After each batch has been applied."""

    # -- the loop -----------------------------------------------------------------------------------

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
            batches = await self.consumer.getmany(timeout_ms=500, max_records=self.max_records)
            for tp, records in batches.items():
                self.apply(tp, records)
                await asyncio.sleep(0)  # let the web server answer during a long catch-up
            await self.after_batch()

    async def _refresh_assignment(self) -> None:
        """Assign every partition of the topics, keeping the positions of those already assigned."""
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
        if new:
            positions = {tp: await self.consumer.position(tp) for tp in self._assigned}
            self.consumer.assign(sorted(wanted))
            for tp, offset in positions.items():
                self.consumer.seek(tp, offset)
            self._assigned = wanted
        await self.on_assignment(new)
