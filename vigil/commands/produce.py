"""`vigil produce`: JSON lines in, validated records out to a source topic.

Lines are validated with the same decoders the worker uses, so a bad line
is reported here, with its line number, instead of becoming a dead letter
later. Valid lines are sent as they were written (key = service).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["produce"]

_SHOW_REJECTS = 20


def produce(args: argparse.Namespace) -> int:
    return asyncio.run(_produce(args.bootstrap, args.topic, args.file))


async def _produce(bootstrap: str, topic: str, file: str) -> int:
    from aiokafka import AIOKafkaProducer

    from schemas import TOPIC_RECORDS, SchemaError, decode

    record_type = TOPIC_RECORDS[topic]
    err = Console(stderr=True)
    total = _count_lines(file)
    sent = rejected = 0
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, enable_idempotence=True)
    await producer.start()
    try:
        with _progress(err) as progress:
            task = progress.add_task(f"→ {topic}", total=total)
            for lineno, line in _lines(file):
                progress.advance(task)
                if not line.strip():
                    continue
                try:
                    record = decode(record_type, line)
                except SchemaError as exc:
                    rejected += 1
                    if rejected <= _SHOW_REJECTS:
                        progress.console.print(f"[red]line {lineno}[/]: {exc}")
                    continue
                await producer.send(topic, key=record.service.encode("utf-8"), value=line)
                sent += 1
        await producer.flush()
    finally:
        await producer.stop()
    if rejected > _SHOW_REJECTS:
        err.print(f"… and {rejected - _SHOW_REJECTS} more rejected lines")
    err.print(f"sent {sent} records to {topic}, rejected {rejected} lines")
    return 1 if rejected else 0


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _open(file: str) -> IO[bytes]:
    return sys.stdin.buffer if file == "-" else Path(file).open("rb")


def _lines(file: str) -> Iterator[tuple[int, bytes]]:
    stream = _open(file)
    try:
        for lineno, line in enumerate(stream, start=1):
            yield lineno, line.rstrip(b"\r\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def _count_lines(file: str) -> int | None:
    """Total for the progress bar; unknown (None) for stdin."""
    if file == "-":
        return None
    with Path(file).open("rb") as f:
        return sum(1 for _ in f)
