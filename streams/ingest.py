"""The ingest stage: a tight aiokafka batch loop inside the Faust worker.

Why not a Faust agent: Faust's per-message dispatch tops out far below
what the firehose needs (README, Design; bench/ingest.py measures it).
So this service reads logs/metrics/receipts with `getmany`, decodes and
validates each record (schemas/), folds valid ones into per-series window
partials (correlator/), and every `flush_interval` writes the partials and
the dead letters *and commits the source offsets* in one Kafka
transaction. A crash before the commit replays the uncommitted records; a
crash after it has nothing left to replay: nothing lost, nothing counted
twice. Downstream consumers read committed records only.

Logs and receipts also feed two indicators (correlator/samples.py): log
counts per configured message pattern, and delivery outcomes, one per
message (correlator/delivery.py). The delivery tracker keeps state across
flushes: it is rolled back with the consumer when a flush aborts, timed
out by the low watermark at every flush, and lives in memory only (its
docstring says what a restart or a rebalance costs).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.structs import OffsetAndMetadata
from mode import Service

from correlator import Partial, PartialFolder, Watermark, sample_of
from correlator.delivery import DeliveryTracker
from correlator.logpatterns import LogPatternMatcher
from correlator.pack import RulePack
from correlator.samples import Sample, log_pattern_samples, outcome_samples
from correlator.watermarks import LowWatermark
from schemas import TOPIC_RECORDS, SchemaError, decode
from streams.deadletter import DeadLetter
from streams.metrics import WorkerMetrics
from streams.settings import Settings

__all__ = ["IngestLoop"]

log = logging.getLogger(__name__)


class _FlushOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Hand over what was folded before partitions move to another worker."""

    def __init__(self, loop: IngestLoop) -> None:
        self._loop = loop

    async def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        await self._loop.flush()
        for tp in revoked:
            self._loop.low_watermark.forget(tp)
            self._loop.delivery.forget(tp)
        self._loop.delivery.commit()  # forgetting is not undone by a later failed flush

    async def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        return None


class IngestLoop(Service):
    """Decode, validate, fold and hand over; see the module docstring."""

    def __init__(
        self,
        *,
        settings: Settings,
        metrics: WorkerMetrics,
        worker_id: str = "0",
        pack: RulePack | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        pack = pack if pack is not None else RulePack()
        self.settings = settings
        self.metrics = metrics
        self.group_id = f"{settings.app_id}-ingest"
        self.transactional_id = f"{settings.app_id}-ingest-{worker_id}"
        self.sources = settings.topics.sources()
        self.folder = PartialFolder(window_seconds=pack.settings.window_seconds)
        self.delivery = DeliveryTracker(pack.settings.receipt_timeout_seconds, transactional=True)
        self.log_patterns = LogPatternMatcher(pack.log_patterns)
        self.dead: list[DeadLetter] = []
        self.positions: dict[TopicPartition, int] = {}
        self.replay_from: dict[TopicPartition, int] = {}  #: first offset folded since the last commit
        self.low_watermark = LowWatermark(idle_seconds=settings.idle_partition_seconds)
        self.known_services: dict[str, float] = {}  #: service → wall time it last had events
        self._last_stamped: float | None = None
        self._flush_lock = asyncio.Lock()
        self._last_flush = time.monotonic()
        self._decoders: dict[str, Callable[[bytes], Any]] = {
            topic: _decoder(TOPIC_RECORDS[family]) for topic, family in self.sources.items()
        }
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None

    async def on_start(self) -> None:
        bootstrap = self.settings.bootstrap
        self.producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            transactional_id=self.transactional_id,
            enable_idempotence=True,
            linger_ms=5,
            max_batch_size=512 * 1024,
        )
        await self.producer.start()
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=16 * 1024 * 1024,
        )
        self.consumer.subscribe(list(self.sources), listener=_FlushOnRevoke(self))
        await self.consumer.start()

    async def on_stop(self) -> None:
        try:
            await self.flush()
        finally:
            if self.consumer is not None:
                await self.consumer.stop()
            if self.producer is not None:
                await self.producer.stop()

    @Service.task
    async def _run(self) -> None:
        assert self.consumer is not None
        while not self.should_stop:
            batches = await self.consumer.getmany(timeout_ms=200, max_records=20_000)
            for tp, records in batches.items():
                self.fold(tp, records)
                # getmany returns at once while records are buffered; let the web server
                # and the rules agent run between batches during a catch-up.
                await asyncio.sleep(0)
            if time.monotonic() - self._last_flush >= self.settings.flush_interval:
                await self.flush()

    def fold(self, tp: TopicPartition, records: list[ConsumerRecord]) -> None:
        """Decode a fetched batch; bad records become dead letters, the rest are folded."""
        if not records:
            return
        decode_one = self._decoders[tp.topic]
        family = self.sources[tp.topic]
        add = self.folder.add
        extra = self._extra_samples(family, tp)  # None for metrics: their fast path stays as it was
        invalid = 0
        newest = float("-inf")
        for record in records:
            try:
                event = decode_one(record.value)
            except SchemaError as exc:
                invalid += 1
                self.dead.append(
                    DeadLetter(
                        key=record.key,
                        value=record.value,
                        topic=record.topic,
                        partition=record.partition,
                        offset=record.offset,
                        timestamp_ms=record.timestamp,
                        field=exc.field,
                        reason=exc.problem,
                    )
                )
                continue
            series, ts, value = sample_of(family, event)
            add(series, ts, value)
            if extra is not None:
                for sample in extra(event):
                    add(*sample)
            if ts > newest:
                newest = ts
        if newest > float("-inf"):
            self.low_watermark.observe(tp, newest, time.monotonic())
        self.replay_from.setdefault(tp, records[0].offset)
        self.positions[tp] = records[-1].offset + 1
        self.metrics.events_in.labels(tp.topic).inc(len(records))
        assert self.consumer is not None
        highwater = self.consumer.highwater(tp)
        if highwater is not None:
            self.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - self.positions[tp]))
        if invalid:
            self.metrics.events_invalid.labels(tp.topic).inc(invalid)

    def _extra_samples(self, family: str, tp: TopicPartition) -> Callable[[Any], list[Sample]] | None:
        """What a decoded event of `family` adds beyond `sample_of`, or None when nothing."""
        if family == "logs" and len(self.log_patterns):
            matcher = self.log_patterns
            return lambda event: log_pattern_samples(event, matcher)
        if family == "receipts":
            observe = self.delivery.observe
            return lambda event: outcome_samples(observe(event, tp))
        return None

    async def flush(self) -> None:
        """Write partials + dead letters and commit the source offsets, atomically."""
        async with self._flush_lock:
            self._last_flush = time.monotonic()
            watermark = self.low_watermark.value(time.monotonic())
            if not self.positions and watermark == self._last_stamped:
                return  # nothing read and event time has not moved
            assert self.producer is not None
            if watermark is not None:
                for sample in outcome_samples(self.delivery.expire(watermark)):
                    self.folder.add(*sample)
            partials = self.folder.drain(watermark if watermark is not None else 0.0)
            dead, positions = self.dead, self.positions
            replay_from = self.replay_from
            self.dead, self.positions, self.replay_from = [], {}, {}
            started = time.perf_counter()
            try:
                await self._commit([*partials, *self._heartbeats(partials, watermark)], dead, positions)
            except Exception:
                # The transaction aborted: rewind so the same records are folded again.
                log.exception("ingest flush failed; re-reading %d partitions", len(replay_from))
                self.delivery.rollback()  # the receipts will be observed again
                assert self.consumer is not None
                for tp, offset in replay_from.items():
                    self.consumer.seek(tp, offset)
                return
            self.delivery.commit()
            self.metrics.flush_seconds.observe(time.perf_counter() - started)
            self.metrics.partials_out.inc(sum(1 for p in partials if isinstance(p, Partial)))

    def _heartbeats(self, partials: list[Partial | Watermark], watermark: float | None) -> list[Watermark]:
        """A watermark for each known service that had nothing in this flush."""
        now = time.monotonic()
        with_data = {p.service for p in partials}
        for service in with_data:
            self.known_services[service] = now
        if watermark is None or watermark == self._last_stamped:
            return []
        self._last_stamped = watermark
        horizon = now - self.settings.service_memory_seconds
        for service in [s for s, at in self.known_services.items() if at < horizon]:
            del self.known_services[service]
        return [Watermark(service, watermark) for service in self.known_services if service not in with_data]

    async def _commit(
        self, partials: list[Partial | Watermark], dead: list[DeadLetter], positions: dict[TopicPartition, int]
    ) -> None:
        assert self.producer is not None
        topics = self.settings.topics
        async with self.producer.transaction():
            for partial in partials:
                await self.producer.send(
                    topics.partials,
                    key=partial.service.encode("utf-8"),
                    value=orjson.dumps(partial.to_wire()),
                )
            for letter in dead:
                await self.producer.send(
                    topics.deadletter, key=letter.key, value=letter.value, headers=letter.headers()
                )
            if positions:
                offsets = {tp: OffsetAndMetadata(offset, "") for tp, offset in positions.items()}
                await self.producer.send_offsets_to_transaction(offsets, self.group_id)


def _decoder(record_type: type) -> Callable[[bytes | None], Any]:
    def decode_one(raw: bytes | None) -> Any:
        if raw is None:
            raise SchemaError("$", "record has no value (tombstone)")
        return decode(record_type, raw)

    return decode_one
