"""Follows the ``vigil-board`` topic into a :class:`~streams.dashboard.shared.BoardShare`.

A group-less :class:`~streams.follow.TopicFollower`, like the incident
follower, so it takes partitions from no one. A partition it is newly
assigned starts ``span`` seconds back (the history's span), found by
timestamp, so a restarted worker's sparklines and charts pick up where they
were. A record that does not parse is logged and skipped.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from aiokafka import TopicPartition

from streams.dashboard.shared import BoardShare
from streams.follow import TopicFollower

__all__ = ["BoardFeed"]

log = logging.getLogger("vigil.dashboard.feed")


class BoardFeed(TopicFollower):
    """Follows the board topic into a share, from `span` seconds ago onwards."""

    def __init__(self, *, bootstrap: str, topic: str, share: BoardShare, span: float, **kwargs: Any) -> None:
        # Snapshots are ~5 KB each: smaller batches than the incident follower's keep a catch-up's memory low.
        super().__init__(bootstrap=bootstrap, topics=[topic], max_records=2_000, **kwargs)
        self.share = share
        self.span = span
        self.skipped = 0  #: records that did not parse

    async def on_assignment(self, new: set[TopicPartition]) -> None:
        """A new partition starts at its first record of the last `span` seconds (none: at its end)."""
        if not new:
            return
        assert self.consumer is not None
        since_ms = int((time.time() - self.span) * 1000)
        found = await self.consumer.offsets_for_times(dict.fromkeys(new, since_ms))
        ends = await self.consumer.end_offsets(sorted(new))
        for tp in new:
            at = found.get(tp)
            self.consumer.seek(tp, at.offset if at is not None else ends[tp])

    def apply(self, tp: TopicPartition, records: list[Any]) -> None:
        for record in records:
            try:
                self.share.add(orjson.loads(record.value))
            except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
                self.skipped += 1
                log.warning("skipped %s/%d@%d: %s", tp.topic, tp.partition, record.offset, exc)
