"""Unit tests for rule packs, in the spirit of `promtool test rules`.

A test file names pack files and describes input series and the alerts
expected at given times. The input runs through the real pipeline:
samples → `PartialFolder` (the pack's base window) → `RuleEngine.add_all`
→ `advance()` and `tick(t)`, and at each `eval_time` the engine's
`active_alerts()` for the alert name are compared with the expectation.

    rule_files: [default.yaml]          # relative to this file; several are merged
    tests:
      - name: sustained latency breach pages
        interval: 10s                   # time between two values (default: the pack's base window)
        input_series:
          - series: 'http_request_duration_seconds{service="advisor-api", status="200"}'
            source: metrics             # default: logs for log_*, receipts for delivery_*, else metrics
            values: '0.1x17 1.5x30'     # promtool expanding notation
            per_interval: 20            # metrics: samples per interval, spread evenly (default 1)
        alert_rule_test:
          - eval_time: 5m
            alertname: ApiLatencyP95High
            exp_alerts:                 # an empty list: must not be firing
              - exp_labels: {service: advisor-api, severity: high}
                exp_annotations: {summary: "..."}   # optional; when given, all annotations must equal

Values, as in promtool: `a+bxn` is a, a+b, ..., a+n·b (n+1 values); `a-bxn`
counts down; `axn` repeats a n+1 times; `_` is an interval with no
sample and `_xn` is n of them. Value i is the sample(s) of interval
[i·interval, (i+1)·interval). For metrics a value is the sample's value;
logs and receipts are counted series, so there a value is the number
of events in that interval (a whole number; `per_interval` does not apply).

Time: t = 0 of a test is a fixed epoch (2026-01-01T00:00:00Z), aligned
with every window. The runner steps through every interval boundary and
every `eval_time`. At each step T the wall clock (`tick`) reaches T, then
the samples before T are ingested (absence rules see them arrive at T)
and every base window ending by T is evaluated. Every service of the
input gets a watermark at each step, as the ingest loop sends for quiet
services, so windows keep closing after a series ends.

Alert labels compare exactly (alertname is implied); the labels of an
alert are its group's labels, the rule's labels, `alertname` and
`severity` (burn-rate alerts also have `slo`, `long_window` and
`short_window`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from correlator.alerts import AlertTransition
from correlator.config.catalog import COUNTED_SERIES, SOURCES
from correlator.config.errors import ConfigError, ConfigProblem
from correlator.config.fields import Report, Section, describe, read_mapping_file
from correlator.config.packfile import load_packs
from correlator.config.source import LineMap
from correlator.durations import format_duration
from correlator.engine import RuleEngine
from correlator.pack import RulePack
from correlator.partials import PartialFolder, Watermark
from correlator.series import SeriesKey

__all__ = [
    "AlertCheck",
    "CheckFailure",
    "ExpectedAlert",
    "FileResult",
    "GroupResult",
    "RuleTestFile",
    "RuleTestGroup",
    "SeriesInput",
    "expand_values",
    "format_result",
    "load_rule_tests",
    "parse_series",
    "run_group",
    "run_rule_tests",
]

#: Event time of t = 0 in every test: 2026-01-01T00:00:00Z, a multiple of any window up to a day.
EPOCH = 1_767_225_600.0

_TOP_KEYS = ("rule_files", "tests")
_GROUP_KEYS = ("name", "interval", "input_series", "alert_rule_test")
_SERIES_KEYS = ("series", "source", "values", "per_interval")
_CHECK_KEYS = ("eval_time", "alertname", "exp_alerts")
_EXPECTED_KEYS = ("exp_labels", "exp_annotations")

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"(?P<a>[-+]?{_NUMBER})(?:(?P<op>[-+])(?P<b>{_NUMBER}))?(?:x(?P<n>\d+))?")
_BLANKS = re.compile(r"_(?:x(?P<n>\d+))?")
_SELECTOR = re.compile(r"\s*(?P<name>[^{}\s]+)\s*(?:\{(?P<labels>.*)\})?\s*", re.DOTALL)
_LABEL_PAIR = re.compile(r'\s*(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*"(?P<value>[^"]*)"\s*(?:,|$)')


# -- the test file --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeriesInput:
    """One input series and its values, one per interval (None: no sample)."""

    series: SeriesKey
    values: tuple[float | None, ...]
    per_interval: int = 1  #: metrics: samples per interval with that value
    counted: bool = False  #: logs/receipts: each value is a number of events, not a measurement


@dataclass(frozen=True, slots=True)
class ExpectedAlert:
    labels: Mapping[str, str]  #: the alert's full label set, alertname included
    annotations: Mapping[str, str] | None = None  #: None: not compared


@dataclass(frozen=True, slots=True)
class AlertCheck:
    """At `eval_time` (seconds from t = 0), exactly `expected` alerts named `alertname` are firing."""

    line: int
    eval_time: float
    alertname: str
    expected: tuple[ExpectedAlert, ...]


@dataclass(frozen=True, slots=True)
class RuleTestGroup:
    name: str
    line: int
    interval: float | None  #: None: the pack's base window
    series: tuple[SeriesInput, ...]
    checks: tuple[AlertCheck, ...]


@dataclass(frozen=True, slots=True)
class RuleTestFile:
    path: str
    rule_files: tuple[str, ...]  #: as resolved against the test file's directory
    rule_files_line: int
    groups: tuple[RuleTestGroup, ...]


def expand_values(text: str) -> list[float | None]:
    """promtool's expanding notation → one value (or None, no sample) per interval; ValueError if malformed."""
    out: list[float | None] = []
    for token in text.split():
        blanks = _BLANKS.fullmatch(token)
        if blanks is not None:
            out.extend([None] * int(blanks.group("n") or 1))
            continue
        m = _TOKEN.fullmatch(token)
        if m is None or (m.group("op") is not None and m.group("n") is None):
            raise ValueError(f"cannot read {token!r} (expected a number, _, a+bxn, a-bxn, axn or _xn)")
        a = float(m.group("a"))
        if m.group("n") is None:
            out.append(a)
            continue
        step = float(m.group("b") or 0) * (-1 if m.group("op") == "-" else 1)
        out.extend(a + k * step for k in range(int(m.group("n")) + 1))
    if not out:
        raise ValueError("no values")
    return out


def parse_series(text: str, source: str | None = None) -> SeriesKey:
    """`name{label="value", ...}` → SeriesKey; the `service` label is required. ValueError if malformed."""
    m = _SELECTOR.fullmatch(text)
    if m is None:
        raise ValueError(f'cannot read series {text!r} (expected e.g. up{{service="api"}})')
    name, body = m.group("name"), (m.group("labels") or "").strip()
    labels: dict[str, str] = {}
    pos = 0
    while pos < len(body):
        pair = _LABEL_PAIR.match(body, pos)
        if pair is None or pair.end() == pos:
            raise ValueError(f'cannot read the labels of {text!r} at {body[pos:]!r} (expected label="value")')
        if pair.group("key") in labels:
            raise ValueError(f"label {pair.group('key')!r} appears twice in {text!r}")
        labels[pair.group("key")] = pair.group("value")
        pos = pair.end()
    service = labels.pop("service", None)
    if not service:
        raise ValueError(f'series {text!r} needs a service label, e.g. {name}{{service="advisor-api"}}')
    source = source or _source_of(name)
    known = COUNTED_SERIES.get(source)
    if known is not None:
        if name not in known:
            raise ValueError(f"source {source} has no series {name!r} (it has {', '.join(known)})")
        if set(labels) != set(known[name]):
            raise ValueError(f"{name} series have labels service, {', '.join(known[name])}; got {text!r}")
    return SeriesKey.of(source, service, name, labels)


def _source_of(name: str) -> str:
    for source, series in COUNTED_SERIES.items():
        if name in series:
            return source
    return "metrics"


def load_rule_tests(path: str | PathLike[str]) -> RuleTestFile:
    """Read and check a test file (not the packs it names); raises ConfigError with every problem."""
    return read_mapping_file(path, "a test file", "rule_files and tests", _read_file)


def _read_file(report: Report, data: LineMap, file: str) -> RuleTestFile:
    top = Section(report, data, "", allowed=_TOP_KEYS, required=_TOP_KEYS)
    here = Path(file).parent
    rule_files = []
    for line, item in top.items("rule_files", "a list of pack files") or ():
        if isinstance(item, str) and item.strip():
            rule_files.append(str(here / item))
        else:
            report.add(line, f"rule_files: {describe(item)} is not a file name")
    groups = []
    for index, (line, item) in enumerate(top.items("tests", "a list of test groups") or (), 1):
        if not isinstance(item, LineMap):
            report.add(line, f"test #{index} must be a mapping, got {describe(item)}")
            continue
        groups.append(_read_group(report, item, index))
    return RuleTestFile(file, tuple(rule_files), data.line_of("rule_files"), tuple(groups))


def _read_group(report: Report, data: LineMap, index: int) -> RuleTestGroup:
    name = data.get("name") if isinstance(data.get("name"), str) else f"test #{index}"
    sec = Section(report, data, str(name), allowed=_GROUP_KEYS, required=("input_series", "alert_rule_test"))
    sec.string("name")
    interval = sec.duration("interval")
    series = []
    for line, item in sec.items("input_series", "a list of series") or ():
        if not isinstance(item, LineMap):
            sec.problem("input_series", f"input_series: each entry must be a mapping, got {describe(item)}", line)
            continue
        entry = _read_series(Section(report, item, sec.where, allowed=_SERIES_KEYS, required=("series", "values")))
        if entry is not None:
            series.append(entry)
    checks = []
    for line, item in sec.items("alert_rule_test", "a list of alert checks") or ():
        if not isinstance(item, LineMap):
            sec.problem("alert_rule_test", f"alert_rule_test: each entry must be a mapping, got {describe(item)}", line)
            continue
        check = _read_check(Section(report, item, sec.where, allowed=_CHECK_KEYS, required=("eval_time", "alertname")))
        if check is not None:
            checks.append(check)
    return RuleTestGroup(str(name), data.line, interval, tuple(series), tuple(checks))


def _read_series(sec: Section) -> SeriesInput | None:
    source = sec.one_of("source", SOURCES)
    text = sec.string("series")
    key = None
    if text is not None:
        try:
            key = parse_series(text, source)
        except ValueError as exc:
            sec.problem("series", str(exc))
    raw = sec.data.get("values")
    values = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    if sec.has("values") and not isinstance(raw, str):
        sec.wrong("values", "a string like '0.1x10 _ 2+1x5'", raw)
    elif raw is not None:
        try:
            values = expand_values(raw)
        except ValueError as exc:
            sec.problem("values", f"values: {exc}")
    per_interval = sec.data.get("per_interval", 1)
    counted = key is not None and key.source in COUNTED_SERIES
    if sec.has("per_interval"):
        if isinstance(per_interval, bool) or not isinstance(per_interval, int) or per_interval < 1:
            sec.wrong("per_interval", "a whole number of samples, at least 1", per_interval)
            per_interval = None
        elif key is not None and counted:
            sec.problem("per_interval", f"per_interval is for metrics; {key.source} values are counts of events")
    if key is not None and counted and values is not None:
        wrong = [v for v in values if v is not None and (v < 0 or not v.is_integer())]
        if wrong:
            sec.problem("values", f"values of {key.name} are counts of events (whole numbers), got {wrong[0]:g}")
            values = None
    if key is None or values is None or per_interval is None:
        return None
    return SeriesInput(key, tuple(values), 1 if counted else per_interval, counted)


def _read_check(sec: Section) -> AlertCheck | None:
    eval_time = sec.duration("eval_time", positive=False)
    alertname = sec.string("alertname")
    expected = []
    items = sec.items("exp_alerts", "a list of expected alerts (empty: none firing)")
    for line, item in items or ():
        if not isinstance(item, LineMap):
            sec.problem("exp_alerts", f"exp_alerts: each entry must be a mapping, got {describe(item)}", line)
            continue
        exp = Section(sec.report, item, sec.where, allowed=_EXPECTED_KEYS)
        labels = exp.string_map("exp_labels") or {}
        annotations = exp.string_map("exp_annotations")
        if alertname is not None and labels.setdefault("alertname", alertname) != alertname:
            exp.problem("exp_labels", f"exp_labels.alertname {labels['alertname']!r} is not {alertname!r}")
        expected.append(ExpectedAlert(labels, annotations))
    if eval_time is None or alertname is None:
        return None
    return AlertCheck(sec.data.line, eval_time, alertname, tuple(expected))


# -- running --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckFailure:
    check: AlertCheck
    missing: tuple[ExpectedAlert, ...]  #: expected, not firing
    unexpected: tuple[AlertTransition, ...]  #: firing, not expected


@dataclass(frozen=True, slots=True)
class GroupResult:
    group: RuleTestGroup
    failures: tuple[CheckFailure, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(slots=True)
class FileResult:
    path: str
    problems: list[ConfigProblem] = field(default_factory=list)  #: the file or its packs could not be loaded
    groups: list[GroupResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems and all(g.passed for g in self.groups)


def run_group(pack: RulePack, group: RuleTestGroup) -> GroupResult:
    """Drive a fresh engine through the group's input and judge each check."""
    engine = RuleEngine(pack)
    settings = pack.settings
    interval = group.interval or settings.window_seconds
    samples: list[tuple[float, SeriesKey, float | None]] = []
    for inp in group.series:
        for i, value in enumerate(inp.values):
            if value is None:
                continue
            start = EPOCH + i * interval
            if inp.counted:
                count, sample = int(value), None
            else:
                count, sample = inp.per_interval, value
            samples.extend((start + k * interval / count, inp.series, sample) for k in range(count))
    samples.sort(key=lambda s: s[0])
    services = sorted({inp.series.service for inp in group.series})
    last = max((c.eval_time for c in group.checks), default=0.0)
    steps = sorted({*(k * interval for k in range(1, int(last // interval) + 1)), *(c.eval_time for c in group.checks)})
    folder = PartialFolder(window_seconds=settings.window_seconds)
    failures: list[CheckFailure] = []
    pos = 0
    for step in steps:
        now = EPOCH + step
        while pos < len(samples) and samples[pos][0] < now:
            ts, series, value = samples[pos]
            folder.add(series, ts, value)
            pos += 1
        # The wall clock reaches `now`, then ingest flushes what arrived since the last step (so absence
        # rules see it arrive at `now`), stamped as complete up to `now`: windows ending by `now` close,
        # the allowed lateness notwithstanding.
        engine.tick(now)
        watermark = now + settings.allowed_lateness
        engine.add_all(folder.drain(watermark))
        engine.add_all(Watermark(service, watermark) for service in services)
        engine.advance()
        for check in group.checks:
            if check.eval_time == step:
                failure = _judge(check, [a for a in engine.active_alerts() if a.rule == check.alertname])
                if failure is not None:
                    failures.append(failure)
    failures.sort(key=lambda f: f.check.line)
    return GroupResult(group, tuple(failures))


def _judge(check: AlertCheck, firing: list[AlertTransition]) -> CheckFailure | None:
    unmatched = list(firing)
    missing = []
    for exp in check.expected:
        for alert in unmatched:
            if dict(alert.labels) == dict(exp.labels) and (
                exp.annotations is None or dict(alert.annotations) == dict(exp.annotations)
            ):
                unmatched.remove(alert)
                break
        else:
            missing.append(exp)
    if not missing and not unmatched:
        return None
    return CheckFailure(check, tuple(missing), tuple(unmatched))


def run_rule_tests(path: str | PathLike[str]) -> FileResult:
    """Load a test file and its packs, and run every group; load problems end up in `problems`."""
    result = FileResult(str(path))
    try:
        tests = load_rule_tests(path)
        pack = load_packs(tests.rule_files)
    except ConfigError as exc:
        result.problems = exc.problems
        return result
    names = _alert_names(pack)
    for group in tests.groups:
        for check in group.checks:
            if check.alertname not in names:
                result.problems.append(
                    ConfigProblem(
                        tests.path,
                        check.line,
                        f"{group.name}: no rule or burn-rate alert named {check.alertname!r} "
                        f"in {', '.join(tests.rule_files) or 'the rule files'}",
                    )
                )
    if result.problems:
        return result
    result.groups = [run_group(pack, group) for group in tests.groups]
    return result


def _alert_names(pack: RulePack) -> set[str]:
    base = pack.settings.window_seconds
    return {r.name for r in (*pack.rules, *pack.absence)} | {b.name for slo in pack.slos for b in slo.burn_alerts(base)}


# -- reporting ------------------------------------------------------------------


def format_result(result: FileResult) -> str:
    """promtool-style report: PASS/FAIL per group, and for a failure the expected (-) and firing (+) alerts."""
    lines = [f"Unit testing: {result.path}"]
    if result.problems:
        n = len(result.problems)
        lines.append(f"  FAILED: {n} problem{'s' if n != 1 else ''} loading the tests or their rule files")
        return "\n".join(lines)
    for group in result.groups:
        checks = len(group.group.checks)
        if group.passed:
            lines.append(f"  PASS  {group.group.name} ({checks} check{'s' if checks != 1 else ''})")
            continue
        lines.append(f"  FAIL  {group.group.name}")
        for failure in group.failures:
            check = failure.check
            lines.append(
                f"    {result.path}:{check.line}: at {format_duration(check.eval_time)}, "
                f"alert {check.alertname}: - expected but not firing, + firing but not expected"
            )
            lines.extend(_show("-", exp.labels, exp.annotations) for exp in failure.missing)
            lines.extend(_show("+", a.labels, a.annotations, a.value) for a in failure.unexpected)
    passed = sum(g.passed for g in result.groups)
    failed = len(result.groups) - passed
    lines.append(f"  {passed} passed, {failed} failed")
    return "\n".join(lines)


def _show(
    sign: str, labels: Mapping[str, str], annotations: Mapping[str, str] | None, value: float | None = None
) -> str:
    text = f"      {sign} {_braces(labels)}"
    if value is not None:
        text += f"  value={value:g}"
    if annotations:
        text += f"\n          annotations: {_braces(annotations)}"
    return text


def _braces(pairs: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(pairs.items())) + "}"
