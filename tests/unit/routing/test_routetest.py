"""Routing test files: loading with FILE:LINE problems, judging cases, the report, and the shipped packs' tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.config import ConfigError
from correlator.routing.routetest import format_result, load_route_tests, run_route_tests

PACKS = Path(__file__).resolve().parents[3] / "packs"

PACK = """\
receivers:
  - {name: console, kind: console}
  - {name: pager, kind: console}
  - {name: chat, kind: console}
escalation_policies:
  - {name: oncall, levels: [{notify: [pager]}]}
route:
  receivers: [console]
  routes:
    - name: audit
      match: ['team="compliance"']
      receivers: [chat]
      continue: true
    - name: critical
      match: ['severity="critical"']
      receivers: [console, pager]
      escalation: oncall
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    return tmp_path


def write(folder: Path, text: str) -> Path:
    path = folder / "pack.routes-tests.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_passing_and_failing_cases(folder: Path) -> None:
    path = write(
        folder,
        """\
pack: pack.yaml
tests:
  - name: critical pages
    labels: {severity: critical}
    receivers: [pager, console]
    escalation: oncall
    routes: [critical]
  - name: compliance also tells the chat
    labels: {severity: critical, team: compliance}
    receivers: [console, chat, pager]
    escalation: [oncall]
    routes: [audit, critical]
  - labels: {severity: low}
    receivers: [console]
    escalation: null
    routes: [root]
  - name: wrong on purpose
    labels: {severity: high, team: compliance}
    receivers: [console, pager]
    escalation: oncall
    routes: [critical]
""",
    )
    result = run_route_tests(path)
    assert result.problems == []
    assert [c.passed for c in result.cases] == [True, True, True, False]
    assert not result.passed
    assert format_result(result).splitlines() == [
        f"Routing tests: {path}",
        "  PASS  critical pages",
        "  PASS  compliance also tells the chat",
        "  PASS  test #3",
        "  FAIL  wrong on purpose",
        f'    {path}:17: labels {{severity="high", team="compliance"}}',
        "      matched routes: audit (root/0)",
        "      receivers: expected [console, pager], got [chat]  (-console -pager +chat)",
        "      escalation: expected [oncall], got none",
        "      routes: expected [critical], got [audit]",
        "  3 passed, 1 failed",
    ]


def test_only_what_a_case_names_is_compared(folder: Path) -> None:
    path = write(
        folder,
        "pack: [pack.yaml]\ntests:\n  - labels: {severity: critical}\n    routes: [critical]\n"
        "  - labels: {severity: critical}\n    escalation: oncall\n",
    )
    result = run_route_tests(path)
    assert result.passed and len(result.cases) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["{path}:1: file is empty: expected pack and tests"]),
        ("- a\n", ["{path}:1: a routing test file must be a mapping with pack and tests, got a list"]),
        ("tests: []\n", ["{path}:1: missing required key 'pack'", "{path}:1: tests must list at least one case"]),
        (
            "pack: pack.yaml\ntest: []\n",
            [
                "{path}:1: missing required key 'tests'",
                "{path}:2: unknown key 'test' (allowed: pack, tests); did you mean 'tests'?",
            ],
        ),
        (
            "pack: [3]\ntests:\n  - labels: {severity: high}\n  - 3\n"
            "  - name: n\n    labels: [severity]\n    receivers: console\n    routes: [1]\n    extra: x\n",
            [
                "{path}:1: pack: 3 is not a file name",
                "{path}:3: test #1: expects nothing: give receivers, escalation or routes (or several)",
                "{path}:4: test #2 must be a mapping, got 3",
                "{path}:6: n: labels must be a mapping of names to strings, got a list",
                "{path}:7: n: receivers must be a list of receiver names, got 'console'",
                "{path}:8: n: routes: 1 is not a route name",
                "{path}:9: n: unknown key 'extra' (allowed: name, labels, receivers, escalation, routes)",
            ],
        ),
    ],
    ids=["empty", "not a mapping", "no pack", "typo", "bad cases"],
)
def test_a_bad_test_file_is_reported_at_its_lines(folder: Path, text: str, expected: list[str]) -> None:
    path = write(folder, text)
    with pytest.raises(ConfigError) as info:
        load_route_tests(path)
    assert [str(p) for p in info.value.problems] == [e.format(path=path) for e in expected]
    result = run_route_tests(path)
    assert not result.passed and result.cases == []
    assert format_result(result).splitlines()[1].startswith(f"  FAILED: {len(expected)} problem")


def test_names_the_pack_does_not_declare_are_problems_not_failures(folder: Path) -> None:
    path = write(
        folder,
        "pack: pack.yaml\ntests:\n  - name: typos\n    labels: {severity: critical}\n"
        "    receivers: [consol]\n    escalation: on-call\n    routes: [crit]\n",
    )
    result = run_route_tests(path)
    pack = str(folder / "pack.yaml")
    assert [str(p) for p in result.problems] == [
        f"{path}:5: typos: no receiver named 'consol' in {pack} (known: chat, console, pager)",
        f"{path}:7: typos: no route named 'crit' in {pack} (known: audit, critical, root)",
        f"{path}:6: typos: no escalation policy named 'on-call' in {pack} (known: oncall)",
    ]
    assert not result.passed


def test_a_broken_pack_is_reported_with_its_own_lines(folder: Path) -> None:
    (folder / "pack.yaml").write_text("route:\n  receivers: [nobody]\n", encoding="utf-8")
    path = write(folder, "pack: pack.yaml\ntests:\n  - labels: {severity: low}\n    routes: [root]\n")
    result = run_route_tests(path)
    assert [str(p) for p in result.problems] == [
        f"{folder / 'pack.yaml'}:2: route: receivers: no receiver named 'nobody' (known: none declared)"
    ]
    missing = run_route_tests(write(folder, "pack: nope.yaml\ntests:\n  - {labels: {}, routes: [root]}\n"))
    assert "nope.yaml: cannot read" in str(missing.problems[0])


@pytest.mark.parametrize("name", ["default", "demo"])
def test_the_shipped_packs_keep_their_runbook(name: str) -> None:
    result = run_route_tests(PACKS / f"{name}.routes-tests.yaml")
    assert result.problems == []
    assert result.passed, format_result(result)
    assert len(result.cases) >= 2
