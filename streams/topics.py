"""Creating Vigil's topics up front, so producers never race auto-creation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

__all__ = ["ensure_topics"]


async def ensure_topics(
    bootstrap: str,
    names: Iterable[str],
    *,
    partitions: int = 3,
    configs: Mapping[str, Mapping[str, str]] | None = None,
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        extra = configs or {}
        missing = [
            NewTopic(n, num_partitions=partitions, replication_factor=1, topic_configs=dict(extra.get(n, {})))
            for n in names
            if n not in existing
        ]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another process created them first: that is the goal anyway
    finally:
        await admin.close()
