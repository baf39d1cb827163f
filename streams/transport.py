"""Faust's aiokafka transport, reading only committed records.

The ingest loop writes partials and commits its source offsets in one
Kafka transaction. A consumer that also read *aborted* records would count
an aborted flush and then its retry: double counting. Faust only switches
to read_committed when it runs its own transactions (exactly_once, which
has open duplicate bugs), so Vigil registers this transport instead
(entry point `faust.transports`, scheme `vigil-kafka://`).
"""

from __future__ import annotations

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["Transport"]


class _CommittedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: faust_aiokafka.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when start() builds its fetcher, which has not happened yet.
        consumer._isolation_level = "read_committed"
        return consumer


class _CommittedConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _CommittedConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    Consumer = _CommittedConsumer
