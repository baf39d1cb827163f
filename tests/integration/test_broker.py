"""The broker every other integration test relies on really behaves like Kafka.

Covers what a single-node setup typically gets wrong: consumer-group offsets
and transactions need their internal topics at replication factor 1 (and
transaction min ISR 1), and a persistent data dir must keep its topics and
its address across restarts.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.kafka_helpers import TopicFactory, create_topic, unique_name
from vigil.broker import BrokerError, LocalKafka, bootstrap_from_env


async def test_broker_answers_metadata(kafka_admin: AIOKafkaAdminClient) -> None:
    cluster = await kafka_admin.describe_cluster()
    assert cluster["brokers"], cluster
    assert isinstance(await kafka_admin.list_topics(), list)


async def test_produce_and_consume_one_record(kafka_bootstrap: str, new_topic: TopicFactory) -> None:
    topic = await new_topic("roundtrip")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b"hello", key=b"k1")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        group_id=unique_name("roundtrip-group"),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
        await consumer.commit()  # needs __consumer_offsets, i.e. RF 1 on one node
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"k1", b"hello")
    assert (record.partition, record.offset) == (sent.partition, sent.offset)


async def test_transactional_commit_is_visible_and_abort_is_not(kafka_bootstrap: str, new_topic: TopicFactory) -> None:
    topic = await new_topic("txn", partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, transactional_id=unique_name("tx"))
    await producer.start()
    try:
        await producer.begin_transaction()
        await producer.send_and_wait(topic, b"aborted")
        await producer.abort_transaction()
        async with producer.transaction():
            await producer.send_and_wait(topic, b"committed")
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
        rest = await consumer.getmany(timeout_ms=500)
    finally:
        await consumer.stop()
    assert record.value == b"committed"
    assert not any(rest.values()), rest


async def test_topic_survives_restart_of_persistent_data_dir(tmp_path: Path) -> None:
    if bootstrap_from_env():
        pytest.skip("KAFKA_BOOTSTRAP_SERVERS is set: tests do not restart an external cluster")
    kafka = LocalKafka(data_dir=tmp_path / "kafka")
    topic = unique_name("durable")

    # to_thread keeps the session loop responsive; the launcher ties the JVM's
    # life to the process, not to the worker thread that started it.
    first = await asyncio.to_thread(kafka.start)
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=first)
        await admin.start()
        try:
            await create_topic(admin, topic, partitions=2)
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=first, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"before restart", partition=1)
        finally:
            await producer.stop()
    finally:
        await asyncio.to_thread(kafka.stop)
    assert not kafka.running

    second = await asyncio.to_thread(kafka.start)
    try:
        assert second == first, "port=0 must reuse the ports remembered in the data dir"
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=second, auto_offset_reset="earliest")
        await consumer.start()
        try:
            assert consumer.partitions_for_topic(topic) == {0, 1}
            record = await asyncio.wait_for(consumer.getone(), 30)
        finally:
            await consumer.stop()
        assert (record.partition, record.value) == (1, b"before restart")
    finally:
        await asyncio.to_thread(kafka.stop)


def test_busy_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        kafka = LocalKafka(data_dir=tmp_path / "kafka", port=port)
        with pytest.raises(BrokerError, match=f"port {port} .* in use"):
            kafka.start()
        assert not kafka.running
