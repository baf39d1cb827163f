"""Every worker's share of the board: merged tiles, sparklines from the shared history, stale workers dropped."""

from __future__ import annotations

import orjson
import pytest

from correlator.engine import SloStatus
from streams.dashboard import SeriesId, SliHistory, sla_board
from streams.dashboard.shared import BoardShare, snapshot, tile_readings
from tests.unit.dashboard.fixtures import engine

PG = (("service", "postgres"),)
SLOS = ["api-latency", "uptime"]
RULES = ["ApiLatencyP95High"]


def postgres_engine(short_rate: float = 0.0):
    """A second worker's engine: it owns postgres (uptime) and not advisor-api."""
    e = engine()
    del e.shards["advisor-api"]
    e.shard("postgres").slo_status[("uptime", PG)] = SloStatus(budget_remaining=1.0, burn_rates={"10s": short_rate})
    return e


def board_of(e, now: float) -> dict:
    return sla_board(e, SliHistory(), now)


def test_a_board_shows_every_live_workers_tiles_in_pack_order_with_their_sparklines() -> None:
    history = SliHistory()
    share = BoardShare(history, worker="a:6066")
    for i in range(3):  # b's last three samples, as the feed reads them off the topic
        share.add(orjson.loads(orjson.dumps(snapshot("b:6067", board_of(postgres_engine(0.5 * i), 1000.0 + 10 * i)))))
    own = board_of(engine(), 1020.0)
    assert [t["status"] for t in own["slos"] if t["name"] == "uptime"] == ["no_data"]

    merged = share.merged(own, 1025.0, slo_order=SLOS, rule_order=RULES)

    assert [(t["name"], t["service"]) for t in merged["slos"]] == [
        ("api-latency", "advisor-api"),
        ("uptime", "postgres"),
    ]
    uptime = merged["slos"][1]
    assert uptime["status"] == "ok"
    assert [p[0] for p in uptime["spark"]] == [1000.0, 1010.0, 1020.0]
    assert uptime["spark"][-1][1] == pytest.approx(1 - 1.0 * 0.01)  # burn 1.0 x budget 1 %
    assert merged["workers"] == ["a:6066", "b:6067"]
    assert [t["name"] for t in merged["rules"]] == ["ApiLatencyP95High"]  # only a has rule values


def test_a_worker_that_stopped_publishing_drops_off() -> None:
    share = BoardShare(SliHistory(), worker="a:6066", stale_after=35.0)
    share.add(snapshot("b:6067", board_of(postgres_engine(), 1000.0)))
    own = board_of(engine(), 1030.0)
    assert share.workers(1030.0) == ["b:6067"]
    assert share.workers(1036.0) == []
    merged = share.merged(own, 1036.0, slo_order=SLOS, rule_order=RULES)
    assert [(t["name"], t["status"]) for t in merged["slos"]] == [("api-latency", "ok"), ("uptime", "no_data")]


def test_own_tiles_come_from_the_engine_and_own_samples_from_before_a_restart_refill_the_history() -> None:
    history = SliHistory()
    share = BoardShare(history, worker="a:6066")
    for i in range(5):  # what this worker published before it restarted
        share.add(snapshot("a:6066", board_of(engine(p95=0.1 * i), 1000.0 + 10 * i)))
    rule = SeriesId("rule", "ApiLatencyP95High", "advisor-api")
    assert [v for _, v in history.points(rule)] == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    own = sla_board(engine(p95=0.9), history, 1050.0)
    merged = share.merged(own, 1050.0, slo_order=SLOS, rule_order=RULES)
    assert [t["value"] for t in merged["rules"]] == [0.9]  # once, and fresh
    assert merged["workers"] == ["a:6066"]


def test_an_older_snapshot_does_not_replace_a_newer_one() -> None:
    share = BoardShare(SliHistory(), worker="a:6066")
    share.add(snapshot("b:6067", board_of(postgres_engine(0.0), 1010.0)))
    share.add(snapshot("b:6067", board_of(postgres_engine(5.0), 1000.0)))
    merged = share.merged(board_of(engine(), 1015.0), 1015.0, slo_order=SLOS, rule_order=RULES)
    assert next(t for t in merged["slos"] if t["name"] == "uptime")["value"] == 1.0


def test_snapshots_leave_sparklines_out_and_readings_skip_tiles_without_values() -> None:
    board = board_of(engine(), 1000.0)
    snap = snapshot("a:6066", board)
    assert all("spark" not in t for t in snap["slos"] + snap["rules"]) and snap["ts"] == 1000.0
    readings = tile_readings(snap["slos"] + snap["rules"])
    assert set(readings) == {
        SeriesId("slo", "api-latency", "advisor-api"),
        SeriesId("rule", "ApiLatencyP95High", "advisor-api"),
    }


@pytest.mark.parametrize(
    "bad",
    [{}, {"worker": "b", "ts": "soon", "slos": [], "rules": []}, {"worker": "b", "ts": 1.0, "slos": []}, []],
)
def test_what_is_not_a_snapshot_is_refused(bad) -> None:
    with pytest.raises(ValueError, match="not a board snapshot"):
        BoardShare(SliHistory(), worker="a").add(bad)
