"""The rule-test runner: promtool's value notation, series selectors, test-file problems, engine driving."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.config import ConfigError, parse_pack
from correlator.ruletest import (
    AlertCheck,
    ExpectedAlert,
    RuleTestGroup,
    SeriesInput,
    expand_values,
    load_rule_tests,
    parse_series,
    run_group,
)
from correlator.series import SeriesKey


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("1 2 3", [1, 2, 3]),
        ("-2+4x3", [-2, 2, 6, 10]),  # promtool's own examples
        ("1-2x4", [1, -1, -3, -5, -7]),
        ("1x4", [1, 1, 1, 1, 1]),
        ("1 _x3 2", [1, None, None, None, 2]),
        ("_", [None]),
        ("0.5+0.25x2 1e-3", [0.5, 0.75, 1.0, 0.001]),
        ("  7  ", [7]),
    ],
)
def test_expanding_notation(text: str, values: list[float | None]) -> None:
    assert expand_values(text) == values


@pytest.mark.parametrize("text", ["", "a", "1+2", "1x", "stale", "1 2x-1", "_+1x2", "1,2"])
def test_expanding_notation_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        expand_values(text)


def test_parse_series() -> None:
    assert parse_series('http_request_duration_seconds{service="api", status="200", route="/v1/x"}') == SeriesKey(
        "metrics", "api", "http_request_duration_seconds", (("route", "/v1/x"), ("status", "200"))
    )
    assert parse_series('up{service="pg"}') == SeriesKey("metrics", "pg", "up")
    assert parse_series('log_events{service="api", level="error"}').source == "logs"
    outcome = 'delivery_outcomes{service="wa", channel="whatsapp", provider="meta", outcome="failure"}'
    assert parse_series(outcome).source == "receipts"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("up", "needs a service label"),
        ('up{service="a", service="b"}', "appears twice"),
        ("up{service=a}", "cannot read the labels"),
        ('log_events{service="api"}', "log_events series have labels service, level"),
        ('delivery_outcomes{service="wa", outcome="failure"}', "labels service, channel, provider, outcome"),
    ],
)
def test_parse_series_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_series(text)


def test_parse_series_with_an_explicit_source() -> None:
    with pytest.raises(ValueError, match="source logs has no series 'up'"):
        parse_series('up{service="a"}', "logs")


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "t.tests.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rule_tests(path)
    return [str(p).replace(str(path), "t.tests.yaml") for p in info.value.problems]


GROUP = """\
rule_files: [pack.yaml]
tests:
  - name: g
    input_series:
      - series: 'up{service="a"}'
        values: '1x3'
    alert_rule_test:
      - eval_time: 1m
        alertname: R
        exp_alerts: []
"""


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("1x3", "1x"), "t.tests.yaml:6: g: values: cannot read '1x' (expected a number, _, a+bxn, a-bxn, axn or _xn)"),
        (
            ("'up{service=\"a\"}'", "'up'"),
            "t.tests.yaml:5: g: series 'up' needs a service label, e.g. up{service=\"advisor-api\"}",
        ),
        (
            ("eval_time: 1m", "eval_time: soon"),
            "t.tests.yaml:8: g: eval_time must be a duration like 10s, 5m or 1h30m, got 'soon'",
        ),
        (("        alertname: R\n", ""), "t.tests.yaml:8: g: missing required key 'alertname'"),
        (
            ("        values: '1x3'\n", "        values: '1x3'\n        per_interval: 0\n"),
            "t.tests.yaml:7: g: per_interval must be a whole number of samples, at least 1, got 0",
        ),
        (
            (
                "'up{service=\"a\"}'\n        values: '1x3'",
                "'log_events{service=\"a\", level=\"error\"}'\n        values: '1.5'",
            ),
            "t.tests.yaml:6: g: values of log_events are counts of events (whole numbers), got 1.5",
        ),
        (
            (
                "'up{service=\"a\"}'\n        values: '1x3'",
                "'log_events{service=\"a\", level=\"error\"}'\n        values: '1'\n        per_interval: 2",
            ),
            "t.tests.yaml:7: g: per_interval is for metrics; logs values are counts of events",
        ),
        (
            ("exp_alerts: []", "exp_alerts: [{exp_labels: {alertname: Q}}]"),
            "t.tests.yaml:10: g: exp_labels.alertname 'Q' is not 'R'",
        ),
        (
            ("exp_alerts: []", "exp_alerts: [{labels: {}}]"),
            "t.tests.yaml:10: g: unknown key 'labels' (allowed: exp_labels, exp_annotations); did you mean 'exp_labels'?",
        ),
        (
            ("  - name: g\n", "  - name: g\n    evaluation_interval: 1m\n"),
            "t.tests.yaml:4: g: unknown key 'evaluation_interval' (allowed: name, interval, input_series, alert_rule_test)",
        ),
        (("rule_files: [pack.yaml]\n", ""), "t.tests.yaml:1: missing required key 'rule_files'"),
    ],
)
def test_test_file_problems(tmp_path: Path, edit: tuple[str, str], expected: str) -> None:
    assert edit[0] in GROUP
    assert expected in problems_of(tmp_path, GROUP.replace(*edit))


def test_a_valid_test_file(tmp_path: Path) -> None:
    path = tmp_path / "t.tests.yaml"
    path.write_text(GROUP, encoding="utf-8")
    tests = load_rule_tests(path)
    assert tests.rule_files == (str(tmp_path / "pack.yaml"),)
    [group] = tests.groups
    assert group.interval is None
    assert group.series == (SeriesInput(SeriesKey("metrics", "a", "up"), (1.0, 1.0, 1.0, 1.0)),)
    assert group.checks == (AlertCheck(8, 60.0, "R", ()),)


PACK = parse_pack(
    """\
rules:
  - name: Errors
    source: logs
    metric: log_events
    match: ['level="error"']
    aggregation: count
    op: ">="
    threshold: 3
    window: 10s
    severity: medium
  - name: Silent
    absent: 30s
    source: logs
    metric: log_events
"""
)


def firing(group: RuleTestGroup) -> list[str]:
    """Failures of `group`, flattened to 'eval_time: missing/unexpected' strings."""
    result = run_group(PACK, group)
    return [f"{f.check.eval_time:g}: -{len(f.missing)} +{len(f.unexpected)}" for f in result.failures]


def test_counted_values_are_events_per_interval_and_absence_uses_eval_time_as_wall_clock() -> None:
    errors = SeriesInput(SeriesKey("logs", "api", "log_events", (("level", "error"),)), (1, 3, 0, 5), counted=True)
    fired = ExpectedAlert({"alertname": "Errors", "service": "api", "severity": "medium"})
    silent = ExpectedAlert({"alertname": "Silent", "service": "api", "severity": "critical"})
    group = RuleTestGroup(
        name="g",
        line=1,
        interval=10,
        series=(errors,),
        checks=(
            AlertCheck(1, 10, "Errors", ()),  # 1 error in [0, 10)
            AlertCheck(2, 20, "Errors", (fired,)),  # 3 in [10, 20)
            AlertCheck(3, 30, "Errors", ()),  # 0 events in [20, 30): resolved
            AlertCheck(4, 40, "Errors", (fired,)),
            AlertCheck(5, 60, "Silent", ()),  # the last events arrive at the 40 s step
            AlertCheck(6, 70, "Silent", (silent,)),  # 30 s of silence by 70 s
        ),
    )
    assert firing(group) == []


def test_a_failed_check_reports_missing_and_unexpected_alerts() -> None:
    errors = SeriesInput(SeriesKey("logs", "api", "log_events", (("level", "error"),)), (5,), counted=True)
    wrong = ExpectedAlert({"alertname": "Errors", "service": "web", "severity": "medium"})
    group = RuleTestGroup(
        "g", 1, 10, (errors,), (AlertCheck(1, 0, "Errors", (wrong,)), AlertCheck(2, 10, "Errors", ()))
    )
    assert firing(group) == ["0: -1 +0", "10: -0 +1"]
