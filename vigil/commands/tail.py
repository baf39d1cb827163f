"""`vigil tail`: follow a topic and pretty-print what arrives.

It reads without a consumer group (assign + seek), so tailing never
steals partitions from a worker or moves anyone's committed offsets.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from rich.console import Console
from rich.markup import escape

from schemas import Alert, SchemaError, decode
from streams.alerts_out import alert_line

__all__ = ["tail"]

_STATUS_STYLE = {"firing": "bold red", "resolved": "bold green"}


def tail(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_tail(args.bootstrap, args.topic, args.from_beginning, args.max, args.timeout, args.json))
    except KeyboardInterrupt:
        return 0


async def _tail(
    bootstrap: str, topic: str, from_beginning: bool, limit: int | None, timeout: float | None, raw: bool
) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    console = Console(highlight=False)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed")
    await consumer.start()
    try:
        partitions = await _partitions(consumer, topic)
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        seen, idle_since = 0, time.monotonic()
        while limit is None or seen < limit:
            batches = await consumer.getmany(timeout_ms=250)
            records = sorted((r for rs in batches.values() for r in rs), key=lambda r: r.timestamp)
            if not records and timeout is not None and time.monotonic() - idle_since > timeout:
                break
            for record in records:
                idle_since = time.monotonic()
                console.print(_render(record, raw), soft_wrap=True)
                seen += 1
                if limit is not None and seen >= limit:
                    break
    finally:
        await consumer.stop()
    return 0


async def _partitions(consumer: Any, topic: str) -> set[int]:
    for _ in range(50):
        partitions = consumer.partitions_for_topic(topic)
        if partitions:
            return set(partitions)
        await consumer._client.force_metadata_update()  # a fresh topic may not be in metadata yet
        await asyncio.sleep(0.1)
    raise SystemExit(f"topic {topic!r} does not exist")


def _render(record: Any, raw: bool) -> str:
    try:
        value: Any = orjson.loads(record.value) if record.value is not None else None
    except orjson.JSONDecodeError:
        value = record.value
    if raw:
        if isinstance(value, (bytes, bytearray)):
            value = value.decode("utf-8", "replace")
        return orjson.dumps(
            {
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "headers": {k: v.decode("utf-8", "replace") for k, v in record.headers},
                "value": value,
            }
        ).decode()
    when = datetime.fromtimestamp(record.timestamp / 1000, tz=UTC).strftime("%H:%M:%S.%f")[:-3]
    head = f"[dim]{when} {record.topic}/{record.partition}@{record.offset}[/]"
    if isinstance(value, dict) and "fingerprint" in value and "status" in value:
        try:
            alert = decode(Alert, record.value)
        except SchemaError:
            pass  # not a readable alert after all: shown as plain JSON below
        else:
            style = _STATUS_STYLE.get(str(alert.status), "bold")
            return f"{head} [{style}]{escape(alert_line(alert))}[/]"
    headers = "".join(
        f" [yellow]{escape(k)}[/]={escape(repr(v.decode('utf-8', 'replace')))}" for k, v in record.headers
    )
    body = value if not isinstance(value, (bytes, bytearray)) else repr(bytes(value))
    text = body if isinstance(body, str) else orjson.dumps(body).decode()
    return f"{head}{headers} {escape(text)}"
