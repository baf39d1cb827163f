"""Ingest on a simulated clock: what `streams.ingest.IngestLoop` does, minus Kafka.

Records are decoded with the same schemas, bad ones become dead letters
with the same reason and field, good ones are folded into per-series
window partials with the same extra samples (log patterns, delivery
outcomes), and every flush hands over the partials stamped with the low
watermark of the source partitions plus bare watermarks for services
that had nothing, exactly as the live loop's transaction would. Where the
live loop reads the wall clock (partition idleness, service memory) this
takes the simulated time passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from correlator.delivery import DeliveryTracker
from correlator.logpatterns import LogPatternMatcher
from correlator.pack import RulePack
from correlator.partials import Partial, PartialFolder, Watermark
from correlator.replay.records import SOURCE_FAMILIES, ReplayRecord
from correlator.samples import Sample, log_pattern_samples, outcome_samples, sample_of
from correlator.watermarks import LowWatermark
from schemas import TOPIC_RECORDS, SchemaError, decode

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
        self.folder = PartialFolder(window_seconds=pack.settings.window_seconds)
        self.delivery = DeliveryTracker(pack.settings.receipt_timeout_seconds)
        self.log_patterns = LogPatternMatcher(pack.log_patterns)
        self.low_watermark = LowWatermark(idle_seconds=idle_partition_seconds)
        self.service_memory_seconds = service_memory_seconds
        self.max_dead_letters = max_dead_letters
        self.dead_letters: list[DeadLetterNote] = []  #: the first `max_dead_letters`
        self.dead_lettered = 0  #: all of them
        self.events = 0  #: source records read
        self.known_services: dict[str, float] = {}  #: service → simulated time it last had events
        self._read_since_flush = False
        self._last_stamped: float | None = None
        self._decoders = {family: TOPIC_RECORDS[family] for family in SOURCE_FAMILIES}
        self._extra: dict[str, Callable[[Any, Any], list[Sample]] | None] = {
            "metrics": None,
            "logs": (lambda event, origin: log_pattern_samples(event, self.log_patterns))
            if len(self.log_patterns)
            else None,
            "receipts": lambda event, origin: outcome_samples(self.delivery.observe(event, origin)),
        }

    def fold(self, record: ReplayRecord, now: float) -> None:
        """One source record, read at simulated time `now`."""
        self.events += 1
        self._read_since_flush = True
        family = record.family
        try:
            if record.value is None:
                raise SchemaError("$", "record has no value (tombstone)")
            event = decode(self._decoders[family], record.value)
        except SchemaError as exc:
            self._dead_letter(record, exc)
            return
        series, ts, value = sample_of(family, event)
        add = self.folder.add
        add(series, ts, value)
        extra = self._extra[family]
        origin = (family, record.partition)
        if extra is not None:
            for sample in extra(event, origin):
                add(*sample)
        self.low_watermark.observe(origin, ts, now)

    def flush(self, now: float, *, watermark: float | None = None) -> list[Partial | Watermark]:
        """The flush at simulated time `now`; `watermark` overrides the low watermark (the range's end)."""
        if watermark is None:
            watermark = self.low_watermark.value(now)
        if not self._read_since_flush and watermark == self._last_stamped:
            return []  # nothing read and event time has not moved
        self._read_since_flush = False
        if watermark is not None:
            for sample in outcome_samples(self.delivery.expire(watermark)):
                self.folder.add(*sample)
        partials = self.folder.drain(watermark if watermark is not None else 0.0)
        return [*partials, *self._heartbeats(partials, watermark, now)]

    def _heartbeats(self, partials: list[Partial | Watermark], watermark: float | None, now: float) -> list[Watermark]:
        """A watermark for each known service that had nothing in this flush (as `IngestLoop._heartbeats`)."""
        with_data = {p.service for p in partials}
        for service in sorted(with_data):
            self.known_services[service] = now
        if watermark is None or watermark == self._last_stamped:
            return []
        self._last_stamped = watermark
        horizon = now - self.service_memory_seconds
        for service in [s for s, at in self.known_services.items() if at < horizon]:
            del self.known_services[service]
        return [Watermark(service, watermark) for service in self.known_services if service not in with_data]

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
