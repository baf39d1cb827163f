"""Helpers for integration tests that talk to a real Kafka broker.

Kept out of conftest.py so tests can import them explicitly
(``from tests.integration.kafka_helpers import ...``) and so conftest
stays short.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import io
import tarfile
import time
import uuid
import warnings
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Protocol

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from vigil.broker import KAFKA_VERSION, wait_for_metadata

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

_TOPIC_ALREADY_EXISTS = 36
_UNKNOWN_TOPIC = 3


class TopicFactory(Protocol):
    """Type of the ``new_topic`` fixture: ``name = await new_topic("alerts")``."""

    def __call__(
        self, prefix: str = "t", partitions: int = 3, configs: dict[str, str] | None = None
    ) -> Awaitable[str]: ...


def unique_name(prefix: str) -> str:
    """``prefix`` plus a random suffix: tests sharing one broker never collide."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def create_topic(
    admin: AIOKafkaAdminClient,
    name: str,
    partitions: int = 3,
    replication_factor: int = 1,
    configs: dict[str, str] | None = None,
    timeout: float = 30,
) -> None:
    """Create ``name`` and wait until every partition has a leader.

    aiokafka returns per-topic error codes instead of raising, and a fresh
    topic's leaders appear in broker metadata a moment after the controller
    acknowledges it; both are handled here so tests can produce right away.
    """
    topic = NewTopic(name, partitions, replication_factor, topic_configs=configs or {})
    response = await admin.create_topics([topic], timeout_ms=int(timeout * 1000))
    for entry in response.topic_errors:
        code = entry[1]
        if code not in (0, _TOPIC_ALREADY_EXISTS):
            raise for_code(code)(f"create topic {entry[0]!r}: {entry[2:] or ''}")
    deadline = time.monotonic() + timeout
    while True:
        (meta,) = await admin.describe_topics([name])
        parts = meta["partitions"]
        if meta["error_code"] == 0 and len(parts) == partitions and all(p["leader"] >= 0 for p in parts):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {name!r} has no leaders after {timeout}s: {meta}")
        await asyncio.sleep(0.1)


async def delete_topics(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Delete ``names``; already-missing topics are fine (cleanup must not fail a test)."""
    response = await admin.delete_topics(names)
    for topic, code in response.topic_error_codes:
        if code not in (0, _UNKNOWN_TOPIC):
            raise for_code(code)(f"delete topic {topic!r}")


def docker_answers(timeout: float = 3) -> bool:
    """True if a Docker engine answers a ping; never raises, returns fast.

    The Docker SDK leaks a socket when the engine is missing; under
    ``filterwarnings=error`` its ResourceWarning would fail an unrelated
    test later, so it is collected here, after the exception is gone,
    with ResourceWarning silenced.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        answered = _ping_docker(timeout)
        gc.collect()
    return answered


def _ping_docker(timeout: float) -> bool:
    try:
        import docker

        client = docker.from_env(timeout=int(timeout))
    except Exception:
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


_START_SCRIPT = "/tmp/vigil-kafka-start.sh"
_CONTAINER_ENV = {
    "CLUSTER_ID": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
    "KAFKA_NODE_ID": "1",
    "KAFKA_PROCESS_ROLES": "broker,controller",
    "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094",
    "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
    "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
    "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9094",
    "KAFKA_NUM_PARTITIONS": "3",
    "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
    "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
    "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
    "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "true",
}


def start_kafka_container(timeout: float = 120) -> tuple[DockerContainer, str]:
    """Start ``apache/kafka`` (KRaft) via testcontainers; return (container, bootstrap).

    testcontainers' ``KafkaContainer`` only knows the confluentinc/cp-kafka
    image's boot scripts, so this follows the apache/kafka recipe of
    testcontainers-java: the container waits for a start script, which we
    write once the mapped host port (the advertised listener) is known.
    """
    from testcontainers.core.container import DockerContainer

    container = DockerContainer(f"apache/kafka:{KAFKA_VERSION}", env=dict(_CONTAINER_ENV))
    container.with_exposed_ports(9092)
    # The ".ready" marker comes after the script in the same tar archive, so
    # the script is complete once the marker exists.
    wait_then_run = f"while [ ! -f {_START_SCRIPT}.ready ]; do sleep 0.1; done; exec bash {_START_SCRIPT}"
    container.with_command(["sh", "-c", wait_then_run])
    with warnings.catch_warnings():
        # Third-party deprecations inside testcontainers are not ours to fix.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(testcontainers|docker)\b")
        container.start()
    try:
        host, port = container.get_container_host_ip(), container.get_exposed_port(9092)
        script = (
            "#!/bin/bash\n"
            f"export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://{host}:{port},BROKER://localhost:9093\n"
            "exec /etc/kafka/docker/run\n"
        ).encode()
        _put_files(container, {_START_SCRIPT: script, f"{_START_SCRIPT}.ready": b""})
        bootstrap = f"{host}:{port}"
        wait_for_metadata(bootstrap, timeout)
    except BaseException:
        container.stop()
        raise
    return container, bootstrap


def _put_files(container: Any, files: dict[str, bytes]) -> None:
    """Copy ``files`` (absolute path -> content) into the container, in order."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for path, content in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode, info.mtime = len(content), 0o755, int(time.time())
            tar.addfile(info, io.BytesIO(content))
    container.get_wrapped_container().put_archive("/", buf.getvalue())
