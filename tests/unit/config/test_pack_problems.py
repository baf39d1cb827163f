"""Each kind of mistake in a pack file gives its FILE:LINE and a message that says what to fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from correlator.config import ConfigError, ConfigProblem, load_pack

# A valid rule: cases edit a copy of it. Line 1 is `rules:`, line 2 the rule's `- name: R`.
RULE = """\
rules:
  - name: R
    source: metrics
    metric: http_request_duration_seconds
    aggregation: p95
    op: ">"
    threshold: 0.5
    window: 30s
"""

SLO = """\
slos:
  - name: S
    objective: 99.9
    sli: {source: metrics, metric: http_request_duration_seconds, le: 0.5}
"""


def rule(*extra: str, drop: str = "", replace: tuple[str, str] | None = None) -> str:
    text = RULE
    if drop:
        text = "".join(line + "\n" for line in text.splitlines() if not line.strip().startswith(drop + ":"))
    if replace:
        text = text.replace(*replace)
    return text + "".join(f"    {line}\n" for line in extra)


def problems_of(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | bytes) -> list[str]:
    monkeypatch.chdir(tmp_path)
    path = Path("pack.yaml")
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_pack("pack.yaml")
    assert all(isinstance(p, ConfigProblem) and p.file == "pack.yaml" for p in info.value.problems)
    return [str(p) for p in info.value.problems]


CASES: list[tuple[str, str | bytes, str]] = [
    # -- the file ---------------------------------------------------------------------------------
    (
        "empty",
        "",
        "pack.yaml:1: file is empty: expected a mapping with keys settings, log_patterns, rules, slos, correlation, receivers, escalation_policies, time_intervals, route, notify",
    ),
    (
        "only comments",
        "# nothing yet\n",
        "pack.yaml:1: file is empty: expected a mapping with keys settings, log_patterns, rules, slos, correlation, receivers, escalation_policies, time_intervals, route, notify",
    ),
    (
        "syntax",
        "rules:\n  - name: R\n    match: ['a=\"b\"'\n    op: x\n",
        "pack.yaml:4: YAML syntax error: while parsing a flow sequence started at line 3: expected ',' or ']', but got '<scalar>'",
    ),
    (
        "syntax: bare >=",
        rule(replace=('op: ">"', "op: >=")),
        "pack.yaml:6: YAML syntax error: while scanning a block scalar: expected chomping or indentation indicators, but found '='",
    ),
    (
        "not a mapping",
        "- a\n- b\n",
        "pack.yaml:1: a rule pack must be a mapping with keys settings, log_patterns, rules, slos, correlation, receivers, escalation_policies, time_intervals, route, notify, got a list",
    ),
    ("not utf-8", b"rules:\n  - name: \xff\n", "pack.yaml:2: not UTF-8 text: invalid start byte"),
    ("duplicate yaml key", rule("threshold: 0.7"), "pack.yaml:9: duplicate key 'threshold' (first at line 7)"),
    # -- keys ---------------------------------------------------------------------------------------
    (
        "unknown top-level key",
        "rule: []\n",
        "pack.yaml:1: unknown key 'rule' (allowed: settings, log_patterns, rules, slos, correlation, receivers, escalation_policies, time_intervals, route, notify); did you mean 'rules'?",
    ),
    (
        "unknown rule key",
        rule("treshold: 1"),
        "pack.yaml:9: rule R: unknown key 'treshold' (allowed: name, source, metric, match, aggregation, errors, numerator, group_by, op, threshold, window, every, for, keep_firing_for, severity, labels, annotations); did you mean 'threshold'?",
    ),
    (
        "unknown settings key",
        "settings: {windw: 10s}\n" + RULE,
        "pack.yaml:1: unknown key 'settings.windw' (allowed: window, allowed_lateness, refresh, receipt_timeout); did you mean 'window'?",
    ),
    ("missing required key", rule(drop="metric"), "pack.yaml:2: rule R: missing required key 'metric'"),
    (
        "missing name",
        rule(replace=("- name: R\n    source", "- source")),
        "pack.yaml:2: rule #1: missing required key 'name'",
    ),
    (
        "rule not a mapping",
        "rules:\n  - just a string\n",
        "pack.yaml:2: rule #1 must be a mapping, got 'just a string'",
    ),
    ("rules not a list", "rules: {name: R}\n", "pack.yaml:1: rules must be a list of rules, got a mapping"),
    (
        "absence rule with a threshold key",
        "rules:\n  - name: A\n    absent: 2m\n    source: metrics\n    metric: up\n    threshold: 1\n",
        "pack.yaml:6: rule A: unknown key 'threshold' (allowed: name, absent, source, metric, match, group_by, severity, labels, annotations); an absence rule (one with 'absent:') has no aggregation, threshold or windows",
    ),
    (
        "absence rule with for",
        "rules:\n  - name: A\n    absent: 2m\n    source: metrics\n    metric: up\n    for: 1m\n",
        "pack.yaml:6: rule A: unknown key 'for' (allowed: name, absent, source, metric, match, group_by, severity, labels, annotations); in an absence rule, 'absent:' already says how long the silence must last",
    ),
    # -- types ----------------------------------------------------------------------------------------
    (
        "threshold not a number",
        rule(replace=("threshold: 0.5", "threshold: fast")),
        "pack.yaml:7: rule R: threshold must be a number, got 'fast'",
    ),
    (
        "threshold a boolean",
        rule(replace=("threshold: 0.5", "threshold: yes")),
        "pack.yaml:7: rule R: threshold must be a number, got true (a boolean)",
    ),
    (
        "threshold empty",
        rule(replace=("threshold: 0.5", "threshold:")),
        "pack.yaml:7: rule R: threshold must be a number, got nothing",
    ),
    (
        "name with spaces",
        rule(replace=("name: R", "name: api latency")),
        "pack.yaml:2: rule api latency: name must be a name of letters, digits, _ . : or - (no spaces), got 'api latency'",
    ),
    (
        "labels not a mapping",
        rule("labels: [a]"),
        "pack.yaml:9: rule R: labels must be a mapping of names to strings, got a list",
    ),
    (
        "label value a list",
        rule("labels: {team: [a]}"),
        "pack.yaml:9: rule R: labels.team must be a string, got a list",
    ),
    (
        "group_by not a list",
        rule("group_by: service"),
        "pack.yaml:9: rule R: group_by must be a list of label names, got 'service'",
    ),
    # -- durations -----------------------------------------------------------------------------------
    (
        "bad duration",
        rule(replace=("window: 30s", "window: 30 seconds")),
        "pack.yaml:8: rule R: window must be a duration like 10s, 5m or 1h30m, got '30 seconds'",
    ),
    (
        "duration without unit",
        rule(replace=("window: 30s", "window: 30")),
        "pack.yaml:8: rule R: window must be a duration with a unit, got 30 (e.g. 30s)",
    ),
    ("zero window", rule(replace=("window: 30s", "window: 0s")), "pack.yaml:8: rule R: window must be longer than 0s"),
    ("zero refresh", "settings:\n  refresh: 0s\n" + RULE, "pack.yaml:2: settings.refresh must be longer than 0s"),
    (
        "bad slo period",
        SLO + "    period: a month\n",
        "pack.yaml:5: slo S: period must be a duration like 10s, 5m or 1h30m, got 'a month'",
    ),
    # -- vocabularies --------------------------------------------------------------------------------
    (
        "unknown source",
        rule(replace=("source: metrics", "source: traces")),
        "pack.yaml:3: rule R: unknown source 'traces' (one of: metrics, logs, receipts)",
    ),
    (
        "unknown aggregation",
        rule(replace=("aggregation: p95", "aggregation: p96")),
        "pack.yaml:5: rule R: unknown aggregation 'p96' (one of: count rate sum avg min max p50 p90 p95 p99 ratio error_ratio)",
    ),
    (
        "unknown comparison",
        rule(replace=('op: ">"', 'op: "=="')),
        "pack.yaml:6: rule R: unknown op '==' (one of: > >= < <=)",
    ),
    (
        "bare > in yaml",
        rule(replace=('op: ">"', "op: >")),
        "pack.yaml:6: rule R: unknown op '' (one of: > >= < <=) (quote it: op: \">\"; a bare > starts a YAML folded text block)",
    ),
    (
        "unknown severity",
        rule("severity: page"),
        "pack.yaml:9: rule R: unknown severity 'page' (one of: critical, high, medium, low)",
    ),
    # -- matchers ------------------------------------------------------------------------------------
    (
        "invalid regex",
        rule("match: ['status=~\"5((\"']"),
        "pack.yaml:9: rule R: match: invalid regex in 'status=~\"5((\"': missing ), unterminated subpattern at position 2",
    ),
    (
        "matcher without operator",
        rule("match: [service]"),
        'pack.yaml:9: rule R: match: \'service\' is not a label matcher (expected label="value", label!="value", label=~"regex" or label!~"regex")',
    ),
    (
        "matcher with ==",
        rule("match: ['service==\"api\"']"),
        'pack.yaml:9: rule R: match: \'service=="api"\' is not a label matcher (expected label="value", label!="value", label=~"regex" or label!~"regex")',
    ),
    (
        "matcher ~=",
        rule("match: ['status ~= \"5..\"']"),
        'pack.yaml:9: rule R: match: \'status ~= "5.."\' is not a label matcher (expected label="value", label!="value", label=~"regex" or label!~"regex")',
    ),
    (
        "matcher not a string",
        rule("match:", "  - {service: api}"),
        "pack.yaml:10: rule R: match: a mapping is not a label matcher like 'status=~\"5..\"'",
    ),
    (
        "matcher item line",
        rule("match:", "  - 'service=\"api\"'", "  - 'status=~\"(\"'"),
        "pack.yaml:11: rule R: match: invalid regex in 'status=~\"(\"': missing ), unterminated subpattern at position 0",
    ),
    # -- windows -------------------------------------------------------------------------------------
    (
        "window not a multiple",
        rule(replace=("window: 30s", "window: 45s")),
        "pack.yaml:8: rule R: window 45s is not a multiple of the base window 10s (settings.window)",
    ),
    (
        "window below the base",
        "settings: {window: 1m}\n" + RULE,
        "pack.yaml:9: rule R: window 30s is not a multiple of the base window 1m (settings.window)",
    ),
    (
        "every not a multiple",
        rule("every: 15s"),
        "pack.yaml:9: rule R: every 15s is not a multiple of the base window 10s (settings.window)",
    ),
    (
        "every longer than window",
        rule("every: 1m"),
        "pack.yaml:9: rule R: every 1m is longer than window 30s: events between evaluations would never be looked at",
    ),
    # -- grouping and names --------------------------------------------------------------------------
    (
        "group_by without service",
        rule("group_by: [route]"),
        "pack.yaml:9: rule R: group_by must include 'service' (alert state is kept per service)",
    ),
    (
        "group_by twice",
        rule("group_by: [service, service]"),
        "pack.yaml:9: rule R: group_by: 'service' is listed twice",
    ),
    (
        "duplicate rule name",
        RULE + RULE[len("rules:\n") :],
        "pack.yaml:9: rule R: name already used by the rule at line 2",
    ),
    ("duplicate slo name", SLO + SLO[len("slos:\n") :], "pack.yaml:5: slo S: name already used by the slo at line 2"),
    (
        "burn alert named like a rule",
        RULE.replace("name: R", "name: S:burn6x") + SLO,
        "pack.yaml:10: slo S: its burn-rate alert S:burn6x has the name of a rule",
    ),
    (
        "duplicate log pattern",
        "log_patterns:\n  - {name: p, regex: a}\n  - {name: p, regex: b}\n",
        "pack.yaml:3: log pattern p: name already used by the log pattern at line 2",
    ),
    # -- SLOs ----------------------------------------------------------------------------------------
    (
        "objective 100",
        SLO.replace("99.9", "100"),
        "pack.yaml:3: slo S: objective must be a percentage between 0 and 100 (exclusive), got 100",
    ),
    (
        "objective as a fraction",
        SLO.replace("99.9", "0.999"),
        "pack.yaml:3: slo S: objective is a percentage: 0.999 means 0.999 %; for 99.9 % write 99.9",
    ),
    (
        "objective not a number",
        SLO.replace("99.9", "high"),
        "pack.yaml:3: slo S: objective must be a percentage like 99.9, got 'high'",
    ),
    (
        "sli with none of bad/le/ge",
        SLO.replace(", le: 0.5", ""),
        "pack.yaml:4: slo S: sli needs exactly one of bad (matchers of the bad events), le (good = value at most this) or ge (good = value at least this); got none",
    ),
    (
        "sli with le and ge",
        SLO.replace("le: 0.5", "le: 0.5, ge: 0.1"),
        "pack.yaml:4: slo S: sli needs exactly one of bad (matchers of the bad events), le (good = value at most this) or ge (good = value at least this); got le and ge",
    ),
    (
        "sli unknown key",
        SLO.replace("le: 0.5", "metrik: x"),
        "pack.yaml:4: slo S: unknown key 'sli.metrik' (allowed: source, metric, match, bad, le, ge); did you mean 'metric'?",
    ),
    (
        "sli missing metric",
        SLO.replace("metric: http_request_duration_seconds, ", ""),
        "pack.yaml:4: slo S: missing required key 'sli.metric'",
    ),
    (
        "sli le not a number",
        SLO.replace("le: 0.5", "le: fast"),
        "pack.yaml:4: slo S: sli.le must be a number, got 'fast'",
    ),
    (
        "sli empty bad",
        SLO.replace("le: 0.5", "bad: []"),
        "pack.yaml:4: slo S: sli.bad must list at least one matcher (an empty list makes every event bad)",
    ),
    (
        "slo missing sli",
        SLO.replace("    sli: {source: metrics, metric: http_request_duration_seconds, le: 0.5}\n", ""),
        "pack.yaml:2: slo S: missing required key 'sli'",
    ),
    # -- ratios ----------------------------------------------------------------------------------------
    (
        "error_ratio without errors",
        rule(replace=("aggregation: p95", "aggregation: error_ratio")),
        "pack.yaml:5: rule R: aggregation error_ratio needs errors: a list of matchers selecting errors, e.g. ['status=~\"5..\"']",
    ),
    (
        "ratio without numerator",
        rule(replace=("aggregation: p95", "aggregation: ratio")),
        "pack.yaml:5: rule R: aggregation ratio needs numerator: a list of matchers selecting the events to count, e.g. ['status=~\"5..\"']",
    ),
    (
        "errors with ratio",
        rule("errors: ['status=\"500\"']", replace=("aggregation: p95", "aggregation: ratio")),
        "pack.yaml:9: rule R: errors is only for aggregation error_ratio (for ratio, use numerator)",
    ),
    (
        "errors with p95",
        rule("errors: ['status=\"500\"']"),
        "pack.yaml:9: rule R: errors is only for aggregation error_ratio",
    ),
    (
        "empty errors",
        rule("errors: []", replace=("aggregation: p95", "aggregation: error_ratio")),
        "pack.yaml:9: rule R: errors must list at least one matcher (an empty list selects every event)",
    ),
    (
        "ratio threshold as percent",
        rule("errors: ['status=\"500\"']", replace=("aggregation: p95", "aggregation: error_ratio")).replace(
            "threshold: 0.5", "threshold: 5"
        ),
        "pack.yaml:7: rule R: threshold of error_ratio is a fraction between 0 and 1 (0.05 = 5 %), got 5",
    ),
    # -- counted series ------------------------------------------------------------------------------
    (
        "value aggregation on logs",
        rule(
            replace=(
                "source: metrics\n    metric: http_request_duration_seconds",
                "source: logs\n    metric: log_events",
            )
        ),
        "pack.yaml:5: rule R: aggregation p95 needs measured values, but logs series only count events (use count, rate, ratio or error_ratio)",
    ),
    (
        "unknown receipts series",
        rule(
            replace=(
                "source: metrics\n    metric: http_request_duration_seconds",
                "source: receipts\n    metric: receipts",
            )
        ),
        "pack.yaml:4: rule R: metric 'receipts': source receipts has no such series (it has delivery_receipts, delivery_outcomes)",
    ),
    (
        "label the series lacks",
        SLO.replace(
            "sli: {source: metrics, metric: http_request_duration_seconds, le: 0.5}",
            "sli: {source: receipts, metric: delivery_outcomes, bad: ['status=\"failed\"']}",
        ),
        "pack.yaml:4: slo S: sli.bad: delivery_outcomes has no label 'status' (its labels: service, channel, provider, outcome)",
    ),
    (
        "value the label never takes",
        SLO.replace(
            "sli: {source: metrics, metric: http_request_duration_seconds, le: 0.5}",
            "sli: {source: receipts, metric: delivery_outcomes, bad: ['outcome=\"failed\"']}",
        ),
        "pack.yaml:4: slo S: sli.bad: outcome is never 'failed' (one of: success, failure)",
    ),
    (
        "le on a counted series",
        SLO.replace("metric: http_request_duration_seconds", "source: logs, metric: log_events").replace(
            "source: metrics, ", ""
        ),
        "pack.yaml:4: slo S: sli.le judges measured values, but logs series only count events (use bad)",
    ),
    (
        "unknown log pattern",
        "log_patterns:\n  - {name: timeout, regex: 'timed out'}\n"
        + rule(
            "match: ['pattern=\"timeouts\"']",
            replace=(
                "source: metrics\n    metric: http_request_duration_seconds",
                "source: logs\n    metric: log_pattern_matches",
            ),
        ).replace("aggregation: p95", "aggregation: count"),
        "pack.yaml:11: rule R: match: no log pattern named 'timeouts' (log_patterns: timeout)",
    ),
    (
        "invalid log pattern regex",
        "log_patterns:\n  - name: p\n    regex: 'a(b'\n",
        "pack.yaml:3: log pattern p: invalid regex 'a(b': missing ), unterminated subpattern at position 1",
    ),
    # -- labels and annotations ----------------------------------------------------------------------
    (
        "severity as a label",
        rule("labels:", "  severity: page"),
        "pack.yaml:10: rule R: labels.severity: set the rule's severity with 'severity:'",
    ),
    (
        "label overriding the group",
        rule("labels: {service: other}"),
        "pack.yaml:9: rule R: labels.service would overwrite the group label service (group_by)",
    ),
    (
        "slo label overriding slo",
        SLO + "    labels: {slo: x}\n",
        "pack.yaml:5: slo S: labels.slo is set by Vigil and cannot be overridden",
    ),
    (
        "unknown template field",
        rule("annotations:", "  summary: '{servcie} is slow'"),
        "pack.yaml:10: rule R: annotations.summary: unknown field {servcie} (fields: alertname, service, severity, threshold, value)",
    ),
    (
        "bad template format",
        rule("annotations: {summary: '{service:.2f}'}"),
        "pack.yaml:9: rule R: annotations.summary: cannot render '{service:.2f}': Unknown format code 'f' for object of type 'str'",
    ),
    (
        "positional template field",
        rule("annotations: {summary: 'slow: {}'}"),
        "pack.yaml:9: rule R: annotations.summary: use named fields like {value}; positional {} fields are not filled in",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in CASES])
def test_problem_is_reported_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | bytes, expected: str
) -> None:
    assert expected in problems_of(tmp_path, monkeypatch, text)


def test_every_problem_in_a_file_is_reported_in_line_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = textwrap.dedent(
        """\
        settings:
          window: 10s
        rules:
          - name: ApiLatencyP95High
            source: metrics
            metric: http_request_duration_seconds
            aggregation: p95
            op: ">"
            threshold: fast
            window: 45s
          - name: Other
            source: metric
            metric: m
            aggregation: count
            op: ">"
            threshold: 1
            window: 1m
        slos:
          - name: S
            objective: 100
            sli: {source: metrics, metric: m}
        """
    )
    assert problems_of(tmp_path, monkeypatch, text) == [
        "pack.yaml:9: rule ApiLatencyP95High: threshold must be a number, got 'fast'",
        "pack.yaml:10: rule ApiLatencyP95High: window 45s is not a multiple of the base window 10s (settings.window)",
        "pack.yaml:12: rule Other: unknown source 'metric' (one of: metrics, logs, receipts)",
        "pack.yaml:20: slo S: objective must be a percentage between 0 and 100 (exclusive), got 100",
        "pack.yaml:21: slo S: sli needs exactly one of bad (matchers of the bad events), le (good = value at most this) "
        "or ge (good = value at least this); got none",
    ]


def test_unreadable_file_is_a_problem_without_a_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_pack(tmp_path / "missing.yaml")
    [problem] = info.value.problems
    assert problem.line is None
    assert str(problem) == f"{tmp_path / 'missing.yaml'}: cannot read: No such file or directory"


def test_config_error_message_lists_every_problem() -> None:
    error = ConfigError([ConfigProblem("a.yaml", 3, "one"), ConfigProblem("a.yaml", 7, "two")])
    assert str(error) == "a.yaml:3: one\na.yaml:7: two"
