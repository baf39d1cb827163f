"""`vigil silence add|list|delete`: silences over a worker's HTTP API.

A silence mutes the alerts whose labels match all its matchers
(`service=postgres`, `alertname=~"Postgres.*"`) from its start to its end:
they still join incidents, but notify nobody. Connection options and exit
codes are those of `vigil incidents` (vigil/commands/incidents.py).
"""

from __future__ import annotations

import argparse
import urllib.parse
from typing import Any

import orjson

from vigil.commands.incidents import ApiClient, add_api_arguments, run_api_call, when

__all__ = ["add_silence_parser", "silence"]


def add_silence_parser(sub: Any) -> None:
    """`vigil silence …` on the top-level subparsers."""
    silence = sub.add_parser("silence", help="add, list and delete silences (HTTP API)")
    actions = silence.add_subparsers(dest="silence_command", required=True, metavar="ACTION")

    add = actions.add_parser("add", help="mute alerts matching every MATCHER for a while")
    add_api_arguments(add)
    add.add_argument(
        "matchers", nargs="+", metavar="MATCHER", help='label matcher, e.g. service=postgres or alertname=~"Pg.*"'
    )
    end = add.add_mutually_exclusive_group(required=True)
    end.add_argument("--duration", help="how long, e.g. 30m, 2h, 1d")
    end.add_argument("--ends-at", help="when it ends: ISO 8601 time with an offset, or Unix seconds")
    add.add_argument("--starts-at", help="when it starts (default: now)")
    add.add_argument("--comment", required=True, help="why, e.g. 'postgres failover drill'")

    listing = actions.add_parser("list", help="active and pending silences")
    add_api_arguments(listing)
    listing.add_argument("--expired", action="store_true", help="include silences that are over")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")

    delete = actions.add_parser("delete", help="end a silence now")
    add_api_arguments(delete)
    delete.add_argument("id", help="silence id (see vigil silence list)")


def silence(args: argparse.Namespace) -> int:
    client = ApiClient(args.url, args.token)
    action = {"add": _add, "list": _list, "delete": _delete}[args.silence_command]
    return run_api_call(lambda: action(client, args))


def _add(client: ApiClient, args: argparse.Namespace) -> None:
    body: dict[str, Any] = {"matchers": args.matchers, "comment": args.comment}
    if args.duration is not None:
        body["duration"] = args.duration
    if args.ends_at is not None:
        body["ends_at"] = args.ends_at
    if args.starts_at is not None:
        body["starts_at"] = args.starts_at
    answer = client.post("/api/silences", body)
    print(
        f"silence {answer['silence_id']} accepted: {when(answer['starts_at'])} to {when(answer['ends_at'])} UTC"
        f" (command {answer['command_id']})"
    )


def _list(client: ApiClient, args: argparse.Namespace) -> None:
    body = client.get("/api/silences", [("expired", "true")] if args.expired else [])
    if args.json:
        print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)
    if not body["silences"]:
        console.print("no silences")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("ID", "STATE", "MATCHERS", "STARTS (UTC)", "ENDS (UTC)", "BY", "COMMENT"):
        table.add_column(column, no_wrap=column != "COMMENT")
    styles = {"active": "bold green", "pending": "yellow", "expired": "dim"}
    for s in body["silences"]:
        table.add_row(
            escape(s["id"]),
            f"[{styles.get(s['state'], 'bold')}]{s['state']}[/]",
            escape(" ".join(s["matchers"])),
            when(s["starts_at"]),
            when(s["ends_at"]),
            escape(s["ended_by"] and f"{s['created_by']}, ended by {s['ended_by']}" or s["created_by"]),
            escape(s["comment"]),
        )
    console.print(table)


def _delete(client: ApiClient, args: argparse.Namespace) -> None:
    answer = client.delete(f"/api/silences/{urllib.parse.quote(args.id, safe='')}")
    print(f"removal of silence {answer['silence_id']} accepted (command {answer['command_id']})")
