"""Reading a time range of Vigil's topics for a replay: group-less, read-only, in event-time order.

For every partition of every topic asked for, the first offset at or
after `from` and the first at or after `to` come from the broker's time
index (`offsets_for_times`; a partition with nothing that late ends at
its end offset as of the start, so a replay of a live topic finishes).
The consumer has no group: partitions are `assign`ed, never
`subscribe`d, and no offset is ever committed, so live consumer groups,
tables and topics are untouched. Partitions are merged by record time,
ties broken by (topic family, partition, offset), so the same range
always comes out in the same order.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from correlator.replay import ReplayRecord

__all__ = ["PartitionRange", "RangeReader"]

_FETCH_RECORDS = 5000


@dataclass(frozen=True, slots=True)
class PartitionRange:
    """The offsets [start, end) of one partition that the time range covers."""

    topic: str
    family: str
    partition: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return max(0, self.end - self.start)


class RangeReader:
    """`async with RangeReader(...) as reader: async for record in reader.records(): ...`"""

    def __init__(
        self,
        bootstrap: str,
        topics: Mapping[str, str],
        from_ts: float,
        to_ts: float,
        *,
        client_id: str = "vigil-replay",
    ) -> None:
        self.bootstrap = bootstrap
        self.topics = dict(topics)  #: topic name → topic family
        self.from_ms = int(from_ts * 1000)
        self.to_ms = int(to_ts * 1000)
        self.client_id = client_id
        self.ranges: list[PartitionRange] = []
        self.missing: list[str] = []  #: topics asked for that do not exist
        self.read = 0  #: records fetched so far (in range or not)
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> RangeReader:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            group_id=None,  # no group: nothing joins, nothing is committed
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=16 * 1024 * 1024,
        )
        try:
            await self._consumer.start()
        except BaseException:
            await self._consumer.stop()
            self._consumer = None
            raise
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    @property
    def total(self) -> int:
        """Records in the planned offset ranges (an upper bound on the records in the time range)."""
        return sum(r.size for r in self.ranges)

    async def plan(self) -> list[PartitionRange]:
        """Find each partition's offsets for the time range."""
        consumer = self._require()
        existing = await consumer.topics()
        self.missing = sorted(t for t in self.topics if t not in existing)
        tps = []
        for topic in sorted(t for t in self.topics if t in existing):
            partitions = await _partitions(consumer, topic)
            tps.extend(TopicPartition(topic, p) for p in sorted(partitions))
        if not tps:
            self.ranges = []
            return self.ranges
        ends = await consumer.end_offsets(tps)
        starts_at = await consumer.offsets_for_times({tp: self.from_ms for tp in tps})
        ends_at = await consumer.offsets_for_times({tp: self.to_ms for tp in tps})
        ranges = []
        for tp in tps:
            end = ends[tp]
            start = starts_at[tp].offset if starts_at.get(tp) is not None else end
            stop = ends_at[tp].offset if ends_at.get(tp) is not None else end
            ranges.append(PartitionRange(tp.topic, self.topics[tp.topic], tp.partition, start, min(stop, end)))
        self.ranges = ranges
        return ranges

    async def records(self) -> AsyncIterator[ReplayRecord]:
        """Every record of the planned ranges whose time is in [from, to), merged in time order."""
        consumer = self._require()
        if not self.ranges:
            await self.plan()
        active = [r for r in self.ranges if r.size > 0]
        tps = {TopicPartition(r.topic, r.partition): r for r in active}
        if not tps:
            return
        consumer.assign(list(tps))
        for tp, r in tps.items():
            consumer.seek(tp, r.start)
        buffers: dict[TopicPartition, deque[ReplayRecord]] = {tp: deque() for tp in tps}
        done: set[TopicPartition] = set()
        heap: list[tuple[tuple[float, str, int, int], TopicPartition]] = []
        for tp in tps:
            if await self._fill(tp, tps[tp], buffers[tp], done):
                heapq.heappush(heap, (buffers[tp][0].order, tp))
        while heap:
            _, tp = heapq.heappop(heap)
            buffer = buffers[tp]
            yield buffer.popleft()
            if buffer or await self._fill(tp, tps[tp], buffer, done):
                heapq.heappush(heap, (buffer[0].order, tp))

    async def _fill(
        self, tp: TopicPartition, span: PartitionRange, buffer: deque[ReplayRecord], done: set[TopicPartition]
    ) -> bool:
        """Fetch until the partition has a record buffered in range, or is finished; True when one is."""
        consumer = self._require()
        from_ms, to_ms, family = self.from_ms, self.to_ms, span.family
        while not buffer and tp not in done:
            fetched = (await consumer.getmany(tp, timeout_ms=1000, max_records=_FETCH_RECORDS)).get(tp, [])
            for record in fetched:
                if record.offset >= span.end:
                    break
                self.read += 1
                if from_ms <= record.timestamp < to_ms:
                    buffer.append(
                        ReplayRecord(
                            family, record.partition, record.offset, record.timestamp / 1000, record.key, record.value
                        )
                    )
            if (fetched and fetched[-1].offset >= span.end - 1) or await consumer.position(tp) >= span.end:
                done.add(tp)
                consumer.pause(tp)  # no more fetching past the range
        return bool(buffer)

    def _require(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise RuntimeError("use RangeReader as `async with`")
        return self._consumer


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    for _ in range(50):
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return set(partitions)
        await consumer._client.force_metadata_update()  # a fresh topic may not be in metadata yet
        await asyncio.sleep(0.1)
    raise RuntimeError(f"topic {topic!r} has no partitions in the cluster's metadata")
