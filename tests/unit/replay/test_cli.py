"""`vigil replay` arguments: times, sources, refusals; none of these need Kafka."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.replay.factories import pack_file
from vigil.cli import main
from vigil.commands.replay import parse_time

NOW = 1_795_825_465.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-1h", NOW - 3600),
        ("-1h30m", NOW - 5400),
        ("-90s", NOW - 90),
        ("now-15m", NOW - 900),
        ("1767225600", 1_767_225_600.0),
        ("1767225600.5", 1_767_225_600.5),
        ("2026-11-27T10:00:00Z", 1_795_773_600.0),
        ("2026-11-27T10:00:00", 1_795_773_600.0),  # no zone: UTC
        ("2026-11-27T11:00:00+01:00", 1_795_773_600.0),
        ("2026-11-27T10:00:00.250Z", 1_795_773_600.25),
    ],
)
def test_times(text: str, expected: float) -> None:
    assert parse_time(text, NOW) == expected


@pytest.mark.parametrize("text", ["yesterday", "-1 hour", "2026-13-01T00:00:00Z", ""])
def test_bad_times_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="expected|not a"):
        parse_time(text, NOW)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["replay", "--bootstrap", "127.0.0.1:1", *args])
    return status, capsys.readouterr().err


def test_refuses_to_publish_into_the_live_incidents_topic(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pack = str(pack_file(tmp_path))
    for topic, prefix in (("incidents", ""), ("t1-incidents", "t1-"), ("alerts", "")):
        status, err = run(capsys, "--from", "-1h", "--config", pack, "--publish", topic, "--prefix", prefix)
        assert status == 2 and "live topic" in err, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "-1h", "--to", "-2h"], "must be after"),
        (["--from", "soon"], "not a time"),
        (["--from", "-1h", "--sources", "metrics,traces"], "--sources"),
        (["--from", "-1h", "--drain", "a while"], "not a duration"),
    ],
)
def test_bad_usage_exits_2_before_touching_kafka(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str
) -> None:
    status, err = run(capsys, "--config", str(pack_file(tmp_path)), *args)
    assert status == 2 and message in err, err


def test_a_bad_pack_is_reported_at_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: X\n    source: metrics\n")
    status, err = run(capsys, "--from", "-1h", "--config", str(pack_file(tmp_path)), "--rules", str(bad))
    assert status == 2 and "bad.yaml:2" in err, err


def test_config_replaces_vigil_config_rather_than_adding_to_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_pack = tmp_path / "from-env.yaml"
    env_pack.write_text("rules:\n  - name: Y\n    source: metrics\n")  # broken: must not be read
    monkeypatch.setenv("VIGIL_CONFIG", str(env_pack))
    bad = tmp_path / "given.yaml"
    bad.write_text("rules:\n  - name: X\n    source: metrics\n")
    status, err = run(capsys, "--from", "-1h", "--config", str(bad))
    assert status == 2 and "given.yaml:2" in err and "from-env.yaml" not in err, err


def test_the_replay_core_stays_pure() -> None:
    code = (
        "import sys, correlator.replay; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'faust', 'aiokafka', 'aiohttp', 'asyncio', "
        "'streams', 'vigil', 'notifiers'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
