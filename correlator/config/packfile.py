"""A rule-pack YAML file → `correlator.pack.RulePack`, with every problem reported at its line.

The format is documented in correlator/config/__init__.py and packs/README.md.
Reading never stops at the first problem: each rule, SLO and setting is
checked on its own, and a broken one is left out of the pack while the
rest are still checked, so one run of `vigil check-config` lists them all.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from correlator.config.catalog import COUNTED_SERIES, LABEL_VALUES, SEVERITIES, SOURCES
from correlator.config.errors import ConfigError, ConfigProblem
from correlator.config.fields import Report, Section, describe
from correlator.config.routing import ROUTING_KEYS, ReceiverCheck, read_routing
from correlator.config.source import LineMap, parse_yaml
from correlator.durations import format_duration
from correlator.engine import check_pack
from correlator.incidents.config import CorrelationSettings, settings_from_mapping
from correlator.pack import EvaluationSettings, LogPattern, RulePack
from correlator.routing.model import RoutingConfig
from correlator.rules import AbsenceRule, Aggregation, Comparison, Matcher, ThresholdRule
from correlator.slo import SliSpec, Slo

__all__ = ["load_pack", "load_packs", "merge_packs", "parse_pack"]

#: Rule, SLO and log-pattern names: no spaces, so they read well as `alertname` and in a shell.
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*")
_NAME_SHAPE = "a name of letters, digits, _ . : or - (no spaces)"

_TOP_KEYS = ("settings", "log_patterns", "rules", "slos", "correlation", *ROUTING_KEYS)
_SETTINGS_KEYS = ("window", "allowed_lateness", "refresh", "receipt_timeout")
_PATTERN_KEYS = ("name", "regex")
_THRESHOLD_KEYS = (
    "name",
    "source",
    "metric",
    "match",
    "aggregation",
    "errors",
    "numerator",
    "group_by",
    "op",
    "threshold",
    "window",
    "every",
    "for",
    "keep_firing_for",
    "severity",
    "labels",
    "annotations",
)
_THRESHOLD_REQUIRED = ("name", "source", "metric", "aggregation", "op", "threshold", "window")
_ABSENCE_KEYS = ("name", "absent", "source", "metric", "match", "group_by", "severity", "labels", "annotations")
_ABSENCE_REQUIRED = ("name", "absent", "source", "metric")
_ABSENCE_HINTS = {
    key: "an absence rule (one with 'absent:') has no aggregation, threshold or windows"
    for key in set(_THRESHOLD_KEYS) - set(_ABSENCE_KEYS)
} | {"for": "in an absence rule, 'absent:' already says how long the silence must last"}
_SLO_KEYS = ("name", "objective", "period", "sli", "group_by", "labels", "annotations")
_SLI_KEYS = ("source", "metric", "match", "bad", "le", "ge")
_DEFAULT_PERIOD = 30 * 86400.0

#: Aggregations that need measured values; logs and receipts only count events.
_VALUED = frozenset(Aggregation) - {Aggregation.COUNT, Aggregation.RATE, Aggregation.RATIO, Aggregation.ERROR_RATIO}
_RATIOS = {Aggregation.RATIO: "numerator", Aggregation.ERROR_RATIO: "errors"}
_BARE_GT_HINT = ' (quote it: op: ">"; a bare > starts a YAML folded text block)'
#: Template fields every alert offers; burn-rate alerts also have slo, long_window and short_window.
_ALERT_FIELDS = ("alertname", "severity", "value", "threshold")
_BURN_FIELDS = ("slo", "long_window", "short_window")


def load_pack(path: str | PathLike[str], *, check_receiver: ReceiverCheck | None = None) -> RulePack:
    """Read and check one pack file; raises `ConfigError` listing every problem in it.

    `check_receiver`, when given, judges each receiver's channel (the shell
    passes `vigil.receivers.receiver_problems(env)`, which builds it); its
    problems are reported at the line of the option they name.
    """
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError([ConfigProblem(file, None, f"cannot read: {exc.strerror or exc}")]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError([ConfigProblem(file, line, f"not UTF-8 text: {exc.reason}")]) from exc
    return parse_pack(text, file, check_receiver=check_receiver)


def parse_pack(text: str, file: str = "<string>", *, check_receiver: ReceiverCheck | None = None) -> RulePack:
    """Check pack text; `file` is the name problems are reported under."""
    data, problems = parse_yaml(text, file)
    report = Report(file)
    report.extend(problems)
    pack = None
    if data is None:
        if not problems:
            report.add(1, f"file is empty: expected a mapping with keys {', '.join(_TOP_KEYS)}")
    else:
        pack = _PackReader(report, check_receiver).read(data)
    if report.problems or pack is None:
        raise ConfigError(report.sorted())
    return pack


def load_packs(paths: Iterable[str | PathLike[str]], *, check_receiver: ReceiverCheck | None = None) -> RulePack:
    """Several pack files as one pack (see `merge_packs`); problems of all files are reported together."""
    packs: list[tuple[str, RulePack]] = []
    problems: list[ConfigProblem] = []
    for path in paths:
        try:
            packs.append((str(path), load_pack(path, check_receiver=check_receiver)))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return merge_packs(packs)


def merge_packs(packs: Sequence[tuple[str, RulePack]]) -> RulePack:
    """One pack holding everything in `packs` ((file, pack) pairs).

    The files must agree on `settings` (one engine runs them all) and must
    not define the same rule, SLO or log pattern name twice; `correlation`
    and the routing sections may be set in one file only.
    """
    if not packs:
        return RulePack()
    problems: list[ConfigProblem] = []
    first_file, first = packs[0]
    owners: dict[tuple[str, str], str] = {}
    for file, pack in packs:
        if pack.settings != first.settings:
            problems.append(
                ConfigProblem(file, None, f"settings differ from those of {first_file}; files run together must agree")
            )
        named = (
            [("rule", r.name) for r in (*pack.rules, *pack.absence)]
            + [("slo", s.name) for s in pack.slos]
            + [("log pattern", p.name) for p in pack.log_patterns]
        )
        for kind, name in named:
            owner = owners.setdefault((kind, name), file)
            if owner != file:
                problems.append(ConfigProblem(file, None, f"{kind} {name} is also defined in {owner}"))
    correlations = [(file, p.correlation) for file, p in packs if p.correlation != CorrelationSettings()]
    for file, _ in correlations[1:]:
        problems.append(
            ConfigProblem(file, None, f"correlation is also set in {correlations[0][0]}; set it in one file only")
        )
    routings = [(file, p.routing) for file, p in packs if p.routing != RoutingConfig()]
    for file, _ in routings[1:]:
        problems.append(ConfigProblem(file, None, f"routing is also set in {routings[0][0]}; set it in one file only"))
    if problems:
        raise ConfigError(problems)
    return RulePack(
        rules=tuple(r for _, p in packs for r in p.rules),
        absence=tuple(r for _, p in packs for r in p.absence),
        slos=tuple(s for _, p in packs for s in p.slos),
        log_patterns=tuple(lp for _, p in packs for lp in p.log_patterns),
        settings=first.settings,
        correlation=correlations[0][1] if correlations else CorrelationSettings(),
        routing=routings[0][1] if routings else RoutingConfig(),
    )


class _PackReader:
    """Reads one file's top-level mapping, section by section."""

    def __init__(self, report: Report, check_receiver: ReceiverCheck | None = None) -> None:
        self.report = report
        self.check_receiver = check_receiver
        self.base: float | None = EvaluationSettings().window_seconds  #: None when settings.window is broken
        self.patterns: dict[str, int] = {}  #: log pattern name → line

    def read(self, data: object) -> RulePack | None:
        if not isinstance(data, LineMap):
            line = getattr(data, "line", 1)
            self.report.add(
                line, f"a rule pack must be a mapping with keys {', '.join(_TOP_KEYS)}, got {describe(data)}"
            )
            return None
        top = Section(self.report, data, "", allowed=_TOP_KEYS)
        settings = self._settings(top)
        patterns = self._log_patterns(top)
        rules, absence = self._rules(top)
        slos = self._slos(top, {r.name for r in (*rules, *absence)})
        correlation = self._correlation(top)
        routing = read_routing(top, self.check_receiver)
        pack = RulePack(
            rules=rules,
            absence=absence,
            slos=slos,
            log_patterns=patterns,
            settings=settings,
            correlation=correlation,
            routing=routing,
        )
        if self.report.count == 0:
            try:
                check_pack(pack)
            except ValueError as exc:  # the checks above should have said so already
                self.report.add(data.line, f"the engine refuses this pack: {exc}")
        return pack

    # -- correlation ----------------------------------------------------------

    def _correlation(self, top: Section) -> CorrelationSettings:
        """Grouping, topology, inhibition and maintenance (correlator.incidents.config has the format)."""
        data = top.data.get("correlation")
        if data is None:
            return CorrelationSettings()
        if not isinstance(data, dict):
            self.report.add(top.line("correlation"), f"correlation: expected a mapping, got {describe(data)}")
            return CorrelationSettings()
        try:
            return settings_from_mapping(_plain(data))
        except ValueError as exc:
            self.report.add(top.line("correlation"), f"correlation: {exc}")
        except (TypeError, AttributeError, KeyError) as exc:  # a list or number where a mapping belongs, etc.
            self.report.add(top.line("correlation"), f"correlation: malformed section ({exc})")
        return CorrelationSettings()

    # -- settings -------------------------------------------------------------

    def _settings(self, top: Section) -> EvaluationSettings:
        defaults = EvaluationSettings()
        if top.data.get("settings") is None:  # absent, or `settings:` with nothing under it
            return defaults
        sec = top.section("settings", allowed=_SETTINGS_KEYS)
        if sec is None:
            return defaults
        window = sec.duration("window")
        if sec.has("window") and window is None:
            self.base = None
        elif window is not None:
            self.base = window
        lateness = sec.duration("allowed_lateness", positive=False)
        refresh = sec.duration("refresh")
        timeout = sec.duration("receipt_timeout")
        return EvaluationSettings(
            window_seconds=window if window is not None else defaults.window_seconds,
            allowed_lateness=lateness if lateness is not None else defaults.allowed_lateness,
            refresh_seconds=refresh if refresh is not None else defaults.refresh_seconds,
            receipt_timeout_seconds=timeout if timeout is not None else defaults.receipt_timeout_seconds,
        )

    # -- log patterns ---------------------------------------------------------

    def _log_patterns(self, top: Section) -> tuple[LogPattern, ...]:
        out: list[LogPattern] = []
        for index, _, item in self._list(top, "log_patterns", "log pattern"):
            where = self._where("log pattern", item, index)
            before = self.report.count
            sec = Section(self.report, item, where, allowed=_PATTERN_KEYS, required=_PATTERN_KEYS)
            name = sec.string("name", pattern=NAME, shape=_NAME_SHAPE)
            regex = sec.string("regex")
            if regex is not None:
                try:
                    re.compile(regex)
                except re.error as exc:
                    sec.problem("regex", f"invalid regex {regex!r}: {exc}")
            if name is not None:
                if name in self.patterns:
                    sec.problem("name", f"name already used by the log pattern at line {self.patterns[name]}")
                else:
                    self.patterns[name] = sec.line("name")
            if self.report.count == before and name is not None and regex is not None:
                out.append(LogPattern(name=name, regex=regex))
        return tuple(out)

    # -- rules ----------------------------------------------------------------

    def _rules(self, top: Section) -> tuple[tuple[ThresholdRule, ...], tuple[AbsenceRule, ...]]:
        rules: list[ThresholdRule] = []
        absence: list[AbsenceRule] = []
        names: dict[str, int] = {}
        for index, _, item in self._list(top, "rules", "rule"):
            where = self._where("rule", item, index)
            if "absent" in item:
                rule: ThresholdRule | AbsenceRule | None = self._absence_rule(item, where)
            else:
                rule = self._threshold_rule(item, where)
            name = item.get("name")
            if isinstance(name, str):
                if name in names:
                    self.report.add(
                        item.line_of("name"), f"{where}: name already used by the rule at line {names[name]}"
                    )
                    continue
                names[name] = item.line_of("name")
            if isinstance(rule, ThresholdRule):
                rules.append(rule)
            elif isinstance(rule, AbsenceRule):
                absence.append(rule)
        return tuple(rules), tuple(absence)

    def _threshold_rule(self, data: LineMap, where: str) -> ThresholdRule | None:
        before = self.report.count
        sec = Section(self.report, data, where, allowed=_THRESHOLD_KEYS, required=_THRESHOLD_REQUIRED)
        name = sec.string("name", pattern=NAME, shape=_NAME_SHAPE)
        source, metric, match = self._selector(sec)
        aggregation = sec.choice("aggregation", Aggregation)
        numerator = self._numerator(sec, aggregation, source, metric)
        if aggregation in _VALUED and source in COUNTED_SERIES:
            sec.problem(
                "aggregation",
                f"aggregation {aggregation} needs measured values, but {source} series only count events "
                "(use count, rate, ratio or error_ratio)",
            )
        group_by = self._group_by(sec, source, metric)
        op = sec.choice("op", Comparison, hint=_BARE_GT_HINT if data.get("op") in ("", None) else "")
        threshold = sec.number("threshold")
        if threshold is not None and aggregation in _RATIOS and not 0 <= threshold <= 1:
            sec.problem(
                "threshold", f"threshold of {aggregation} is a fraction between 0 and 1 (0.05 = 5 %), got {threshold:g}"
            )
        window = self._window(sec, "window")
        every = self._window(sec, "every")
        if window is not None and every is not None and every > window:
            sec.problem(
                "every",
                f"every {format_duration(every)} is longer than window {format_duration(window)}: "
                "events between evaluations would never be looked at",
            )
        for_seconds = sec.duration("for", positive=False)
        keep_firing_for = sec.duration("keep_firing_for", positive=False)
        severity = sec.one_of("severity", SEVERITIES)
        labels = self._labels(sec, group_by or ("service",), ())
        annotations = self._annotations(sec, group_by or ("service",), labels or {}, ())
        if self.report.count != before:
            return None
        assert name and source and metric and aggregation and op and threshold is not None and window
        return ThresholdRule(
            name=name,
            source=source,
            metric=metric,
            aggregation=aggregation,
            comparison=op,
            threshold=threshold,
            window_seconds=window,
            for_seconds=for_seconds or 0.0,
            keep_firing_for_seconds=keep_firing_for or 0.0,
            every_seconds=every,
            matchers=match,
            numerator=numerator,
            group_by=group_by or ("service",),
            severity=severity or "high",
            labels=labels or {},
            annotations=annotations or {},
        )

    def _absence_rule(self, data: LineMap, where: str) -> AbsenceRule | None:
        before = self.report.count
        sec = Section(self.report, data, where, allowed=_ABSENCE_KEYS, required=_ABSENCE_REQUIRED, hints=_ABSENCE_HINTS)
        name = sec.string("name", pattern=NAME, shape=_NAME_SHAPE)
        absent = sec.duration("absent")
        source, metric, match = self._selector(sec)
        group_by = self._group_by(sec, source, metric)
        severity = sec.one_of("severity", SEVERITIES)
        labels = self._labels(sec, group_by or ("service",), ())
        annotations = self._annotations(sec, group_by or ("service",), labels or {}, ())
        if self.report.count != before:
            return None
        assert name and source and metric and absent
        return AbsenceRule(
            name=name,
            source=source,
            metric=metric,
            for_seconds=absent,
            matchers=match,
            group_by=group_by or ("service",),
            severity=severity or "critical",
            labels=labels or {},
            annotations=annotations or {},
        )

    def _numerator(
        self, sec: Section, aggregation: Aggregation | None, source: str | None, metric: str | None
    ) -> tuple[Matcher, ...]:
        for kind, key in _RATIOS.items():
            if not sec.has(key):
                continue
            if aggregation is not kind and aggregation is not None:
                other = f" (for {aggregation}, use {_RATIOS[aggregation]})" if aggregation in _RATIOS else ""
                sec.problem(key, f"{key} is only for aggregation {kind}{other}")
        wanted = _RATIOS.get(aggregation) if aggregation is not None else None
        if wanted is None:
            return ()
        if not sec.has(wanted):
            what = "errors" if wanted == "errors" else "the events to count"
            sec.problem(
                "aggregation",
                f"aggregation {aggregation} needs {wanted}: a list of matchers selecting {what}, "
                "e.g. ['status=~\"5..\"']",
            )
            return ()
        matchers = self._matchers(sec, wanted, source, metric)
        if sec.data.get(wanted) == []:
            sec.problem(wanted, f"{wanted} must list at least one matcher (an empty list selects every event)")
        return matchers

    # -- SLOs -----------------------------------------------------------------

    def _slos(self, top: Section, rule_names: set[str]) -> tuple[Slo, ...]:
        out: list[Slo] = []
        names: dict[str, int] = {}
        for index, _, item in self._list(top, "slos", "slo"):
            where = self._where("slo", item, index)
            slo = self._slo(item, where, rule_names)
            name = item.get("name")
            if isinstance(name, str):
                if name in names:
                    self.report.add(
                        item.line_of("name"), f"{where}: name already used by the slo at line {names[name]}"
                    )
                    continue
                names[name] = item.line_of("name")
            if slo is not None:
                out.append(slo)
        return tuple(out)

    def _slo(self, data: LineMap, where: str, rule_names: set[str]) -> Slo | None:
        before = self.report.count
        sec = Section(self.report, data, where, allowed=_SLO_KEYS, required=("name", "objective", "sli"))
        name = sec.string("name", pattern=NAME, shape=_NAME_SHAPE)
        objective = self._objective(sec)
        period = sec.duration("period")
        sli = self._sli(sec)
        group_by = self._group_by(sec, sli.source if sli else None, sli.metric if sli else None)
        labels = self._labels(sec, group_by or ("service",), _BURN_FIELDS)
        annotations = self._annotations(sec, group_by or ("service",), labels or {}, _BURN_FIELDS)
        if self.report.count != before:
            return None
        assert name and objective and sli
        slo = Slo(
            name=name,
            objective=objective,
            sli=sli,
            period_seconds=period or _DEFAULT_PERIOD,
            group_by=group_by or ("service",),
            labels=labels or {},
            annotations=annotations or {},
        )
        if self.base is not None:
            for alert in slo.burn_alerts(self.base):
                if alert.name in rule_names:
                    sec.problem("name", f"its burn-rate alert {alert.name} has the name of a rule")
        return slo

    def _objective(self, sec: Section) -> float | None:
        value = sec.data.get("objective")
        if not sec.has("objective"):
            return None
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                value = float(value.strip()[:-1])
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, int | float):
            sec.wrong("objective", "a percentage like 99.9", value)
            return None
        if not 0 < value < 100:
            sec.problem("objective", f"objective must be a percentage between 0 and 100 (exclusive), got {value:g}")
            return None
        if value <= 1:
            sec.problem(
                "objective",
                f"objective is a percentage: {value:g} means {value:g} %; for {value * 100:g} % write {value * 100:g}",
            )
            return None
        return round(value / 100, 12)

    def _sli(self, slo: Section) -> SliSpec | None:
        before = self.report.count
        sec = slo.section("sli", allowed=_SLI_KEYS, required=("source", "metric"))
        if sec is None:
            return None
        source, metric, match = self._selector(sec)
        ways = [key for key in ("bad", "le", "ge") if sec.has(key)]
        if len(ways) != 1:
            got = "none" if not ways else " and ".join(ways)
            slo.problem(
                "sli",
                "sli needs exactly one of bad (matchers of the bad events), le (good = value at most this) "
                f"or ge (good = value at least this); got {got}",
            )
        bad = self._matchers(sec, "bad", source, metric)
        if sec.data.get("bad") == []:
            sec.problem("bad", "sli.bad must list at least one matcher (an empty list makes every event bad)")
        le, ge = sec.number("le"), sec.number("ge")
        if (sec.has("le") or sec.has("ge")) and source in COUNTED_SERIES:
            key = "le" if sec.has("le") else "ge"
            sec.problem(key, f"sli.{key} judges measured values, but {source} series only count events (use bad)")
        if self.report.count != before:
            return None
        assert source and metric
        return SliSpec(source=source, metric=metric, matchers=match, bad=bad, le=le, ge=ge)

    # -- shared pieces --------------------------------------------------------

    def _list(self, top: Section, key: str, what: str) -> list[tuple[int, int, LineMap]]:
        """(1-based index, line, mapping) of each entry of a top-level list; wrong entries are reported."""
        if top.data.get(key) is None:
            return []
        items = top.items(key, f"a list of {what}s")
        out = []
        for index, (line, item) in enumerate(items or (), 1):
            if isinstance(item, LineMap):
                out.append((index, line, item))
            else:
                self.report.add(line, f"{what} #{index} must be a mapping, got {describe(item)}")
        return out

    def _where(self, what: str, data: LineMap, index: int) -> str:
        name = data.get("name")
        if isinstance(name, str) and name.strip():
            return f"{what} {name}"
        return f"{what} #{index}"

    def _window(self, sec: Section, key: str) -> float | None:
        """A rule window or step: a whole number of base windows."""
        seconds = sec.duration(key)
        if seconds is None or self.base is None:
            return seconds
        ratio = seconds / self.base
        if ratio < 1 or abs(ratio - round(ratio)) > 1e-9:
            sec.problem(
                key,
                f"{key} {format_duration(seconds)} is not a multiple of the base window "
                f"{format_duration(self.base)} (settings.window)",
            )
            return None
        return seconds

    def _selector(self, sec: Section) -> tuple[str | None, str | None, tuple[Matcher, ...]]:
        source = sec.one_of("source", SOURCES)
        metric = sec.string("metric")
        known = COUNTED_SERIES.get(source or "")
        if known is not None and metric is not None and metric not in known:
            sec.problem(
                "metric",
                f"{sec.prefix}metric {metric!r}: source {source} has no such series (it has {', '.join(known)})",
            )
            metric = None
        return source, metric, self._matchers(sec, "match", source, metric)

    def _matchers(self, sec: Section, key: str, source: str | None, metric: str | None) -> tuple[Matcher, ...]:
        """Matchers at `key`, checked against the labels of the counted series they select."""
        parsed = sec.matchers(key)
        if parsed is None:
            return ()
        labels = self._labels_of(source, metric)
        for matcher, line in parsed:
            if labels is not None and matcher.label not in labels:
                sec.problem(
                    key,
                    f"{sec.prefix}{key}: {metric} has no label '{matcher.label}' (its labels: {', '.join(labels)})",
                    line,
                )
            elif labels is not None and matcher.op == "=":
                self._check_value(sec, key, matcher, line)
        return tuple(m for m, _ in parsed)

    def _check_value(self, sec: Section, key: str, matcher: Matcher, line: int) -> None:
        if matcher.label == "pattern" and matcher.value not in self.patterns:
            known = ", ".join(self.patterns) or "none defined"
            sec.problem(key, f"{sec.prefix}{key}: no log pattern named {matcher.value!r} (log_patterns: {known})", line)
        values = LABEL_VALUES.get(matcher.label)
        if values is not None and matcher.value not in values:
            sec.problem(
                key,
                f"{sec.prefix}{key}: {matcher.label} is never {matcher.value!r} (one of: {', '.join(values)})",
                line,
            )

    @staticmethod
    def _labels_of(source: str | None, metric: str | None) -> tuple[str, ...] | None:
        """Labels a counted series carries (None for metrics: any)."""
        known = COUNTED_SERIES.get(source or "")
        if known is None or metric not in known:
            return None
        return ("service", *known[metric])

    def _group_by(self, sec: Section, source: str | None, metric: str | None) -> tuple[str, ...] | None:
        group_by = sec.names("group_by")
        if group_by is None:
            return None
        if "service" not in group_by:
            sec.problem("group_by", "group_by must include 'service' (alert state is kept per service)")
            return None
        labels = self._labels_of(source, metric)
        for label in group_by:
            if labels is not None and label not in labels:
                sec.problem("group_by", f"group_by: {metric} has no label '{label}' (its labels: {', '.join(labels)})")
        return group_by

    def _labels(self, sec: Section, group_by: Sequence[str], extra: Sequence[str]) -> dict[str, str] | None:
        labels = sec.string_map("labels")
        if labels is None:
            return None
        for name in labels:
            line = sec.line_in("labels", name)
            if name == "severity":
                sec.problem("labels", "labels.severity: set the rule's severity with 'severity:'", line)
            elif name == "alertname" or name in extra:
                sec.problem("labels", f"labels.{name} is set by Vigil and cannot be overridden", line)
            elif name in group_by:
                sec.problem("labels", f"labels.{name} would overwrite the group label {name} (group_by)", line)
        return labels

    def _annotations(
        self, sec: Section, group_by: Sequence[str], labels: Mapping[str, str], extra: Sequence[str]
    ) -> dict[str, str] | None:
        """Annotations, each template tried against the fields the alert will offer."""
        annotations = sec.string_map("annotations")
        if annotations is None:
            return None
        fields = sorted({*group_by, *labels, *_ALERT_FIELDS, *extra})
        context: dict[str, object] = {name: "text" for name in fields}
        context["value"] = context["threshold"] = 1.0
        for name, template in annotations.items():
            problem = _template_problem(template, context, fields)
            if problem is not None:
                sec.problem("annotations", f"annotations.{name}: {problem}", sec.line_in("annotations", name))
        return annotations


def _template_problem(template: str, context: dict[str, object], fields: Sequence[str]) -> str | None:
    """Why `template` would not render for an alert, or None when it would."""
    try:
        for _, field, _, _ in string.Formatter().parse(template):
            if field is not None and (field == "" or field.isdigit()):
                return "use named fields like {value}; positional {} fields are not filled in"
        template.format(**context)
    except KeyError as exc:
        return f"unknown field {{{exc.args[0]}}} (fields: {', '.join(fields)})"
    except (ValueError, AttributeError, TypeError, IndexError) as exc:
        return f"cannot render {template!r}: {exc}"
    return None


def _plain(value: Any) -> Any:
    """Line-annotated YAML values as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
