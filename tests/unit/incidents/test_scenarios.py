"""Every scenario under tests/scenarios/ (and realtime/) through the pure core: the incidents come out as expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.incidents.scenario import check_scenario, load_scenario, run_scenario, scenario_from_mapping
from schemas import encode

HERE = Path(__file__).parents[2] / "scenarios"
SCENARIOS = sorted(HERE.glob("*.yaml")) + sorted((HERE / "realtime").glob("*.yaml"))  # realtime/: also played live


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 9
    assert {p.stem for p in SCENARIOS if p.parent.name == "realtime"} >= {
        "silence-expiry",
        "flapping",
        "ack-resolve-reopen",
    }


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.relative_to(HERE).with_suffix("").as_posix() for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = load_scenario(path)
    run = run_scenario(scenario)
    assert check_scenario(scenario, run.events, run.outcomes) == []
    assert run.events, "a scenario that publishes nothing checks nothing"
    for event in run.events:
        encode(event)  # every event is a valid `incidents` record
    again = run_scenario(scenario)
    assert [encode(e) for e in again.events] == [encode(e) for e in run.events]


def test_a_wrong_expectation_is_reported() -> None:
    scenario = scenario_from_mapping(
        {
            "input": [{"at": 0, "alert": {"rule": "Down", "service": "db", "severity": "critical"}}],
            "expect": {
                "incidents": [
                    {
                        "group_key": "service=db",
                        "severity": "low",
                        "root_cause": "db",
                        "alerts": [{"rule": "Down", "service": "db", "count": 2}],
                        "timeline": ["opened (quiet)"],
                    },
                    {"group_key": "service=api"},
                ],
                "commands": [{"id": "nope"}],
            },
        }
    )
    run = run_scenario(scenario)
    problems = check_scenario(scenario, run.events, run.outcomes)
    assert problems == [
        "group service=api: expected 1 incident(s), got 0",
        "service=db#0: severity is 'critical', expected 'low'",
        "service=db#0: alert Down on db: count is 1",
        "service=db#0: timeline [opened] does not contain, in order, ['opened (quiet)']",
        "command nope: not applied",
    ]


def test_a_bad_input_names_its_place(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("input:\n  - at: 0\n    alert: {service: db}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.yaml: input\[0\]: 'rule'"):
        load_scenario(path)
