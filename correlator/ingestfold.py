"""Ingest's fold: source records in, partials and watermarks out; the one copy live and replay run.

`streams.ingest.IngestLoop` (Kafka, transactions, the wall clock) and
`correlator.replay.ingest.ReplayIngest` (recorded records, a simulated
clock) both hand their records to an `IngestFold`:

- `fold` decodes each record of a topic family with the schemas (a bad
  one goes to the caller's `rejected`, which makes the dead letter) and
  folds the rest into per-series window partials: `sample_of`, plus a
  count per matching log pattern for logs and the delivery outcomes
  decided by a receipt (correlator/samples.py);
- `seen` moves the partition's newest event time for the low watermark;
- `flush` times out undecided deliveries at the low watermark, drains the
  partials stamped with it, and adds a bare watermark for every service
  seen within `service_memory_seconds` that had nothing this time, so its
  windows still close.

Time (`now`) is whatever clock the caller runs on, passed in; the origin
of a record (its source partition) is any hashable the caller picks.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol, TypeVar

from correlator.delivery import DeliveryTracker
from correlator.logpatterns import LogPatternMatcher
from correlator.pack import RulePack
from correlator.partials import Partial, PartialFolder, Watermark
from correlator.samples import Sample, log_pattern_samples, outcome_samples, sample_of
from correlator.watermarks import LowWatermark
from schemas import TOPIC_RECORDS, SchemaError, decode

__all__ = ["SOURCE_FAMILIES", "IngestFold", "SourceRecord"]

#: Topic families ingest decodes and folds into windows.
SOURCE_FAMILIES: tuple[str, ...] = ("logs", "metrics", "receipts")

_NONE_FOLDED = float("-inf")


class SourceRecord(Protocol):
    """What the fold reads of a record (aiokafka's `ConsumerRecord` and `ReplayRecord` both are one)."""

    @property
    def value(self) -> bytes | None: ...


R = TypeVar("R", bound=SourceRecord)


class IngestFold:
    """Decode, validate and fold source records; `flush` hands over what ingest writes to vigil-partials."""

    def __init__(
        self,
        pack: RulePack,
        *,
        idle_partition_seconds: float = 10.0,
        service_memory_seconds: float = 3600.0,
        transactional: bool = False,
    ) -> None:
        self.folder = PartialFolder(window_seconds=pack.settings.window_seconds)
        self.delivery = DeliveryTracker(pack.settings.receipt_timeout_seconds, transactional=transactional)
        self.log_patterns = LogPatternMatcher(pack.log_patterns)
        self.low_watermark = LowWatermark(idle_seconds=idle_partition_seconds)
        self.service_memory_seconds = service_memory_seconds
        self.known_services: dict[str, float] = {}  #: service → the caller's time it last had events
        self._last_stamped: float | None = None
        self._decoders = {family: _decoder(TOPIC_RECORDS[family]) for family in SOURCE_FAMILIES}
        self._extras: dict[tuple[str, Hashable], Callable[[Any], list[Sample]] | None] = {}

    def fold(
        self, family: str, origin: Hashable, records: Iterable[R], rejected: Callable[[R, SchemaError], None]
    ) -> float:
        """Fold `records` of `family` read from `origin`; the newest event time folded (-inf when none).

        The hot path of ingest: keep the loop's names local.
        """
        decode_one = self._decoders[family]
        add = self.folder.add
        try:
            extra = self._extras[family, origin]  # None for metrics: their fast path stays as it was
        except KeyError:
            extra = self._extras[family, origin] = self._extra_samples(family, origin)
        newest = _NONE_FOLDED
        for record in records:
            try:
                event = decode_one(record.value)
            except SchemaError as exc:
                rejected(record, exc)
                continue
            series, ts, value = sample_of(family, event)
            add(series, ts, value)
            if extra is not None:
                for sample in extra(event):
                    add(*sample)
            if ts > newest:
                newest = ts
        return newest

    def seen(self, origin: Hashable, newest: float, now: float) -> None:
        """`origin` delivered events up to `newest` (what `fold` returned) at time `now`."""
        if newest > _NONE_FOLDED:
            self.low_watermark.observe(origin, newest, now)

    def flush(self, now: float, *, read: bool, watermark: float | None = None) -> list[Partial | Watermark] | None:
        """Partials and watermarks to hand over at time `now`, or None when there is nothing to hand over.

        `read` says whether any record was read since the last flush; `watermark`
        overrides the low watermark (replay's range end).
        """
        if watermark is None:
            watermark = self.low_watermark.value(now)
        if not read and watermark == self._last_stamped:
            return None  # nothing read and event time has not moved
        if watermark is not None:
            for sample in outcome_samples(self.delivery.expire(watermark)):
                self.folder.add(*sample)
        partials = self.folder.drain(watermark if watermark is not None else 0.0)
        return [*partials, *self._heartbeats(partials, watermark, now)]

    def _extra_samples(self, family: str, origin: Hashable) -> Callable[[Any], list[Sample]] | None:
        """What a decoded event of `family` adds beyond `sample_of`, or None when nothing."""
        if family == "logs" and len(self.log_patterns):
            matcher = self.log_patterns
            return lambda event: log_pattern_samples(event, matcher)
        if family == "receipts":
            observe = self.delivery.observe
            return lambda event: outcome_samples(observe(event, origin))
        return None

    def _heartbeats(self, partials: list[Partial | Watermark], watermark: float | None, now: float) -> list[Watermark]:
        """A watermark for each known service that had nothing in this flush."""
        with_data = {p.service for p in partials}
        for service in sorted(with_data):  # sorted: the heartbeats come out in the same order every run
            self.known_services[service] = now
        if watermark is None or watermark == self._last_stamped:
            return []
        self._last_stamped = watermark
        horizon = now - self.service_memory_seconds
        for service in [s for s, at in self.known_services.items() if at < horizon]:
            del self.known_services[service]
        return [Watermark(service, watermark) for service in self.known_services if service not in with_data]


def _decoder(record_type: type) -> Callable[[bytes | None], Any]:
    def decode_one(raw: bytes | None) -> Any:
        if raw is None:
            raise SchemaError("$", "record has no value (tombstone)")
        return decode(record_type, raw)

    return decode_one
