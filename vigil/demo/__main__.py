"""``python -m vigil.demo --bootstrap HOST:PORT``: live demo traffic until Ctrl-C.

SIGINT/SIGTERM set a stop event instead of raising, so the producer is flushed
and closed and the process exits 0 without a traceback (``make run`` stops it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys

from aiokafka.errors import KafkaError
from rich.console import Console

from vigil.demo.producer import run_demo_traffic
from vigil.demo.traffic import DEFAULT_FAULTS


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m vigil.demo", description="Produce live demo platform traffic.")
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "127.0.0.1:9092",
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092)",
    )
    parser.add_argument("--rate", type=float, default=1.0, help="traffic rate multiplier (default 1.0)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--no-faults", action="store_true", help="baseline traffic only, no injected incident")
    return parser.parse_args(argv)


async def _main(args: argparse.Namespace) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows' loop
            loop.add_signal_handler(sig, stop.set)
    console = Console(stderr=True, highlight=False)
    faults = () if args.no_faults else DEFAULT_FAULTS
    console.print(
        f"demo traffic → {args.bootstrap} (seed {args.seed}, rate ×{args.rate:g}, "
        f"{len(faults)} fault(s) scheduled); Ctrl-C to stop",
        style="dim",
        soft_wrap=True,
    )
    await run_demo_traffic(args.bootstrap, seed=args.seed, rate=args.rate, faults=faults, stop=stop, console=console)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parse(argv)
    try:
        asyncio.run(_main(args))
    except KeyboardInterrupt:  # Ctrl-C before the signal handlers were installed
        pass
    except KafkaError as exc:
        print(f"vigil demo: Kafka at {args.bootstrap} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
