"""What-if: the same records under two configs, and what differs."""

from __future__ import annotations

from pathlib import Path

from correlator.replay import build_report, report_bytes
from tests.unit.replay.factories import T0, latency_records, load, pack_file
from vigil.replay import live_replayer


def what_if(tmp_path: Path, records, *, current: float, alternative: float) -> dict:  # type: ignore[no-untyped-def]
    paths = [pack_file(tmp_path, threshold=t, name=f"p{i}.yaml") for i, t in enumerate((current, alternative))]
    runs = [live_replayer(load(p), from_ts=T0, to_ts=T0 + 600) for p in paths]
    for record in records:
        for run in runs:
            run.feed(record)
    for run in runs:
        run.finish()
    return build_report(
        runs[0], runs[1], sources=["metrics"], config=[paths[0].name], alternative_config=[paths[1].name]
    )


def test_a_stricter_threshold_opens_an_incident_the_current_one_does_not(tmp_path: Path) -> None:
    records = latency_records(fault=(120.0, 300.0), slow_p95=0.4)  # slow, but under 0.5 s
    report = what_if(tmp_path, records, current=0.5, alternative=0.3)
    assert report["config"] == {"current": ["p0.yaml"], "alternative": ["p1.yaml"]}
    assert report["runs"]["current"]["incidents"] == []
    (incident,) = report["runs"]["alternative"]["incidents"]
    diff = report["diff"]
    assert diff["only_current"] == [] and diff["both"] == []
    (only,) = diff["only_alternative"]
    assert only["id"] == incident["id"] and only["services"] == ["advisor-api"]
    assert diff["notifications_saved"] == -len(report["runs"]["alternative"]["notifications"]) < 0
    assert diff["alerts"] == {"current": 0, "alternative": 1}
    # Each run's series carries its own threshold.
    assert report["runs"]["current"]["series"][0]["threshold"] == 0.5
    assert report["runs"]["alternative"]["series"][0]["threshold"] == 0.3


def test_a_stricter_threshold_detects_a_creeping_fault_earlier(tmp_path: Path) -> None:
    # P95 ≈ 0.4 s for a minute, then 1.5 s: 0.3 s catches the first minute, 0.5 s only the second part.
    records = latency_records(faults=[(120.0, 180.0, 0.4), (180.0, 300.0, 1.5)])
    report = what_if(tmp_path, records, current=0.5, alternative=0.3)
    current, alternative = report["runs"]["current"], report["runs"]["alternative"]
    (mine,), (theirs,) = current["incidents"], alternative["incidents"]
    (both,) = report["diff"]["both"]
    assert both["current"] == mine["id"] and both["alternative"] == theirs["id"]
    assert both["detect_delta_s"] == theirs["detected_at"] - mine["detected_at"] == -60.0
    assert report["diff"]["only_current"] == report["diff"]["only_alternative"] == []


def test_what_if_reports_are_deterministic_too(tmp_path: Path) -> None:
    records = latency_records(fault=(120.0, 300.0), slow_p95=0.4)
    first = report_bytes(what_if(tmp_path, records, current=0.5, alternative=0.3))
    assert first == report_bytes(
        what_if(tmp_path, latency_records(fault=(120.0, 300.0), slow_p95=0.4), current=0.5, alternative=0.3)
    )
