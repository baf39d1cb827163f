"""`vigil check-config` and `vigil test-rules`, called as the CLI calls them."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from vigil.commands import check_config as check_config_command
from vigil.commands import test_rules as test_rules_command

PACKS = Path(__file__).resolve().parents[3] / "packs"


def check_config(*files: str | Path) -> int:
    return check_config_command.check_config(argparse.Namespace(files=[str(f) for f in files]))


def test_rules(*files: str | Path) -> int:
    return test_rules_command.test_rules(argparse.Namespace(files=[str(f) for f in files]))


test_rules.__test__ = False  # type: ignore[attr-defined]


def test_check_config_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config(PACKS / "default.yaml", PACKS / "demo.yaml") == 0
    out = capsys.readouterr()
    assert out.err == ""
    counts = "7 rules, 1 absence rule, 5 SLOs → 20 burn-rate alerts, 3 log patterns"
    assert out.out.splitlines() == [
        f"{PACKS / 'default.yaml'}: OK ({counts}, 4 receivers, 4 routes, 1 escalation policy; base window 10s)",
        f"{PACKS / 'demo.yaml'}: OK ({counts}, 3 receivers, 0 routes, 1 escalation policy; base window 10s)",
    ]


def test_check_config_prints_every_problem_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yaml").write_text(
        "rules:\n  - name: R\n    source: metrics\n    metric: m\n    aggregation: p95\n"
        '    op: ">"\n    threshold: fast\n    window: 45s\n',
        encoding="utf-8",
    )
    assert check_config("bad.yaml", PACKS / "default.yaml") == 1
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        "bad.yaml:7: rule R: threshold must be a number, got 'fast'",
        "bad.yaml:8: rule R: window 45s is not a multiple of the base window 10s (settings.window)",
        "bad.yaml: 2 problems",
    ]
    assert "default.yaml: OK" in out.out  # the good file is still checked


def test_check_config_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config(tmp_path / "nope.yaml") == 1
    assert "nope.yaml: cannot read: No such file or directory" in capsys.readouterr().err


WRONG_EXPECTATION = """\
rule_files: [{pack}]
tests:
  - name: latency breach pages with the wrong severity
    interval: 10s
    input_series:
      - series: 'http_request_duration_seconds{{service="advisor-api", status="200"}}'
        values: '0.1x29 1.5x29'
        per_interval: 20
    alert_rule_test:
      - eval_time: 8m
        alertname: ApiLatencyP95High
        exp_alerts:
          - exp_labels: {{service: advisor-api, severity: critical, team: api}}
  - name: nothing fires in calm
    input_series:
      - series: 'http_request_duration_seconds{{service="advisor-api", status="200"}}'
        values: '0.1x29'
        per_interval: 20
    alert_rule_test:
      - {{eval_time: 5m, alertname: ApiLatencyP95High, exp_alerts: []}}
"""


def test_a_wrong_expectation_fails_with_a_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "wrong.tests.yaml"
    path.write_text(WRONG_EXPECTATION.format(pack=PACKS / "default.yaml"), encoding="utf-8")
    assert test_rules(path) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"Unit testing: {path}",
        "  FAIL  latency breach pages with the wrong severity",
        f"    {path}:10: at 8m, alert ApiLatencyP95High: - expected but not firing, + firing but not expected",
        '      - {alertname="ApiLatencyP95High", service="advisor-api", severity="critical", team="api"}',
        '      + {alertname="ApiLatencyP95High", service="advisor-api", severity="high", team="api"}  value=1.5',
        '          annotations: {summary="advisor-api P95 latency 1.500s exceeds 0.5s"}',
        "  PASS  nothing fires in calm (1 check)",
        "  1 passed, 1 failed",
    ]


def test_a_load_problem_fails_with_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.tests.yaml"
    path.write_text(
        WRONG_EXPECTATION.format(pack=PACKS / "default.yaml").replace(
            "alertname: ApiLatencyP95High\n", "alertname: ApiLatencyP95Hihg\n"
        ),
        encoding="utf-8",
    )
    assert test_rules(path, PACKS / "default.tests.yaml") == 1
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        f"{path}:10: latency breach pages with the wrong severity: no rule or burn-rate alert named "
        f"'ApiLatencyP95Hihg' in {PACKS / 'default.yaml'}"
    ]
    assert "FAILED: 1 problem loading the tests or their rule files" in out.out
    assert "6 passed, 0 failed" in out.out  # the other file still ran


def test_a_broken_pack_fails_the_tests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pack.yaml").write_text("rules: [1]\n", encoding="utf-8")
    path = tmp_path / "t.tests.yaml"
    path.write_text("rule_files: [pack.yaml]\ntests: []\n", encoding="utf-8")
    assert test_rules(path) == 1
    assert capsys.readouterr().err.splitlines() == [f"{tmp_path / 'pack.yaml'}:1: rule #1 must be a mapping, got 1"]
