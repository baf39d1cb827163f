"""The design alternative to Vigil's ingest loop: a plain Faust agent.

Run by bench/ingest.py in its own process (its own app id, consumer group
and event loop). The agent does the same per-event work as
`streams.ingest.IngestLoop.fold` -- schemas decode, `correlator.sample_of`,
`PartialFolder.add` -- but receives the events through Faust's stream
machinery, with the most favourable settings we know of: `stream.take`
batches of 10 000, `stream_buffer_maxsize=131072`, unlimited poll records,
4 MiB fetches. It does not produce partials or commit in transactions, so
it does strictly less I/O than Vigil's loop.

Progress and the final result are appended as JSON lines to `--out`
(stdout/stderr belong to Faust's logging). Times are `time.perf_counter()`,
which is CLOCK_MONOTONIC on Linux; only differences are used.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import faust

from correlator import PartialFolder, sample_of
from schemas import MetricSample, SchemaError, decode


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--take", type=int, default=10_000)
    parser.add_argument("--within", type=float, default=1.0)
    parser.add_argument("--window-seconds", type=float, default=10.0)
    args = parser.parse_args()

    brokers = ";".join(b.strip() for b in args.bootstrap.split(","))
    app = faust.App(
        args.app_id,
        broker=f"kafka://{brokers}",
        datadir=args.data_dir,
        web_enabled=False,
        topic_partitions=3,
        consumer_auto_offset_reset="earliest",
        stream_wait_empty=False,
        stream_buffer_maxsize=131_072,
        broker_max_poll_records=None,
        consumer_max_fetch_size=4 * 1024 * 1024,
    )
    topic = app.topic(args.topic, key_serializer="raw", value_serializer="raw")
    folder = PartialFolder(window_seconds=args.window_seconds)
    out = open(args.out, "a", buffering=1)  # noqa: SIM115 -- lives as long as the process

    def report(**fields: Any) -> None:
        out.write(json.dumps(fields) + "\n")

    state: dict[str, Any] = {
        "count": 0,
        "invalid": 0,
        "batches": 0,
        "first": None,
        "n_first": 0,
        "last": None,
        "cpu_first": 0.0,
        "cpu_last": 0.0,  # time.process_time(): CPU of the whole worker process
    }

    @app.agent(topic)
    async def fold(stream: Any) -> None:
        next_progress = 0.0
        async for batch in stream.take(args.take, within=args.within):
            invalid = 0
            add = folder.add
            for raw in batch:
                try:
                    event = decode(MetricSample, raw)
                except SchemaError:
                    invalid += 1
                    continue
                add(*sample_of("metrics", event))
            now, cpu = time.perf_counter(), time.process_time()
            state["count"] += len(batch)
            state["invalid"] += invalid
            state["batches"] += 1
            if state["first"] is None:
                state["first"], state["n_first"], state["cpu_first"] = now, len(batch), cpu
            state["last"], state["cpu_last"] = now, cpu
            if state["count"] >= args.events:
                report(done=True, **state, series_windows=len(folder))
            elif now >= next_progress:
                report(progress=True, **state)
                next_progress = now + 1.0

    faust.Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
