"""What `make run` promises on the board: the demo fault turns a tile red, opens an incident, and the tile
goes green again (and stays green) once it is over.

The demo's own traffic and pack run through the pure replay core in simulated time (about a second of
CPU for eight minutes of traffic), and the board is read from its engine every five simulated seconds, as
the page would see it. The live path runs the same fold and engine (replay equals live by construction).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from correlator.config import load_packs
from schemas import IncidentEventType, IncidentStatus
from streams.dashboard import SliHistory, sla_board
from vigil.demo.traffic import DEFAULT_FAULTS, PlatformTraffic
from vigil.replay import live_replayer, records_from_events

START = 1_700_000_000.0
SEED = 7  # the demo producer's default: the traffic `make run` shows
SECONDS = 480.0
SAMPLE = 5.0
DEMO_PACK = Path(__file__).resolve().parents[3] / "packs" / "demo.yaml"
[FAULT] = DEFAULT_FAULTS
FAULT_START = START + FAULT.start_offset_s
FAULT_END = FAULT_START + FAULT.duration_s

Timeline = list[tuple[float, dict[str, str]]]  # (offset from start, tile name@service → status)


@pytest.fixture(scope="module")
def story() -> tuple[Timeline, list]:
    replayer = live_replayer(load_packs([DEMO_PACK]), from_ts=START, to_ts=START + SECONDS)
    events = PlatformTraffic(seed=SEED, start=START).events(START, START + SECONDS)
    timeline: Timeline = []
    next_sample = START + SAMPLE
    for record in records_from_events(events):
        while record.ts >= next_sample:
            board = sla_board(replayer.engine, SliHistory(), replayer.now)
            tiles = {f"{t['name']}@{t['service']}": t["status"] for t in board["slos"] + board["rules"]}
            timeline.append((next_sample - START, tiles))
            next_sample += SAMPLE
        replayer.feed(record)
    replayer.finish()
    return timeline, replayer.events


def _statuses(timeline: Timeline, tile: str, since: float, until: float) -> set[str]:
    return {tiles.get(tile, "absent") for t, tiles in timeline if since <= t < until}


def test_every_tile_is_green_before_the_fault(story: tuple[Timeline, list]) -> None:
    timeline, _ = story
    before = [tiles for t, tiles in timeline if 20 <= t < FAULT.start_offset_s]
    assert before, "no board sampled before the fault"
    for tiles in before:
        assert {status for status in tiles.values()} <= {"ok", "no_data"}, tiles


def test_the_api_latency_tile_turns_red_during_the_fault(story: tuple[Timeline, list]) -> None:
    timeline, _ = story
    during = _statuses(timeline, "api-latency@advisor-api", FAULT.start_offset_s, FAULT.start_offset_s + 120)
    assert "breached" in during


def test_an_incident_opens_during_the_fault_and_resolves_after_it(story: tuple[Timeline, list]) -> None:
    _, events = story
    opened = [e for e in events if e.event == IncidentEventType.OPENED]
    assert len(opened) == 1
    assert FAULT_START <= opened[0].ts < FAULT_END
    resolved = [e for e in events if e.incident.status == IncidentStatus.RESOLVED]
    assert resolved and resolved[0].ts > FAULT_END


def test_every_tile_is_green_again_before_the_incident_resolves_and_stays_green(
    story: tuple[Timeline, list],
) -> None:
    timeline, events = story
    resolved_at = next(e.ts for e in events if e.incident.status == IncidentStatus.RESOLVED) - START
    after = [(t, tiles) for t, tiles in timeline if t >= resolved_at]
    assert after, "the story ended before the incident resolved"
    for t, tiles in after:
        assert {status for status in tiles.values()} <= {"ok", "no_data"}, (t, tiles)
