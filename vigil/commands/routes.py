"""`vigil routes test|check`: who a pack's routing tells about an incident, and routing unit tests.

`vigil routes test [--config PACK ...] LABEL=VALUE ...` walks the route tree
with an incident's routing labels (severity, service, root_cause, domain
and its common labels) and shows each matched route: receivers, the
escalation policy level by level, timers, mute intervals and rollback
webhook (`--json` for machines). `vigil routes check FILE...` runs routing
test files (correlator/routing/routetest.py has the format).

Neither needs Kafka or secrets: receivers are not built, only named.
Exit codes: 0 done (every test passed), 1 a test failed or a file has
problems (printed as `FILE:LINE: message`), 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from correlator.routing.model import RoutingConfig, TimeInterval
    from correlator.routing.tree import RouteMatch

__all__ = ["add_routes_parser", "describe_matches", "parse_labels", "routes"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def add_routes_parser(sub: Any) -> None:
    """`vigil routes …` on the top-level subparsers."""
    parser = sub.add_parser("routes", help="show who the routing tells about an incident; run routing tests")
    actions = parser.add_subparsers(dest="routes_command", required=True, metavar="ACTION")

    test = actions.add_parser("test", help="which routes, receivers and escalation an incident's labels reach")
    test.add_argument(
        "--config",
        action="append",
        default=None,
        metavar="FILE",
        help="rule pack (repeat to merge several; default: $VIGIL_CONFIG or packs/default.yaml)",
    )
    test.add_argument("labels", nargs="*", metavar="LABEL=VALUE", help="e.g. severity=critical service=advisor-api")
    test.add_argument("--json", action="store_true", help="print the matched routes as JSON")

    check = actions.add_parser("check", help="run routing test files, e.g. packs/*.routes-tests.yaml")
    check.add_argument("files", nargs="+", metavar="FILE")


def routes(args: argparse.Namespace) -> int:
    if args.routes_command == "check":
        return _check(args.files)
    return _test(args)


def parse_labels(items: Sequence[str]) -> dict[str, str]:
    """`severity=critical` pairs → labels; ValueError naming the bad one."""
    from correlator.config.fields import LABEL_NAME

    labels: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or LABEL_NAME.fullmatch(name) is None:
            raise ValueError(f"{item!r} is not LABEL=VALUE (e.g. severity=critical)")
        if name in labels:
            raise ValueError(f"label {name} is given twice")
        labels[name] = value.strip().strip('"')
    return labels


# -- test -----------------------------------------------------------------------


def _test(args: argparse.Namespace) -> int:
    from correlator.config import ConfigError, load_packs
    from correlator.routing.tree import match_routes
    from vigil.commands.run import default_pack_path

    try:
        labels = parse_labels(args.labels)
    except ValueError as exc:
        print(f"vigil routes test: {exc}", file=sys.stderr)
        return 2
    paths = args.config or [p for p in os.environ.get("VIGIL_CONFIG", "").split(os.pathsep) if p]
    paths = paths or [str(default_pack_path())]
    try:
        pack = load_packs(paths)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    config = pack.routing
    matches = match_routes(config, labels)
    report = describe_matches(config, labels, matches)
    if args.json:
        print(orjson.dumps(report, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())
        return 0
    _print(config, report, paths)
    return 0


def describe_matches(config: RoutingConfig, labels: Mapping[str, str], matches: Sequence[RouteMatch]) -> dict[str, Any]:
    """What `--json` prints: the labels, and each matched route with everything resolved (times in seconds)."""
    out = []
    for match in matches:
        policy = config.policies.get(match.escalation or "")
        out.append(
            {
                "name": match.name,
                "path": match.path,
                "receivers": [_receiver(config, name) for name in match.receivers],
                "escalation": None
                if policy is None
                else {
                    "name": policy.name,
                    "repeat": policy.repeat,
                    "levels": [
                        {"level": i, "notify": list(level.targets), "escalate_after": level.escalate_after}
                        for i, level in enumerate(policy.levels)
                    ],
                },
                "group_wait": match.group_wait,
                "group_interval": match.group_interval,
                "repeat_interval": match.repeat_interval,
                "mute_time_intervals": list(match.mute_time_intervals),
                "rollback_webhook": match.rollback_webhook,
            }
        )
    return {"labels": dict(labels), "routes": out, "link": config.link_template}


def _receiver(config: RoutingConfig, name: str) -> dict[str, Any]:
    spec = config.receivers.get(name)
    if spec is None:
        return {"name": name, "kind": None, "optional": False, "fallback": None}
    return {"name": name, "kind": spec.kind, "optional": spec.optional, "fallback": spec.fallback}


def _print(config: RoutingConfig, report: Mapping[str, Any], paths: Sequence[str]) -> None:
    from rich.console import Console
    from rich.markup import escape

    from correlator.durations import format_duration as dur

    console = Console(highlight=False, soft_wrap=True)
    labels = report["labels"]
    shown = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) or "(none)"
    console.print(f"[bold]labels[/] {escape(shown)}   [dim]pack: {escape(', '.join(map(str, paths)))}[/]")
    if "severity" not in labels:
        console.print("[yellow]note:[/] no severity label; every incident has one (critical, high, medium, low)")
    if not config.receivers and not config.route.routes:
        console.print("[yellow]this pack has no routing: nobody is told about incidents[/]")
    matched = report["routes"]
    console.print(f"{len(matched)} route{'s' if len(matched) != 1 else ''} matched\n")
    for route in matched:
        console.print(f"[bold cyan]{escape(route['name'])}[/]  [dim]({escape(route['path'])})[/]")
        receivers = route["receivers"]
        console.print(
            f"  receivers   {escape(', '.join(_who(r) for r in receivers)) if receivers else '[dim]nobody[/]'}"
        )
        policy = route["escalation"]
        if policy is None:
            console.print("  escalation  [dim]none[/]")
        else:
            repeat = policy["repeat"]
            again = f", then again {repeat} more time{'s' if repeat != 1 else ''}" if repeat else ""
            console.print(f"  escalation  [bold]{escape(policy['name'])}[/] while nobody acknowledges{again}")
            at = 0.0
            for level in policy["levels"]:
                who = ", ".join(_who(_receiver(config, n)) for n in level["notify"])
                when = "when announced" if level["level"] == 0 else f"+{dur(at)}"
                console.print(f"    level {level['level']}  {when:<15} {escape(who)}")
                at += level["escalate_after"]
            if repeat:
                console.print(f"    [dim]level 0 again at +{dur(at)}[/]")
        console.print(
            f"  timers      group_wait {dur(route['group_wait'])} · group_interval {dur(route['group_interval'])}"
            f" · repeat_interval {dur(route['repeat_interval'])}"
        )
        mutes = [_interval(config.time_intervals.get(n), n) for n in route["mute_time_intervals"]]
        console.print(f"  muted       {escape('; '.join(mutes)) if mutes else '[dim]never[/]'}")
        webhook = route["rollback_webhook"]
        console.print(f"  rollback    {escape(_who(_receiver(config, webhook))) if webhook else '[dim]none[/]'}")
        console.print()


def _who(receiver: Mapping[str, Any]) -> str:
    """`oncall-pager (pagerduty, optional, fallback team-slack)`."""
    details = [receiver["kind"] or "undeclared"]
    if receiver["optional"]:
        details.append("optional")
    if receiver["fallback"]:
        details.append(f"fallback {receiver['fallback']}")
    return f"{receiver['name']} ({', '.join(details)})"


def _interval(interval: TimeInterval | None, name: str) -> str:
    if interval is None:
        return name
    windows = []
    for w in interval.windows:
        days = "every day" if len(w.weekdays) == 7 else " ".join(_DAYS[d] for d in w.weekdays)
        hours = (
            "all day" if w.start == w.end and w.start.hour == w.start.minute == 0 else f"{w.start:%H:%M}–{w.end:%H:%M}"
        )
        windows.append(f"{days} {hours}")
    active = " (active now)" if interval.active(time.time()) else ""
    return f"{name}: {', '.join(windows)} UTC{active}"


# -- check ----------------------------------------------------------------------


def _check(files: Sequence[str]) -> int:
    from correlator.routing.routetest import format_result, run_route_tests

    status = 0
    for file in files:
        result = run_route_tests(file)
        for problem in result.problems:
            print(problem, file=sys.stderr)
        print(format_result(result))
        if not result.passed:
            status = 1
    return status
