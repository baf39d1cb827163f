"""A shard saved and restored mid-stream carries on exactly as if nothing happened."""

from __future__ import annotations

import random

import orjson

from correlator import PartialFolder, RuleEngine, RulePack, SeriesKey
from correlator.rules import AbsenceRule, Aggregation, Comparison, Matcher, ThresholdRule
from correlator.slo import SliSpec, Slo
from correlator.state import shard_from_wire, shard_to_wire

T0 = 1_700_000_000.0
OK = SeriesKey.of("metrics", "advisor-api", "http_request_duration_seconds", {"status": "200"})
ERR = SeriesKey.of("metrics", "advisor-api", "http_request_duration_seconds", {"status": "503"})


def pack() -> RulePack:
    p95 = ThresholdRule(
        name="ApiLatencyP95High",
        source="metrics",
        metric="http_request_duration_seconds",
        aggregation=Aggregation.P95,
        comparison=Comparison.GT,
        threshold=0.5,
        window_seconds=30,
        for_seconds=20,
        keep_firing_for_seconds=10,
    )
    sli = SliSpec(source="metrics", metric="http_request_duration_seconds", bad=(Matcher.parse('status=~"5.."'),))
    slo = Slo(name="api-availability", objective=0.99, sli=sli, period_seconds=6 * 3600)
    silent = AbsenceRule(name="Silent", source="metrics", metric="http_request_duration_seconds", for_seconds=30)
    return RulePack(rules=(p95,), slos=(slo,), absence=(silent,))


def feed(engine: RuleEngine, seconds: range, position: list[int]) -> list[tuple[str, str, float]]:
    rng = random.Random(seconds.start)
    folder = PartialFolder(window_seconds=10)
    out = []
    for sec in seconds:
        slow = 100 <= sec < 200
        for i in range(20):
            series = ERR if slow and i < 4 else OK
            folder.add(series, T0 + sec + i / 20, rng.uniform(1, 2) if slow else rng.uniform(0.05, 0.2))
        for item in folder.drain():
            position[0] += 1
            engine.add(item, position[0])
        out.extend((t.rule, t.status, t.at) for t in engine.advance())
        out.extend((t.rule, t.status, t.at) for t in engine.tick(T0 + sec))
    return out


def test_restored_shard_continues_identically() -> None:
    straight = RuleEngine(pack())
    expected = feed(straight, range(0, 400), [0])

    first = RuleEngine(pack())
    position = [0]
    got = feed(first, range(0, 150), position)  # stop in the middle of the breach
    saved = orjson.dumps(shard_to_wire(first.shards["advisor-api"]))  # what goes to the table

    second = RuleEngine(pack())
    second.restore = lambda service: shard_from_wire(second, orjson.loads(saved)) if service == "advisor-api" else None
    second.now = first.now
    got += feed(second, range(150, 400), position)
    assert got == expected
    assert any(status == "firing" for _, status, _ in expected)


def test_items_replayed_after_a_restart_are_not_counted_twice() -> None:
    engine = RuleEngine(pack())
    folder = PartialFolder(window_seconds=10)
    folder.add(OK, T0, 0.1)
    items = folder.drain()
    for position, item in enumerate(items):
        engine.add(item, position)
    for position, item in enumerate(items):  # the same offsets again
        engine.add(item, position)
    assert engine.shards["advisor-api"].windows[T0][OK].count == 1
