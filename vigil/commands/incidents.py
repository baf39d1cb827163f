"""`vigil incidents list|show|ack|resolve|comment`: incidents over a worker's HTTP API.

Every `vigil incidents` and `vigil silence` command talks to a worker's
HTTP API (`--url`, default `$VIGIL_URL` or http://127.0.0.1:6066) with a
bearer token (`--token`, default `$VIGIL_TOKEN`); none needs Kafka. Exit
codes: 0 done, 1 the API refused or could not be reached (the message
says why), 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["ApiCallError", "ApiClient", "add_api_arguments", "add_incidents_parser", "incidents", "when"]

DEFAULT_URL = "http://127.0.0.1:6066"

_HINTS = {
    401: "not authenticated",
    403: "not allowed",
    400: "refused",
    404: "not found",
    409: "conflict",
    413: "too large",
    503: "unavailable",
}


class ApiCallError(Exception):
    """The API answered with an error, or could not be reached (``status`` 0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        if self.status == 0:
            return self.message
        head = _HINTS.get(self.status, f"HTTP {self.status}")
        text = f"{head} ({self.status}): {self.message}"
        if self.status == 401:
            text += "\n  pass --token or set VIGIL_TOKEN"
        return text


class ApiClient:
    """A small synchronous client of the HTTP API (urllib, JSON in and out)."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def get(self, path: str, query: Sequence[tuple[str, str]] = ()) -> Any:
        return self.request("GET", path, query=query)

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        return self.request("POST", path, body=body if body is not None else {})

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
    ) -> Any:
        url = self.url + path + (f"?{urllib.parse.urlencode(list(query))}" if query else "")
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return orjson.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise ApiCallError(exc.code, _error_message(exc)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiCallError(0, f"cannot reach Vigil at {self.url}: {reason}") from None
        except orjson.JSONDecodeError:
            raise ApiCallError(0, f"{self.url} did not answer with JSON; is it a Vigil worker?") from None


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        raw = exc.read()
    except OSError:
        raw = b""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    return raw.decode("utf-8", "replace").strip()[:200] or str(exc.reason)


def add_api_arguments(parser: argparse.ArgumentParser) -> None:
    """--url and --token, shared by every command that talks to the HTTP API."""
    parser.add_argument(
        "--url",
        default=os.environ.get("VIGIL_URL", DEFAULT_URL),
        help="a worker's web address (default: $VIGIL_URL or %(default)s)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("VIGIL_TOKEN"),
        help="API bearer token (default: $VIGIL_TOKEN)",
    )


def add_incidents_parser(sub: Any) -> None:
    """`vigil incidents …` on the top-level subparsers."""
    incidents = sub.add_parser("incidents", help="list, show, ack, resolve and comment on incidents (HTTP API)")
    actions = incidents.add_subparsers(dest="incidents_command", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="incidents, most recently opened first")
    add_api_arguments(listing)
    listing.add_argument(
        "--status", action="append", help="triggered, acknowledged, resolved or open (repeat or comma-separate)"
    )
    listing.add_argument("--severity", action="append", help="critical, high, medium or low (repeatable)")
    listing.add_argument("--service", action="append", help="incidents concerning this service (repeatable)")
    listing.add_argument("--since", help="opened at or after: ISO 8601 time, Unix seconds, or a duration ago (2h)")
    listing.add_argument("--until", help="opened before: ISO 8601 time, Unix seconds, or a duration ago")
    listing.add_argument("--limit", type=int, default=None, help="at most this many (default 100, at most 1000)")
    listing.add_argument("--json", action="store_true", help="print the API's JSON")

    show = actions.add_parser("show", help="one incident: alerts, root cause, suspects and timeline")
    add_api_arguments(show)
    show.add_argument("id", help="incident id")
    show.add_argument("--json", action="store_true", help="print the API's JSON")

    for action, text in (("ack", "acknowledge an incident"), ("resolve", "resolve an incident")):
        command = actions.add_parser(action, help=text)
        add_api_arguments(command)
        command.add_argument("id", help="incident id")
        command.add_argument("--note", help="a note for the timeline")

    comment = actions.add_parser("comment", help="add a comment to an incident's timeline")
    add_api_arguments(comment)
    comment.add_argument("id", help="incident id")
    comment.add_argument("note", help="the comment")


def incidents(args: argparse.Namespace) -> int:
    client = ApiClient(args.url, args.token)
    action: Callable[[ApiClient, argparse.Namespace], None] = {
        "list": _list,
        "show": _show,
        "ack": _command,
        "resolve": _command,
        "comment": _command,
    }[args.incidents_command]
    return run_api_call(lambda: action(client, args))


def run_api_call(call: Callable[[], None]) -> int:
    """0 if ``call`` succeeds; 1 with the API's complaint on stderr if it raises ApiCallError."""
    try:
        call()
    except ApiCallError as exc:
        print(f"vigil: {exc}", file=sys.stderr)
        return 1
    return 0


def _list(client: ApiClient, args: argparse.Namespace) -> None:
    query: list[tuple[str, str]] = []
    for name in ("status", "severity", "service"):
        query.extend((name, value) for value in getattr(args, name) or ())
    for name in ("since", "until", "limit"):
        if getattr(args, name) is not None:
            query.append((name, str(getattr(args, name))))
    body = client.get("/api/incidents", query)
    if args.json:
        print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    if not body["incidents"]:
        console.print("no incidents")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("ID", "STATUS", "SEVERITY", "OPENED (UTC)", "SERVICES", "TITLE"):
        table.add_column(column, no_wrap=column != "TITLE")
    for incident in body["incidents"]:
        table.add_row(
            escape(incident["id"]),
            _status(incident["status"]),
            _severity(incident["severity"]),
            when(incident["opened_at"]),
            escape(", ".join(incident["services"])),
            escape(incident["title"]),
        )
    console.print(table)
    if body["total"] > body["count"]:
        console.print(f"[dim]{body['count']} of {body['total']}; use --limit or filters to see others[/]")


def _show(client: ApiClient, args: argparse.Namespace) -> None:
    body = client.get(f"/api/incidents/{urllib.parse.quote(args.id, safe='')}")
    if args.json:
        print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
        return
    from rich.markup import escape
    from rich.table import Table

    console = _console()
    inc = body["incident"]
    console.print(f"[bold]{escape(inc['title'])}[/]")
    console.print(f"{escape(inc['id'])}  {_status(inc['status'])}  {_severity(inc['severity'])}")
    facts = [
        ("services", ", ".join(inc["services"])),
        ("root cause", inc.get("root_cause")),
        ("domain", inc.get("domain")),
        ("group", inc["group_key"]),
        ("detected", when(inc.get("detected_at"))),
        ("opened", when(inc["opened_at"])),
        ("acknowledged", _by(when(inc.get("acknowledged_at")), inc.get("acknowledged_by"))),
        ("resolved", when(inc.get("resolved_at"))),
        ("time to ack", _seconds(inc.get("time_to_acknowledge"))),
        ("time to resolve", _seconds(inc.get("time_to_resolve"))),
        ("reopened", f"{inc['reopen_count']}×" if inc.get("reopen_count") else None),
        ("flapping", "yes, notifications held" if inc.get("flapping") else None),
    ]
    for name, value in facts:
        if value:
            console.print(f"  [dim]{name:>15}[/]  {escape(str(value))}")
    for reason in inc.get("reasons") or ():
        console.print(f"  [dim]{'joined because':>15}[/]  {escape(reason)}")
    for suspect in inc.get("suspects") or ():
        console.print(f"  [dim]{'suspect':>15}[/]  [yellow]{escape(suspect['summary'])}[/]  {escape(suspect['link'])}")

    if inc.get("alert_details"):
        console.print("\n[bold]Alerts[/]")
        alerts = Table(box=None, pad_edge=False)
        for column in ("STATUS", "SEVERITY", "ALERT", "SERVICE", "COUNT", "MUTED", "SUMMARY"):
            alerts.add_column(column, no_wrap=column != "SUMMARY")
        for alert in inc["alert_details"]:
            muted = alert.get("silenced_by") and f"silenced by {alert['silenced_by']}"
            muted = muted or (alert.get("inhibited_by") and f"inhibited by {alert['inhibited_by']}") or ""
            alerts.add_row(
                _status(alert["status"]),
                _severity(alert["severity"]),
                escape(alert["alertname"]),
                escape(alert["labels"].get("service", "")),
                str(alert.get("count", 1)),
                escape(muted),
                escape(alert.get("summary") or ""),
            )
        console.print(alerts)

    console.print("\n[bold]Timeline[/]")
    timeline = inc.get("timeline") or [
        {"ts": e["ts"], "kind": e["event"], "text": e.get("note") or "", "actor": e.get("actor")}
        for e in body.get("events", ())
    ]
    notes = {(e["ts"], e["event"]): e["note"] for e in body.get("events", ()) if e.get("note")}
    for entry in timeline:
        actor = f" [dim]({escape(entry['actor'])})[/]" if entry.get("actor") else ""
        console.print(
            f"  [dim]{when(entry['ts'])}[/]  [bold]{escape(entry['kind']):<17}[/]{escape(entry['text'])}{actor}",
            soft_wrap=True,
        )
        note = notes.get((entry["ts"], entry["kind"]))
        if note and note not in entry["text"]:
            console.print(f"  {'':19}  {'':17}[italic]{escape(note)}[/]", soft_wrap=True)


def _command(client: ApiClient, args: argparse.Namespace) -> None:
    action = args.incidents_command
    note = getattr(args, "note", None)
    body = client.post(
        f"/api/incidents/{urllib.parse.quote(args.id, safe='')}/{action}", {"note": note} if note else {}
    )
    done = {"ack": "acknowledgement", "resolve": "resolution", "comment": "comment"}[action]
    print(f"{done} of {body['incident_id']} accepted (command {body['command_id']})")


def when(ts: float | None) -> str:
    """Unix seconds as a UTC time for people; empty for None."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _by(text: str, who: str | None) -> str:
    return f"{text} by {who}" if text and who else text


def _seconds(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    from correlator.durations import format_duration

    return format_duration(round(seconds))


def _status(status: str) -> str:
    style = {"triggered": "bold red", "firing": "bold red", "acknowledged": "bold yellow"}.get(status, "bold green")
    return f"[{style}]{status}[/]"


def _severity(severity: str) -> str:
    style = {"critical": "bold red", "high": "red", "medium": "yellow"}.get(severity, "dim")
    return f"[{style}]{severity}[/]"


def _console() -> Any:
    """A terminal's own width; piped output gets room enough not to wrap titles word by word."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)
