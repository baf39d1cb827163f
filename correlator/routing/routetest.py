"""Unit tests for a pack's routing, run by `vigil routes check` (the routing twin of `correlator.ruletest`).

A test file names the pack(s) and, for sets of incident labels, who must
be told; the labels go through the real route tree (`match_routes`)::

    pack: default.yaml                    # relative to this file; a list of files is merged
    tests:
      - name: a critical API incident pages on-call      # optional
        labels: {severity: critical, service: advisor-api}
        receivers: [console, oncall-pager]  # the union of the matched routes' receivers, any order
        escalation: critical-default        # their escalation policies: a name, a list, or null for none
        routes: [critical]                  # the matched routes' names, in tree order

Labels are an incident's routing labels (`correlator.routing.routing_labels`:
its common labels plus `severity`, `service`, `root_cause`, `domain`). Each
case needs `labels` and at least one of `receivers`, `escalation` and
`routes`; what a case leaves out is not compared. A case naming a
receiver, policy or route the pack does not have is a problem of the file
(reported at its line), not a failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from correlator.config.errors import ConfigError, ConfigProblem
from correlator.config.fields import Report, Section, describe, read_mapping_file
from correlator.config.packfile import load_packs
from correlator.config.source import LineMap
from correlator.routing.model import Route, RoutingConfig
from correlator.routing.tree import RouteMatch, match_routes

__all__ = [
    "CaseResult",
    "FileResult",
    "RouteCase",
    "RouteTestFile",
    "escalations_of",
    "format_result",
    "load_route_tests",
    "receivers_of",
    "route_names",
    "run_case",
    "run_route_tests",
]

_TOP_KEYS = ("pack", "tests")
_CASE_KEYS = ("name", "labels", "receivers", "escalation", "routes")
_EXPECTATIONS = ("receivers", "escalation", "routes")


# -- the test file --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RouteCase:
    """Labels, and what must follow from them; None: not compared."""

    name: str
    line: int
    labels: Mapping[str, str]
    receivers: frozenset[str] | None = None
    escalation: tuple[str, ...] | None = None  #: distinct policies of the matched routes, in order; () for none
    routes: tuple[str, ...] | None = None
    #: line of each name the case uses, for "no such receiver" problems: (kind, name, line)
    names: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class RouteTestFile:
    path: str
    packs: tuple[str, ...]  #: as resolved against the test file's directory
    cases: tuple[RouteCase, ...]


def load_route_tests(path: str | PathLike[str]) -> RouteTestFile:
    """Read and check a routing test file (not its packs); raises ConfigError with every problem."""
    return read_mapping_file(path, "a routing test file", "pack and tests", _read_file)


def _read_file(report: Report, data: LineMap, file: str) -> RouteTestFile:
    top = Section(report, data, "", allowed=_TOP_KEYS, required=_TOP_KEYS)
    here = Path(file).parent
    packs: list[str] = []
    value = data.get("pack")
    if isinstance(value, str) and value.strip():
        packs.append(str(here / value))
    elif top.has("pack"):
        for line, item in top.items("pack", "a pack file name, or a list of them") or ():
            if isinstance(item, str) and item.strip():
                packs.append(str(here / item))
            else:
                report.add(line, f"pack: {describe(item)} is not a file name")
    cases = []
    items = top.items("tests", "a list of test cases")
    if items == []:
        top.problem("tests", "tests must list at least one case")
    for index, (line, item) in enumerate(items or (), 1):
        if not isinstance(item, LineMap):
            report.add(line, f"test #{index} must be a mapping, got {describe(item)}")
            continue
        case = _read_case(report, item, index)
        if case is not None:
            cases.append(case)
    return RouteTestFile(file, tuple(packs), tuple(cases))


def _read_case(report: Report, data: LineMap, index: int) -> RouteCase | None:
    name = data.get("name") if isinstance(data.get("name"), str) else f"test #{index}"
    before = report.count
    sec = Section(report, data, str(name), allowed=_CASE_KEYS, required=("labels",))
    sec.string("name")
    labels = sec.string_map("labels")
    if not any(sec.has(key) for key in _EXPECTATIONS):
        report.add(data.line, f"{name}: expects nothing: give receivers, escalation or routes (or several)")
    names: list[tuple[str, str, int]] = []
    receivers = _names(sec, "receivers", "receiver", names)
    routes = _names(sec, "routes", "route", names)
    escalation: tuple[str, ...] | None = None
    if sec.has("escalation"):
        value = data["escalation"]
        if value is None:
            escalation = ()
        elif isinstance(value, str) and value.strip():
            escalation = (value,)
            names.append(("escalation policy", value, sec.line("escalation")))
        else:
            escalation = _names(sec, "escalation", "escalation policy", names)
    if report.count != before or labels is None:
        return None
    return RouteCase(
        name=str(name),
        line=data.line,
        labels=labels,
        receivers=frozenset(receivers) if receivers is not None else None,
        escalation=escalation,
        routes=routes,
        names=tuple(names),
    )


def _names(sec: Section, key: str, what: str, names: list[tuple[str, str, int]]) -> tuple[str, ...] | None:
    items = sec.items(key, f"a list of {what} names")
    if items is None:
        return None
    out = []
    for line, item in items:
        if not isinstance(item, str) or not item.strip():
            sec.problem(key, f"{key}: {describe(item)} is not a {what} name", line)
        else:
            out.append(item)
            names.append((what, item, line))
    return tuple(out)


# -- running --------------------------------------------------------------------


def receivers_of(matches: list[RouteMatch]) -> list[str]:
    """Everyone the matched routes tell directly, each once, in route order."""
    return list(dict.fromkeys(r for m in matches for r in m.receivers))


def escalations_of(matches: list[RouteMatch]) -> list[str]:
    """The matched routes' escalation policies, each once, in route order."""
    return list(dict.fromkeys(m.escalation for m in matches if m.escalation))


def route_names(route: Route, path: str = "root") -> list[str]:
    """Every route's name (its path when unnamed), in tree order."""
    out = [route.name or path]
    for index, child in enumerate(route.routes):
        out += route_names(child, f"{path}/{index}")
    return out


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: RouteCase
    matches: tuple[RouteMatch, ...]
    #: (what, expected, got) of every expectation that does not hold; receivers' `got` ends with
    #: the difference, e.g. `(-oncall-pager +team-slack)`: - expected but not told, + told but not expected
    differences: tuple[tuple[str, str, str], ...] = ()

    @property
    def passed(self) -> bool:
        return not self.differences


@dataclass(slots=True)
class FileResult:
    path: str
    problems: list[ConfigProblem] = field(default_factory=list)  #: the file or its packs could not be loaded
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and all(c.passed for c in self.cases)


def run_case(config: RoutingConfig, case: RouteCase) -> CaseResult:
    matches = match_routes(config, case.labels)
    diffs: list[tuple[str, str, str]] = []
    if case.receivers is not None:
        got = receivers_of(matches)
        if set(got) != case.receivers:
            change = [f"-{r}" for r in sorted(case.receivers - set(got))] + [
                f"+{r}" for r in got if r not in case.receivers
            ]
            diffs.append(("receivers", _listing(sorted(case.receivers)), f"{_listing(got)}  ({' '.join(change)})"))
    if case.escalation is not None:
        got = escalations_of(matches)
        if tuple(got) != case.escalation:
            diffs.append(("escalation", _listing(case.escalation), _listing(got)))
    if case.routes is not None:
        got = [m.name for m in matches]
        if tuple(got) != case.routes:
            diffs.append(("routes", _listing(case.routes), _listing(got)))
    return CaseResult(case, tuple(matches), tuple(diffs))


def run_route_tests(path: str | PathLike[str]) -> FileResult:
    """Load a test file and its pack(s), and run every case; load problems end up in `problems`."""
    result = FileResult(str(path))
    try:
        tests = load_route_tests(path)
        pack = load_packs(tests.packs)
    except ConfigError as exc:
        result.problems = exc.problems
        return result
    config = pack.routing
    known = {
        "receiver": set(config.receivers),
        "escalation policy": set(config.policies),
        "route": set(route_names(config.route)),
    }
    for case in tests.cases:
        for what, name, line in case.names:
            if name not in known[what]:
                result.problems.append(
                    ConfigProblem(
                        tests.path,
                        line,
                        f"{case.name}: no {what} named {name!r} in {', '.join(tests.packs)} "
                        f"(known: {', '.join(sorted(known[what])) or 'none'})",
                    )
                )
    if result.problems:
        return result
    result.cases = [run_case(config, case) for case in tests.cases]
    return result


# -- reporting ------------------------------------------------------------------


def format_result(result: FileResult) -> str:
    """PASS/FAIL per case; for a failure, the labels and each expectation that does not hold."""
    lines = [f"Routing tests: {result.path}"]
    if result.problems:
        n = len(result.problems)
        lines.append(f"  FAILED: {n} problem{'s' if n != 1 else ''} loading the tests or their pack")
        return "\n".join(lines)
    for outcome in result.cases:
        case = outcome.case
        if outcome.passed:
            lines.append(f"  PASS  {case.name}")
            continue
        lines.append(f"  FAIL  {case.name}")
        lines.append(f"    {result.path}:{case.line}: labels {_braces(case.labels)}")
        lines.append(f"      matched routes: {', '.join(f'{m.name} ({m.path})' for m in outcome.matches)}")
        for what, expected, got in outcome.differences:
            lines.append(f"      {what}: expected {expected}, got {got}")
    passed = sum(c.passed for c in result.cases)
    lines.append(f"  {passed} passed, {len(result.cases) - passed} failed")
    return "\n".join(lines)


def _listing(names: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(names) + "]" if names else "none"


def _braces(pairs: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(pairs.items())) + "}"
