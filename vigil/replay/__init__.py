"""The shell of `vigil replay`: the live pipeline's shell functions wired into the pure `Replayer`,
and records read from Kafka (`vigil.replay.source`) or made from demo traffic."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson
from aiokafka.partitioner import murmur2

from correlator.pack import RulePack
from correlator.replay import Replayer, ReplayRecord
from vigil.demo.traffic import DemoEvent

__all__ = ["live_replayer", "records_from_events"]


def live_replayer(pack: RulePack, *, from_ts: float, to_ts: float, **options: Any) -> Replayer:
    """A `Replayer` that turns alerts and escalation steps into records exactly as the live agents do."""
    from streams.alerts_out import alert_record
    from streams.notify import escalation_commands

    return Replayer(
        pack,
        from_ts=from_ts,
        to_ts=to_ts,
        to_alert=alert_record,
        escalation_commands=escalation_commands,
        **options,
    )


def records_from_events(events: Iterable[DemoEvent], *, partitions: int = 3) -> Iterator[ReplayRecord]:
    """Demo events (already in time order) as the records Kafka would hold: Kafka's default partitioner
    places each by its key, offsets count per partition, the record time is the event time."""
    offsets: dict[tuple[str, int], int] = {}
    for event in events:
        partition = (murmur2(event.key) & 0x7FFFFFFF) % partitions
        slot = (event.topic, partition)
        offset = offsets.get(slot, 0)
        offsets[slot] = offset + 1
        yield ReplayRecord(
            family=event.topic,
            partition=partition,
            offset=offset,
            ts=int(event.value["ts"] * 1000) / 1000,
            key=event.key,
            value=orjson.dumps(event.value),
        )
