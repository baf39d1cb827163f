"""Command line for the local Kafka broker: ``python -m vigil.broker <command>``.

Commands:

``fetch``
    Resolve the Kafka jars into the cache (Maven, once); start nothing.
    CI runs it as a separate, cacheable step.

``run [--data-dir var/kafka] [--port 9092] [--controller-port 0]``
    Start the broker, print ``Kafka ready at 127.0.0.1:PORT`` on stdout, and
    block until SIGINT/SIGTERM, then stop it cleanly and exit 0. Exits 1 if
    the broker cannot start or dies on its own (with its log tail on stderr).
    Topics persist in the data dir across runs.

    If ``KAFKA_BOOTSTRAP_SERVERS`` is set, ``run`` starts nothing: it prints
    that it uses that cluster and still blocks until signalled, exit 0. So a
    Makefile can treat both cases alike, e.g.::

        python -m vigil.broker run & pid=$$!; \\
        python -m vigil.broker wait && <work>; kill $$pid; wait $$pid

``wait [--bootstrap HOST:PORT] [--timeout 90]``
    Block until the cluster (default: ``KAFKA_BOOTSTRAP_SERVERS`` or
    127.0.0.1:9092) answers a metadata request; exit 1 on timeout. Pairs
    with a backgrounded ``run``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from vigil.broker.launcher import (
    BrokerError,
    LocalKafka,
    bootstrap_from_env,
    ensure_jars,
    wait_for_metadata,
)


class _Signalled(Exception):
    """Raised from the SIGINT/SIGTERM handler to unwind into a clean stop."""


def _raise_signalled(signum: int, frame: FrameType | None) -> None:
    raise _Signalled(signum)


def _run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGINT, _raise_signalled)
    signal.signal(signal.SIGTERM, _raise_signalled)
    external = bootstrap_from_env()
    if external:
        print(f"Using Kafka at {external} (KAFKA_BOOTSTRAP_SERVERS); not starting a broker", flush=True)
        try:
            while True:
                signal.pause()
        except _Signalled:
            return 0
    kafka = LocalKafka(data_dir=args.data_dir, port=args.port, controller_port=args.controller_port)
    try:
        bootstrap = kafka.start(timeout=args.timeout)
        print(f"Kafka ready at {bootstrap}", flush=True)
        while kafka.running:
            time.sleep(0.5)
        print(f"Kafka broker exited unexpectedly; log tail:\n{kafka.log_tail()}", file=sys.stderr)
        return 1
    except _Signalled:
        return 0
    except BrokerError as exc:
        print(f"vigil.broker: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not abort the clean shutdown half-way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        kafka.stop()


def _wait(args: argparse.Namespace) -> int:
    bootstrap = args.bootstrap or bootstrap_from_env() or "127.0.0.1:9092"
    try:
        wait_for_metadata(bootstrap, args.timeout)
    except TimeoutError as exc:
        print(f"vigil.broker: {exc}", file=sys.stderr)
        return 1
    print(f"Kafka ready at {bootstrap}", flush=True)
    return 0


def _fetch(args: argparse.Namespace) -> int:
    try:
        print(ensure_jars(), flush=True)
    except BrokerError as exc:
        print(f"vigil.broker: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and dispatch; returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m vigil.broker", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="resolve the Kafka jars into the cache").set_defaults(fn=_fetch)
    run = sub.add_parser("run", help="run a local broker until signalled")
    run.add_argument("--data-dir", type=Path, default=Path("var/kafka"))
    run.add_argument("--port", type=int, default=9092, help="0 = free port, remembered in data dir")
    run.add_argument("--controller-port", type=int, default=0)
    run.add_argument("--timeout", type=float, default=90.0, help="startup timeout, seconds")
    run.set_defaults(fn=_run)
    wait = sub.add_parser("wait", help="wait until a cluster answers metadata")
    wait.add_argument("--bootstrap", default=None)
    wait.add_argument("--timeout", type=float, default=90.0)
    wait.set_defaults(fn=_wait)
    args = parser.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
