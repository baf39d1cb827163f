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

The decoding and folding themselves, the low watermark and the bare
watermarks for quiet services are `correlator.ingestfold.IngestFold`,
the same code replay runs; this module is the I/O around it.

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
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import ProducerFenced
from aiokafka.structs import OffsetAndMetadata
from mode import Service

from correlator import Partial, Watermark
from correlator.ingestfold import IngestFold
from correlator.pack import RulePack
from schemas import SchemaError
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
        folding = self._loop.folding
        for tp in revoked:
            folding.low_watermark.forget(tp)
            folding.delivery.forget(tp)
        folding.delivery.commit()  # forgetting is not undone by a later failed flush

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
        # One transactional id per worker (its name, which a restart keeps): two workers sharing one fence each
        # other, and a restarted worker fences what is left of its previous life.
        self.transactional_id = f"{settings.app_id}-ingest-{worker_id}"
        self.sources = settings.topics.sources()
        #: the fold replay runs too; its clock here is `time.monotonic()`
        self.folding = IngestFold(
            pack,
            idle_partition_seconds=settings.idle_partition_seconds,
            service_memory_seconds=settings.service_memory_seconds,
            transactional=True,
        )
        self.dead: list[DeadLetter] = []
        self.positions: dict[TopicPartition, int] = {}
        self.replay_from: dict[TopicPartition, int] = {}  #: first offset folded since the last commit
        self._flush_lock = asyncio.Lock()
        self._last_flush = time.monotonic()
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
        dead = len(self.dead)
        newest = self.folding.fold(self.sources[tp.topic], tp, records, self._reject)
        self.folding.seen(tp, newest, time.monotonic())
        self.replay_from.setdefault(tp, records[0].offset)
        self.positions[tp] = records[-1].offset + 1
        self.metrics.events_in.labels(tp.topic).inc(len(records))
        assert self.consumer is not None
        highwater = self.consumer.highwater(tp)
        if highwater is not None:
            self.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(max(0, highwater - self.positions[tp]))
        invalid = len(self.dead) - dead
        if invalid:
            self.metrics.events_invalid.labels(tp.topic).inc(invalid)

    def _reject(self, record: ConsumerRecord, exc: SchemaError) -> None:
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

    async def flush(self) -> None:
        """Write partials + dead letters and commit the source offsets, atomically."""
        async with self._flush_lock:
            self._last_flush = time.monotonic()
            partials = self.folding.flush(time.monotonic(), read=bool(self.positions))
            if partials is None:
                return  # nothing read and event time has not moved
            assert self.producer is not None
            dead, positions = self.dead, self.positions
            replay_from = self.replay_from
            self.dead, self.positions, self.replay_from = [], {}, {}
            started = time.perf_counter()
            try:
                await self._commit(partials, dead, positions)
            except ProducerFenced as exc:
                # A newer process with this worker's name owns the transactional id: this one is a zombie and
                # its producer is dead for good. Stop the worker rather than fail every flush forever.
                log.critical("ingest fenced by a newer worker named %r; stopping", self.transactional_id)
                await self.crash(exc)
                return
            except Exception:
                # The transaction aborted: rewind so the same records are folded again.
                log.exception("ingest flush failed; re-reading %d partitions", len(replay_from))
                self.folding.delivery.rollback()  # the receipts will be observed again
                assert self.consumer is not None
                for tp, offset in replay_from.items():
                    self.consumer.seek(tp, offset)
                return
            self.folding.delivery.commit()
            self.metrics.flush_seconds.observe(time.perf_counter() - started)
            self.metrics.partials_out.inc(sum(1 for p in partials if isinstance(p, Partial)))

    async def _commit(
        self, partials: list[Partial | Watermark], dead: list[DeadLetter], positions: dict[TopicPartition, int]
    ) -> None:
        assert self.producer is not None
        topics = self.settings.topics
        sent: list[asyncio.Future[Any]] = []
        try:
            async with self.producer.transaction():
                for partial in partials:
                    sent.append(
                        await self.producer.send(
                            topics.partials,
                            key=partial.service.encode("utf-8"),
                            value=orjson.dumps(partial.to_wire()),
                        )
                    )
                for letter in dead:
                    sent.append(
                        await self.producer.send(
                            topics.deadletter, key=letter.key, value=letter.value, headers=letter.headers()
                        )
                    )
                if positions:
                    offsets = {tp: OffsetAndMetadata(offset, "") for tp, offset in positions.items()}
                    await self.producer.send_offsets_to_transaction(offsets, self.group_id)
        finally:
            # An aborted transaction fails every record's future with the same error, raised once above;
            # reading them here keeps asyncio from logging each as "exception was never retrieved".
            for future in sent:
                future.add_done_callback(_retrieved)


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
