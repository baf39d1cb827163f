"""Ingest on a simulated clock: what `streams.ingest.IngestLoop` does, minus Kafka.

Both run the same `correlator.ingestfold.IngestFold`: records decoded
with the same schemas, folded with the same extra samples (log patterns,
delivery outcomes), flushed with the low watermark of the source
partitions plus bare watermarks for services that had nothing, exactly
as the live loop's transaction would. This adds what replay needs around
it: the simulated time where the live loop reads the wall clock
(partition idleness, service memory), one record at a time, and notes of
the dead letters (same reason and field) for the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from correlator.ingestfold import IngestFold
from correlator.pack import RulePack
from correlator.partials import Partial, Watermark
from correlator.replay.records import ReplayRecord
from schemas import SchemaError

__all__ = ["DeadLetterNote", "ReplayIngest"]

PREVIEW_BYTES = 160  #: how much of a rejected record the report shows


@dataclass(frozen=True, slots=True)
class DeadLetterNote:
    """A record ingest would have sent to `deadletter`, and why (`streams/deadletter.py`'s headers)."""

    topic: str  #: topic family
    partition: int
    offset: int
    ts: float
    field: str  #: JSON path of the offending field, "$" for the whole record
    reason: str
    preview: str | None  #: the start of the original bytes, undecodable bytes replaced

    def to_report(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "ts": self.ts,
            "field": self.field,
            "reason": self.reason,
            "preview": self.preview,
        }


class ReplayIngest:
    """Decode, validate, fold; `flush(now)` returns what the live loop would have written to vigil-partials."""

    def __init__(
        self,
        pack: RulePack,
        *,
        idle_partition_seconds: float = 10.0,
        service_memory_seconds: float = 3600.0,
        max_dead_letters: int = 1000,
    ) -> None:
        self.folding = IngestFold(
            pack, idle_partition_seconds=idle_partition_seconds, service_memory_seconds=service_memory_seconds
        )
        self.max_dead_letters = max_dead_letters
        self.dead_letters: list[DeadLetterNote] = []  #: the first `max_dead_letters`
        self.dead_lettered = 0  #: all of them
        self.events = 0  #: source records read
        self._read_since_flush = False

    def fold(self, record: ReplayRecord, now: float) -> None:
        """One source record, read at simulated time `now`."""
        self.events += 1
        self._read_since_flush = True
        origin = (record.family, record.partition)
        self.folding.seen(origin, self.folding.fold(record.family, origin, (record,), self._dead_letter), now)

    def flush(self, now: float, *, watermark: float | None = None) -> list[Partial | Watermark]:
        """The flush at simulated time `now`; `watermark` overrides the low watermark (the range's end)."""
        out = self.folding.flush(now, read=self._read_since_flush, watermark=watermark)
        if out is None:
            return []  # nothing read and event time has not moved
        self._read_since_flush = False
        return out

    def _dead_letter(self, record: ReplayRecord, exc: SchemaError) -> None:
        self.dead_lettered += 1
        if len(self.dead_letters) >= self.max_dead_letters:
            return
        preview = None
        if record.value is not None:
            preview = record.value[:PREVIEW_BYTES].decode("utf-8", "replace")
        self.dead_letters.append(
            DeadLetterNote(
                topic=record.family,
                partition=record.partition,
                offset=record.offset,
                ts=record.ts,
                field=exc.field,
                reason=exc.problem,
                preview=preview,
            )
        )
