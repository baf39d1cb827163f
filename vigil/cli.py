"""The `vigil` command line: argument parsing only; each command lives in vigil/commands/."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from vigil.commands.incidents import add_incidents_parser
from vigil.commands.replay import add_replay_parser
from vigil.commands.routes import add_routes_parser
from vigil.commands.silences import add_silence_parser

__all__ = ["build_parser", "main"]

_DEFAULT_BOOTSTRAP = "127.0.0.1:9092"


def _bootstrap(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", _DEFAULT_BOOTSTRAP),
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigil", description="Streaming alert correlator on Kafka.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a worker: ingest, windows, rules, web (/health, /metrics)")
    _bootstrap(run)
    run.add_argument("--web-host", default=os.environ.get("VIGIL_WEB_HOST", "127.0.0.1"))
    run.add_argument("--web-port", type=int, default=int(os.environ.get("VIGIL_WEB_PORT", "6066")))
    run.add_argument("--data-dir", default=os.environ.get("VIGIL_DATA_DIR", "var/worker"))
    run.add_argument("--loglevel", default="warning", choices=["debug", "info", "warning", "error"])
    run.add_argument(
        "--config",
        action="append",
        default=[p for p in os.environ.get("VIGIL_CONFIG", "").split(os.pathsep) if p] or None,
        metavar="FILE",
        help="rule pack (repeat to merge several; default: $VIGIL_CONFIG or packs/default.yaml)",
    )

    produce = sub.add_parser("produce", help="send JSON lines to logs, metrics, receipts or changes")
    _bootstrap(produce)
    produce.add_argument("topic", choices=["logs", "metrics", "receipts", "changes"])
    produce.add_argument("file", nargs="?", default="-", help="JSON-lines file, or - for stdin (default)")

    tail = sub.add_parser("tail", help="pretty-print records of a topic as they arrive")
    _bootstrap(tail)
    tail.add_argument("topic")
    tail.add_argument("--from-beginning", action="store_true", help="start at the oldest record, not the newest")
    tail.add_argument("--max", type=int, default=None, help="stop after this many records")
    tail.add_argument("--timeout", type=float, default=None, help="stop after this many idle seconds")
    tail.add_argument("--json", action="store_true", help="print one raw JSON object per line")

    schemas = sub.add_parser("schemas", help="JSON Schemas of Vigil's records")
    schemas_sub = schemas.add_subparsers(dest="schemas_command", required=True, metavar="ACTION")
    export = schemas_sub.add_parser("export", help="write <record>.v1.schema.json files")
    export.add_argument("--out", default=None, help="directory (default: the package's schemas/json)")

    check = sub.add_parser("check-config", help="validate rule packs; every problem as FILE:LINE: message")
    check.add_argument("files", nargs="+", metavar="FILE", help="rule pack YAML files")

    rule_tests = sub.add_parser("test-rules", help="run rule-pack unit tests (promtool style) through the engine")
    rule_tests.add_argument("files", nargs="+", metavar="FILE", help="test files, e.g. packs/*.tests.yaml")

    add_incidents_parser(sub)
    add_silence_parser(sub)
    add_routes_parser(sub)
    add_replay_parser(sub)

    demo = sub.add_parser("demo", help="local broker + worker + demo traffic with an injected fault (make run)")
    demo.add_argument("--data-dir", default="var", help="broker and worker state (default: var)")
    demo.add_argument(
        "--keep", action="store_true", help="keep the previous demo's topics and state instead of starting fresh"
    )
    demo.add_argument("--web-port", type=int, default=6066)
    demo.add_argument("--kafka-port", type=int, default=9092)
    demo.add_argument("--config", default=None, metavar="FILE", help="rule pack (default: packs/demo.yaml)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from vigil.commands.run import run

        return run(args)
    if args.command == "produce":
        from vigil.commands.produce import produce

        return produce(args)
    if args.command == "tail":
        from vigil.commands.tail import tail

        return tail(args)
    if args.command == "schemas":
        from vigil.commands.schemas import export_schemas

        return export_schemas(args)
    if args.command == "check-config":
        from vigil.commands.check_config import check_config

        return check_config(args)
    if args.command == "test-rules":
        from vigil.commands.test_rules import test_rules

        return test_rules(args)
    if args.command == "incidents":
        from vigil.commands.incidents import incidents

        return incidents(args)
    if args.command == "silence":
        from vigil.commands.silences import silence

        return silence(args)
    if args.command == "routes":
        from vigil.commands.routes import routes

        return routes(args)
    if args.command == "replay":
        from vigil.commands.replay import replay

        return replay(args)
    from vigil.commands.demo import demo

    return demo(args)


if __name__ == "__main__":
    sys.exit(main())
