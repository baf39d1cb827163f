"""The SLA board's tiles and colours, read from an engine."""

from __future__ import annotations

from streams.dashboard import SeriesId, SliHistory, read_engine, series_info, sla_board
from tests.unit.dashboard.fixtures import engine


def _tile(board, name):
    return next(t for t in board["slos"] if t["name"] == name)


def test_slo_tile_values_and_an_empty_tile_for_an_slo_without_data():
    board = sla_board(engine(short_rate=0.2, budget=0.9), SliHistory(), 1000.0)
    tile = _tile(board, "api-latency")
    assert tile["service"] == "advisor-api" and tile["objective"] == 0.95
    assert abs(tile["value"] - 0.99) < 1e-9  # burn 0.2 × budget 5 % = 1 % bad over the last 10 s
    assert abs(tile["period_value"] - 0.995) < 1e-9 and tile["budget_remaining"] == 0.9
    assert tile["status"] == "ok" and tile["window"] == "10s" and tile["period"] == "6h"
    assert _tile(board, "uptime")["status"] == "no_data"
    [rule] = board["rules"]
    assert rule["name"] == "ApiLatencyP95High" and rule["value"] == 0.3 and rule["format"] == "seconds"


def test_colours_follow_burn_alerts_not_the_spent_budget():
    assert _tile(sla_board(engine(sustained_rate=1.5), SliHistory(), 0), "api-latency")["status"] == "burning"
    # a 10-second spike alone is noise, not a colour
    assert _tile(sla_board(engine(short_rate=3.0), SliHistory(), 0), "api-latency")["status"] == "ok"
    assert _tile(sla_board(engine(firing="api-latency:burn3x"), SliHistory(), 0), "api-latency")["status"] == "burning"
    assert _tile(sla_board(engine(firing="api-latency:burn6x"), SliHistory(), 0), "api-latency")["status"] == "breached"
    # the fault is over: overspent, but nothing burns any more → green again
    assert _tile(sla_board(engine(budget=-2.0, short_rate=0.0), SliHistory(), 0), "api-latency")["status"] == "ok"
    firing_rule = sla_board(engine(p95=1.5, firing="ApiLatencyP95High"), SliHistory(), 0)["rules"][0]
    assert firing_rule["status"] == "breached"


def test_sparklines_come_from_the_history_of_the_last_hour():
    e = engine()
    history = SliHistory()
    for i in range(400):
        history.record(10.0 * i, read_engine(e))
    board = sla_board(e, history, 4000.0)
    spark = _tile(board, "api-latency")["spark"]
    assert len(spark) <= 120 and spark[0][0] >= 400.0 and spark[-1][0] == 3990.0


def test_series_info():
    e = engine()
    assert series_info(e, SeriesId("rule", "ApiLatencyP95High", "advisor-api"))["threshold"] == 0.5
    assert series_info(e, SeriesId("slo", "api-latency", "advisor-api"))["threshold"] == 0.95
    assert series_info(e, SeriesId("rule", "nope", "advisor-api")) is None
