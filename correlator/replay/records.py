"""What a replay reads: raw records of the source and control topics, in event-time order."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from correlator.ingestfold import SOURCE_FAMILIES

__all__ = ["CONTROL_FAMILIES", "SOURCE_FAMILIES", "ReplayRecord", "merge_partitions"]

#: Topic families the correlate agent applies to incident books as they are.
CONTROL_FAMILIES: tuple[str, ...] = ("changes", "commands")


@dataclass(frozen=True, slots=True)
class ReplayRecord:
    """One record as it sits in Kafka; the replay decodes it the way the live worker would."""

    family: str  #: topic family without prefix: logs, metrics, receipts, changes or commands
    partition: int
    offset: int
    ts: float  #: the record's Kafka timestamp, Unix seconds: the simulated clock when it is read
    key: bytes | None
    value: bytes | None

    @property
    def order(self) -> tuple[float, str, int, int]:
        """The merge order: time, then (topic, partition, offset) so that ties break the same way every run."""
        return (self.ts, self.family, self.partition, self.offset)


def merge_partitions(records: Iterable[ReplayRecord]) -> Iterator[ReplayRecord]:
    """Records of several partitions in the order a replay reads them: each partition in offset order,
    partitions merged by `ReplayRecord.order` (what `vigil.replay.source` does with Kafka's partitions).

    A record whose time is older than its partition's earlier records (produced late) comes out where its
    partition holds it, as it would have reached the live worker.
    """
    partitions: dict[tuple[str, int], list[ReplayRecord]] = {}
    for record in records:
        partitions.setdefault((record.family, record.partition), []).append(record)
    streams = [sorted(rs, key=lambda r: r.offset) for _, rs in sorted(partitions.items())]
    return heapq.merge(*streams, key=lambda r: r.order)
