"""Integration tests run against a real Kafka broker, never a mock.

Broker choice, first that works (DESIGN.md, "Kafka, for real"):

1. ``KAFKA_BOOTSTRAP_SERVERS`` (a cluster someone already runs);
2. ``apache/kafka`` via testcontainers, if a Docker engine answers;
3. ``vigil.broker.LocalKafka``: a JVM broker from Maven Central jars in a
   throwaway data dir.

The fixture never skips: a test run that silently skips every integration
test would look green while testing nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tests.integration.kafka_helpers import (
    TopicFactory,
    create_topic,
    delete_topics,
    docker_answers,
    start_kafka_container,
    unique_name,
)
from vigil.broker import LocalKafka, bootstrap_from_env

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration as ``integration``.

    The hook sees the whole session's items, hence the path filter.
    """
    for item in items:
        if _HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of a real broker for the whole session."""
    external = bootstrap_from_env()
    if external:
        yield external
        return
    if docker_answers():
        container, bootstrap = start_kafka_container()
        try:
            yield bootstrap
        finally:
            container.stop()
        return
    data_dir = Path(tempfile.mkdtemp(prefix="vigil-kafka-"))
    kafka = LocalKafka(data_dir=data_dir)
    try:
        kafka.start()
    except Exception as exc:
        shutil.rmtree(data_dir, ignore_errors=True)
        pytest.fail(
            "No Kafka for integration tests: KAFKA_BOOTSTRAP_SERVERS is unset, no Docker "
            f"engine answers, and the local broker failed to start:\n{exc}",
            pytrace=False,
        )
    try:
        yield kafka.bootstrap
    finally:
        kafka.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def kafka_admin(kafka_bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """One admin client for the session (topic creation, metadata)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


@pytest.fixture
async def new_topic(kafka_admin: AIOKafkaAdminClient) -> AsyncIterator[TopicFactory]:
    """Factory: ``name = await new_topic("alerts", partitions=3)`` creates a
    uniquely named topic, ready to produce to; deleted after the test."""
    created: list[str] = []

    async def make(prefix: str = "t", partitions: int = 3, configs: dict[str, str] | None = None) -> str:
        name = unique_name(prefix)
        await create_topic(kafka_admin, name, partitions, configs=configs)
        created.append(name)
        return name

    yield make
    if created:
        await delete_topics(kafka_admin, created)
