"""The packs in packs/ load cleanly, keep their promises, and their own rule tests pass."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest

from correlator.config import describe_pack, load_pack
from vigil.commands import test_rules as test_rules_command

PACKS = Path(__file__).resolve().parents[3] / "packs"


@pytest.mark.parametrize(
    ("name", "routing"),
    [
        ("default.yaml", "4 receivers, 4 routes, 1 escalation policy"),
        ("demo.yaml", "3 receivers, 0 routes, 1 escalation policy"),
    ],
)
def test_shipped_pack_loads_without_problems(name: str, routing: str) -> None:
    pack = load_pack(PACKS / name)
    assert describe_pack(pack) == (
        f"7 rules, 1 absence rule, 5 SLOs → 20 burn-rate alerts, 3 log patterns, {routing}; base window 10s"
    )


def test_default_pack_covers_the_slas() -> None:
    pack = load_pack(PACKS / "default.yaml")
    slos = {slo.name: slo for slo in pack.slos}
    assert {name: slo.objective for name, slo in slos.items()} == {
        "api-latency": 0.95,
        "api-availability": 0.999,
        "compliance-latency": 0.95,
        "whatsapp-delivery": 0.99,
        "uptime": 0.99,
    }
    assert all(slo.period_seconds == 30 * 86400 for slo in pack.slos)
    assert slos["api-latency"].sli.le == 0.5 and slos["compliance-latency"].sli.le == 1.5
    assert slos["uptime"].sli.ge == 1.0
    rules = {r.name: r for r in pack.rules}
    assert (rules["ApiLatencyP95High"].threshold, rules["ComplianceValidationSlow"].threshold) == (0.5, 1.5)
    assert [r.name for r in pack.absence] == ["ServiceSilent"]


def test_demo_pack_is_the_default_pack_with_6h_slos() -> None:
    default, demo = load_pack(PACKS / "default.yaml"), load_pack(PACKS / "demo.yaml")
    assert all(slo.period_seconds == 6 * 3600 for slo in demo.slos)
    assert demo.slos == tuple(dataclasses.replace(slo, period_seconds=6 * 3600) for slo in default.slos)
    assert (demo.rules, demo.absence, demo.log_patterns, demo.settings) == (
        default.rules,
        default.absence,
        default.log_patterns,
        default.settings,
    )


@pytest.mark.parametrize("name", ["default.yaml", "demo.yaml"])
def test_no_paging_rule_can_fire_on_a_20_second_blip(name: str) -> None:
    """A blip of b seconds keeps a rule's window in breach for at most b + window - base of evaluations."""
    pack = load_pack(PACKS / name)
    base = pack.settings.window_seconds
    for rule in pack.rules:
        if rule.severity in ("critical", "high"):
            assert rule.for_seconds > 20 + rule.window_seconds - base, rule.name


def test_rule_tests_of_the_shipped_packs_pass(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in PACKS.glob("*.tests.yaml"))
    assert [Path(f).name for f in files] == ["default.tests.yaml", "demo.tests.yaml"]
    assert test_rules_command.test_rules(argparse.Namespace(files=files)) == 0
    out = capsys.readouterr()
    assert "FAIL" not in out.out and out.err == ""
    assert out.out.count("PASS") >= 10
