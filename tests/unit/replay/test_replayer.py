"""The replay engine: the live pipeline's core on a simulated clock, recorded, never sent."""

from __future__ import annotations

import socket
from pathlib import Path

import orjson
import pytest

from correlator.replay import build_report, report_bytes
from tests.unit.replay.factories import T0, Records, latency_records, load, merged, pack_file, replay
from vigil.replay import live_replayer

SOURCES = ["logs", "metrics", "receipts"]


def report_of(tmp_path: Path, records, **options) -> dict:  # type: ignore[no-untyped-def]
    path = pack_file(tmp_path)
    replayer = replay(load(path), records, **options)
    return build_report(replayer, sources=SOURCES, config=[path.name])


def test_same_records_give_the_same_bytes(tmp_path: Path) -> None:
    records = latency_records()
    first = report_bytes(report_of(tmp_path, records))
    second = report_bytes(report_of(tmp_path, latency_records()))
    assert first == second
    report = orjson.loads(first)
    assert report["vigil_replay"] == 1 and report["complete"] is True
    assert report["range"] == {
        "from": "2026-01-01T00:00:00Z",
        "to": "2026-01-01T00:10:00Z",
        "from_ts": T0,
        "to_ts": T0 + 600,
        "drain_s": 120.0,
        "position_ts": T0 + 600 + 120,
    }
    assert set(report) >= {"range", "sources", "config", "stats", "runs", "diff", "dead_letters", "late"}
    assert set(report["runs"]["current"]) >= {"alerts", "incidents", "notifications", "series"}


def test_a_latency_fault_fires_opens_an_incident_and_pages_dry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a replay must not connect anywhere")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    report = report_of(tmp_path, latency_records(fault=(120.0, 300.0)))
    run = report["runs"]["current"]

    assert [(a["rule"], a["status"]) for a in run["alerts"]] == [
        ("ApiLatencyP95High", "firing"),
        ("ApiLatencyP95High", "resolved"),
    ]
    firing, resolved = run["alerts"]
    assert firing["labels"]["service"] == "advisor-api"
    # The first breaching window ends within 10 s of the fault; `for: 20s` later it fires.
    assert T0 + 120 <= firing["breach_at"] <= T0 + 130
    assert firing["event_ts"] == firing["breach_at"] + 10 + 20
    assert T0 + 300 <= resolved["event_ts"] <= T0 + 300 + 40

    (incident,) = run["incidents"]
    assert incident["group_key"] == "service=advisor-api"
    assert incident["severity"] == "high"
    assert incident["status"] == "resolved"  # resolve_timeout 1m, well inside the drain margin
    assert incident["root_cause"] == "advisor-api"
    assert incident["detected_at"] == firing["starts_at"]
    assert incident["time_to_detect"] == 30.0  # breach → alert: the evaluation window plus `for`
    assert incident["opened_at"] - incident["detected_at"] <= 10  # lateness (5 s) plus a flush tick
    assert incident["resolved_at"] - resolved["event_ts"] >= 60
    assert [e["kind"] for e in incident["timeline"]][0] == "opened"
    assert "resolved" in [e["kind"] for e in incident["timeline"]]
    assert any(e["kind"] == "escalated" and e["actor"] == "vigil" for e in incident["timeline"])

    # Announced after group_wait (10 s) to the route's receiver and escalation level 0; level 1 a minute later;
    # the resolution tells everyone told so far. Keys are counters, so a redelivery would be recognised.
    notes = [
        (n["ts"] - incident["opened_at"], n["receiver"], n["event"], n["level"]) for n in incident["notifications"]
    ]
    assert notes == [
        (10.0, "console", "opened", 0),
        (10.0, "ops-hook", "opened", 0),
        (70.0, "console", "escalated", 1),
        (70.0, "ops-hook", "escalated", 1),
        (180.0, "console", "alert_resolved", 0),
        (240.0, "console", "resolved", 0),
        (240.0, "ops-hook", "resolved", 0),
    ]
    assert incident["notifications"][1]["key"] == f"{incident['id']}/ops-hook/escalation-0-0-0"
    assert incident["resolved_at"] == incident["opened_at"] + 240
    assert [n["incident_id"] for n in run["notifications"]] == [incident["id"]] * len(notes)


def test_the_series_have_one_point_per_evaluated_window(tmp_path: Path) -> None:
    report = report_of(tmp_path, latency_records(fault=(120.0, 300.0)))
    (series,) = report["runs"]["current"]["series"]
    assert (series["rule"], series["service"], series["op"], series["threshold"], series["unit"]) == (
        "ApiLatencyP95High",
        "advisor-api",
        ">",
        0.5,
        "s",
    )
    times = [ts for ts, _ in series["points"]]
    assert times == sorted(set(times)) and all((ts - T0) % 10 == 0 for ts in times)
    assert len(times) == 60  # every 10 s window of the 600 s range
    during = [v for ts, v in series["points"] if T0 + 160 <= ts <= T0 + 290]
    outside = [v for ts, v in series["points"] if ts <= T0 + 110 or ts >= T0 + 340]
    assert min(during) > 1.0 and max(outside) < 0.5


def test_long_ranges_keep_the_worst_point_of_each_bucket(tmp_path: Path) -> None:
    records = latency_records(fault=(120.0, 300.0))
    report = report_of(tmp_path, records, max_points=6)
    (series,) = report["runs"]["current"]["series"]
    assert len(series["points"]) == 6  # 60 windows in buckets of 10
    assert max(v for _, v in series["points"]) > 1.0  # the breach survives thinning


def test_undecodable_records_are_dead_letters_with_their_reason(tmp_path: Path) -> None:
    maker = Records()
    good = latency_records(seconds=60.0, fault=(0.0, 0.0), records=maker)
    bad = [
        maker.make("metrics", T0 + 10.5, None, raw=b"{not json"),
        maker.make("metrics", T0 + 11.5, None, raw=b'{"ts": 1767225611.5, "service": "a", "name": "m", "value": "x"}'),
        maker.make(
            "logs", T0 + 12.5, None, raw=b'{"ts": 1767225612.5, "service": "a", "level": "loud", "message": "m"}'
        ),
    ]
    tombstone = maker.make("receipts", T0 + 13.5, None, raw=b"")
    tombstone = type(tombstone)(tombstone.family, tombstone.partition, tombstone.offset, tombstone.ts, None, None)
    report = report_of(tmp_path, merged(good, [*bad, tombstone]), seconds=60.0)
    assert report["stats"]["dead_lettered"] == 4
    assert report["stats"]["events"] == len(good) + 4
    letters = {(d["topic"], d["field"]): d for d in report["dead_letters"]}
    assert set(letters) == {("metrics", "$"), ("metrics", "$.value"), ("logs", "$.level"), ("receipts", "$")}
    assert letters[("metrics", "$")]["preview"] == "{not json"
    assert letters[("receipts", "$")]["preview"] is None and "tombstone" in letters[("receipts", "$")]["reason"]
    assert all(d["reason"] for d in report["dead_letters"])
    assert letters[("logs", "$.level")]["offset"] == 0 and letters[("logs", "$.level")]["ts"] == T0 + 12.5
    # The valid records around them all counted: the rule saw data in every window.
    assert len(report["runs"]["current"]["series"][0]["points"]) == 6


def test_an_event_for_a_closed_window_is_late_and_reported(tmp_path: Path) -> None:
    maker = Records()
    stream = latency_records(seconds=120.0, fault=(0.0, 0.0), records=maker)
    late_event = {"ts": T0 + 5.0, "service": "advisor-api", "name": "http_request_duration_seconds", "value": 0.1}
    late = maker.make("metrics", T0 + 90.0, late_event, partition=1)  # read at +90 s, an event of +5 s
    report = report_of(tmp_path, merged(stream, [late]), seconds=120.0)
    assert report["stats"]["late"] == 1
    assert report["late"] == [{"topic": "metrics", "service": "advisor-api", "ts": T0, "count": 1}]


def test_stopping_early_reports_incomplete(tmp_path: Path) -> None:
    pack = load(pack_file(tmp_path))
    records = latency_records()
    replayer = live_replayer(pack, from_ts=T0, to_ts=T0 + 600)
    fed = 0

    def stop_after_half() -> bool:
        nonlocal fed
        fed += 1
        return fed > len(records) // 2

    assert replayer.run(records, should_stop=stop_after_half) is False
    assert not replayer.finished
    report = build_report(replayer, sources=SOURCES, config=["pack.yaml"])
    assert report["complete"] is False
    assert report["stats"]["events"] == len(records) // 2
    assert T0 + 290 <= report["range"]["position_ts"] < T0 + 310
    assert report["stats"]["event_seconds"] == report["range"]["position_ts"] - T0
    orjson.loads(report_bytes(report))  # still a whole, readable report


def test_records_outside_the_range_are_ignored(tmp_path: Path) -> None:
    records = latency_records(seconds=120.0, fault=(0.0, 0.0))
    inside = [r for r in records if r.ts < T0 + 60]
    whole = report_of(tmp_path, records, seconds=60.0)
    cut = report_of(tmp_path, inside, seconds=60.0)
    assert whole["stats"]["events"] == len(inside)
    assert report_bytes(whole) == report_bytes(cut)


def test_a_change_before_the_incident_is_a_suspect_and_an_ack_stops_escalation(tmp_path: Path) -> None:
    maker = Records()
    stream = latency_records(fault=(120.0, 400.0), records=maker)
    deploy = {
        "id": "deploy-1",
        "kind": "deploy",
        "service": "advisor-api",
        "version": "1.4.2",
        "author": "bruno@example.com",
        "ts": T0 + 100.0,
        "link": "https://ci.example.com/deploys/1",
    }
    change = maker.make("changes", T0 + 100.0, deploy)
    first = report_of(tmp_path, merged(stream, [change]))
    (incident,) = first["runs"]["current"]["incidents"]
    assert incident["suspects"] and "1.4.2" in incident["suspects"][0]
    escalations = [n for n in incident["notifications"] if n["event"] == "escalated"]
    assert escalations, "unacknowledged, it escalates"

    # Incident ids are a function of the records, so a command recorded for it applies in the replay too.
    ack_at = incident["opened_at"] + 30
    ack = {
        "id": "cmd-ack-1",
        "kind": "ack",
        "domain": incident["domain"],
        "incident_id": incident["id"],
        "actor": "ana@example.com",
        "ts": ack_at,
        "note": "on it",
    }
    second = report_of(tmp_path, merged(stream, [change, maker.make("commands", ack_at, ack)]))
    (acked,) = second["runs"]["current"]["incidents"]
    assert acked["id"] == incident["id"]
    assert acked["acknowledged_by"] == "ana@example.com" and acked["time_to_acknowledge"] is not None
    assert not [n for n in acked["notifications"] if n["event"] == "escalated"]
    assert [c["accepted"] for c in second["runs"]["current"]["commands"]] == [True]


def test_commands_for_unknown_incidents_are_reported_not_applied(tmp_path: Path) -> None:
    maker = Records()
    stream = latency_records(seconds=60.0, fault=(0.0, 0.0), records=maker)
    ack = {
        "id": "cmd-x",
        "kind": "ack",
        "domain": "postgres",
        "incident_id": "inc-000000000000",
        "actor": "ana@example.com",
        "ts": T0 + 30,
    }
    garbage = maker.make("commands", T0 + 31, None, raw=b"[]")
    report = report_of(tmp_path, merged(stream, [maker.make("commands", T0 + 30, ack), garbage]), seconds=60.0)
    (command,) = report["runs"]["current"]["commands"]
    assert command["accepted"] is False and "unknown incident" in command["reason"]
    assert report["stats"]["ignored"] == 1 and report["ignored"][0]["topic"] == "commands"


def test_a_silence_for_every_domain_applies_once_and_mutes_the_incident(tmp_path: Path) -> None:
    maker = Records()
    stream = latency_records(fault=(120.0, 300.0), records=maker)
    silence = {
        "id": "cmd-silence-1",
        "kind": "silence",
        "domain": "*",
        "actor": "ana@example.com",
        "ts": T0 + 60,
        "silence": {
            "matchers": ['service="advisor-api"'],
            "starts_at": T0 + 60,
            "ends_at": T0 + 3600,
            "comment": "load test",
        },
    }
    # The API writes a broadcast to every partition: the replay reads every copy.
    copies = [maker.make("commands", T0 + 60, silence, partition=p) for p in range(3)]
    report = report_of(tmp_path, merged(stream, copies))
    run = report["runs"]["current"]
    assert [(c["id"], c["accepted"]) for c in run["commands"]] == [("cmd-silence-1", True)]
    (incident,) = run["incidents"]
    assert incident["alerts"][0]["silenced_by"] is not None
    assert run["notifications"] == []  # muted: nobody is paged
