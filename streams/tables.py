"""Changelog-backed state tables that route by key, and the one trap that comes with them.

Vigil's tables set `use_partitioner=True`: a shard or a book is saved to
the changelog partition its key hashes to, the same partition its input
records use, so state recovers where its inputs go (and the save may
happen outside a stream event, e.g. on a timer). Faust computes that
partition from the producer's metadata, which does not know a changelog
topic until someone asks: the first save would fail. `partitioner_ready`
asks once, before any agent writes, and has the producer *track* each
changelog topic. Asking alone is not enough: if an earlier metadata refresh
fetched every topic (which aiokafka does while it tracks none), the answer
comes from that cache without tracking the topic, and the next refresh for
some other topic drops the changelog again (seen as `page` crashing on its
first save in `bench/notify.py`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust

__all__ = ["partitioner_ready"]


def partitioner_ready(app: faust.App, *tables: Any) -> asyncio.Event:
    """An event set once the producer knows the partitions of every table's changelog topic."""
    ready = asyncio.Event()

    @app.task
    async def load_changelog_metadata() -> None:
        producer = app.producer._ensure_producer()
        for table in tables:
            name = table.changelog_topic_name
            await producer.client.add_topic(name)  # tracked: kept in every later metadata refresh
            await producer.partitions_for(name)
        ready.set()

    return ready
