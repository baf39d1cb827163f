"""`vigil routes test|check`, and receivers judged by `vigil check-config` and `vigil run`, through the CLI's main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigil.cli import main

PACKS = Path(__file__).resolve().parents[3] / "packs"
HINT = " (set it, or mark the receiver optional: true to run without it)"
SECRETS = ("PAGERDUTY_ROUTING_KEY", "SLACK_WEBHOOK_URL", "SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD")


@pytest.fixture(autouse=True)
def no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped packs' optional receivers stay disabled, whatever the developer's shell exports."""
    for name in (*SECRETS, "VIGIL_CONFIG"):
        monkeypatch.delenv(name, raising=False)


def test_routes_test_shows_the_route_its_receivers_escalation_and_timers(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["routes", "test", "--config", str(PACKS / "default.yaml"), "severity=critical", "service=postgres"]) == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith('labels service="postgres", severity="critical"')
    assert out[1:] == [
        "1 route matched",
        "",
        "critical  (root/0)",
        "  receivers   console (console), oncall-pager (pagerduty, optional, fallback team-slack)",
        "  escalation  critical-default while nobody acknowledges, then again 2 more times",
        "    level 0  when announced  team-slack (slack, optional, fallback console)",
        "    level 1  +5m             oncall-pager (pagerduty, optional, fallback team-slack), "
        "team-slack (slack, optional, fallback console), team-email (email, optional, fallback console)",
        "    level 0 again at +15m",
        "  timers      group_wait 0s · group_interval 5m · repeat_interval 1h",
        "  muted       never",
        "  rollback    none",
        "",
    ]


def test_routes_test_uses_the_default_pack_and_shows_mutes_and_rollbacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["routes", "test", "severity=low"]) == 0  # packs/default.yaml
    out = capsys.readouterr().out
    assert "low  (root/3)" in out and "receivers   console (console)" in out and "escalation  none" in out
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "receivers:\n  - {name: bot, kind: webhook, url: 'https://x', optional: true}\n"
        "time_intervals:\n  - {name: nights, times: [{start: '22:00', end: '06:00'}, {weekdays: [sat, sun]}]}\n"
        "route:\n  receivers: []\n  mute_time_intervals: [nights]\n  rollback_webhook: bot\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("VIGIL_CONFIG", str(pack))
    assert main(["routes", "test"]) == 0
    out = capsys.readouterr().out
    assert "note: no severity label" in out
    assert "receivers   nobody" in out
    assert "muted       nights: every day 22:00–06:00, sat sun all day UTC" in out
    assert "rollback    bot (webhook, optional)" in out


def test_routes_test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "test", "--config", str(PACKS / "demo.yaml"), "--json", "severity=high"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["labels"] == {"severity": "high"}
    assert report["link"] == "http://127.0.0.1:6066/api/incidents/{incident_id}"
    [route] = report["routes"]
    assert (route["name"], route["path"], route["group_wait"], route["group_interval"]) == ("root", "root", 10.0, 30.0)
    assert [r["name"] for r in route["receivers"]] == ["console", "team-slack"]
    assert route["receivers"][1] == {"name": "team-slack", "kind": "slack", "optional": True, "fallback": "console"}
    assert route["escalation"] == {
        "name": "demo",
        "repeat": 1,
        "levels": [
            {"level": 0, "notify": ["oncall-pager"], "escalate_after": 60.0},
            {"level": 1, "notify": ["console", "team-slack"], "escalate_after": 60.0},
        ],
    }
    assert (route["mute_time_intervals"], route["rollback_webhook"]) == ([], None)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["severity"], "vigil routes test: 'severity' is not LABEL=VALUE (e.g. severity=critical)"),
        (["a=1", "a=2"], "vigil routes test: label a is given twice"),
        (["1x=2"], "vigil routes test: '1x=2' is not LABEL=VALUE (e.g. severity=critical)"),
    ],
)
def test_routes_test_refuses_bad_labels(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "test", *argv]) == 2
    assert capsys.readouterr().err.strip() == message


def test_routes_test_on_a_bad_pack_prints_its_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text("route:\n  receivers: [nobody]\n", encoding="utf-8")
    assert main(["routes", "test", "--config", str(pack), "severity=high"]) == 1
    assert capsys.readouterr().err == f"{pack}:2: route: receivers: no receiver named 'nobody' (known: none declared)\n"


def test_routes_check_passes_on_the_shipped_packs(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in PACKS.glob("*.routes-tests.yaml"))
    assert [Path(f).name for f in files] == ["default.routes-tests.yaml", "demo.routes-tests.yaml"]
    assert main(["routes", "check", *files]) == 0
    out = capsys.readouterr()
    assert out.err == "" and "FAIL" not in out.out
    assert out.out.count("PASS") >= 8


def test_routes_check_fails_on_a_failing_case_or_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failing = tmp_path / "failing.yaml"
    failing.write_text(
        f"pack: {PACKS / 'default.yaml'}\ntests:\n  - labels: {{severity: high}}\n    receivers: [oncall-pager]\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("pack: x.yaml\ntests:\n  - labels: {severity: high}\n    receiver: [console]\n", encoding="utf-8")
    assert main(["routes", "check", str(failing), str(bad)]) == 1
    out = capsys.readouterr()
    assert "  FAIL  test #1" in out.out
    assert "receivers: expected [oncall-pager], got [console, team-slack, team-email]" in out.out
    assert out.err.splitlines() == [
        f"{bad}:3: test #1: expects nothing: give receivers, escalation or routes (or several)",
        f"{bad}:4: test #1: unknown key 'receiver' (allowed: name, labels, receivers, escalation, routes); "
        "did you mean 'receivers'?",
    ]


# -- receivers in check-config and run -------------------------------------------

BAD_RECEIVER = """\
receivers:
  - name: pager
    kind: pagerduty
    routing_key: ${PAGERDUTY_ROUTING_KEY}
  - name: chat
    kind: slack
    webhook_url: ${SLACK_WEBHOOK_URL}
    optional: true
route:
  receivers: [pager, chat]
"""


def test_check_config_builds_receivers_with_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(BAD_RECEIVER, encoding="utf-8")
    assert main(["check-config", str(pack)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{pack}:4: receiver pager: routing_key: environment variable PAGERDUTY_ROUTING_KEY is not set" + HINT,
        f"{pack}: 1 problem",
    ]  # the optional chat receiver is only disabled
    monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "not-a-url")
    assert main(["check-config", str(pack)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{pack}:7: receiver chat: webhook_url: must be an http:// or https:// URL",
        f"{pack}: 1 problem",
    ]
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/x")
    assert main(["check-config", str(pack)]) == 0
    assert capsys.readouterr().out.startswith(f"{pack}: OK")


def test_the_shipped_packs_check_with_their_secrets_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "PAGERDUTY_ROUTING_KEY": "0123456789abcdef0123456789abcdef",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",
        "SMTP_HOST": "smtp.example.com",
        "SMTP_USERNAME": "vigil",
        "SMTP_PASSWORD": "password",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["check-config", str(PACKS / "default.yaml"), str(PACKS / "demo.yaml")]) == 0
    assert capsys.readouterr().err == ""


def test_run_refuses_to_start_on_a_receiver_that_cannot_be_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(BAD_RECEIVER, encoding="utf-8")
    assert main(["run", "--bootstrap", "127.0.0.1:1", "--config", str(pack)]) == 2
    err = capsys.readouterr().err
    assert f"{pack}:4: receiver pager: routing_key: environment variable PAGERDUTY_ROUTING_KEY is not set" + HINT in err
    assert "refusing to start" in err
