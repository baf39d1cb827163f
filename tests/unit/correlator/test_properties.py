"""The engine against exact computation on random data: ratios, window contents, lateness."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from correlator import EvaluationSettings, PartialFolder, RuleEngine, RulePack, SeriesKey, Watermark
from correlator.rules import Aggregation, Comparison, Matcher, ThresholdRule, aggregate_value
from correlator.series import Aggregate
from correlator.slo import SloCounter

T0 = 1_700_000_000.0
STATUSES = ["200", "201", "404", "500", "503"]


@settings(max_examples=200)
@given(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=500))
def test_error_ratio_is_exact(statuses: list[str]) -> None:
    rule = ThresholdRule(
        name="r",
        source="metrics",
        metric="m",
        aggregation=Aggregation.ERROR_RATIO,
        comparison=Comparison.GT,
        threshold=0.5,
        window_seconds=10,
        numerator=(Matcher.parse('status=~"5.."'),),
    )
    parts: dict[SeriesKey, Aggregate] = {}
    for status in statuses:
        parts.setdefault(SeriesKey.of("metrics", "api", "m", {"status": status}), Aggregate()).add(0.1)
    exact = sum(1 for s in statuses if s.startswith("5")) / len(statuses)
    assert aggregate_value(rule, list(parts.items()), 10) == exact


events = st.lists(
    st.tuples(st.floats(min_value=0, max_value=300, allow_nan=False), st.floats(min_value=0.001, max_value=10)),
    min_size=1,
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(events, st.sampled_from([0.0, 2.0, 5.0, 15.0]))
def test_lateness_matches_an_exact_model(arrivals: list[tuple[float, float]], lateness: float) -> None:
    """Events arrive one by one in any order; each is late exactly when its window had closed already."""
    size = 10.0
    rule = ThresholdRule(
        name="r",
        source="metrics",
        metric="m",
        aggregation=Aggregation.COUNT,
        comparison=Comparison.GT,
        threshold=1e9,
        window_seconds=size,
    )
    engine = RuleEngine(
        RulePack(rules=(rule,), settings=EvaluationSettings(window_seconds=size, allowed_lateness=lateness))
    )
    series = SeriesKey.of("metrics", "api", "m", {})
    folder = PartialFolder(window_seconds=size)

    newest = -math.inf
    closed_until: float | None = None  # the model: end of the newest closed window
    expected_late = 0
    expected_counts: dict[float, int] = {}
    for offset, value in arrivals:
        ts = T0 + offset
        start = math.floor(ts / size) * size
        if closed_until is not None and start < closed_until:
            expected_late += 1
        else:
            expected_counts[start] = expected_counts.get(start, 0) + 1
        newest = max(newest, ts)
        if closed_until is None:
            closed_until = start
        closed_until = max(closed_until, math.floor((newest - lateness) / size) * size)

        folder.add(series, ts, value)
        for item in folder.drain(newest):
            engine.add(item)
        engine.advance()

    assert engine.late_events == expected_late
    shard = engine.shards["api"]
    kept = {start: window[series].count for start, window in shard.windows.items() if series in window}
    for start, count in kept.items():  # windows not yet expired hold exactly the on-time events
        assert count == expected_counts[start]


@given(st.lists(st.floats(min_value=0, max_value=300, allow_nan=False), min_size=1, max_size=100))
def test_in_order_events_are_never_late(offsets: list[float]) -> None:
    engine = RuleEngine(RulePack(settings=EvaluationSettings(window_seconds=10, allowed_lateness=0)))
    series = SeriesKey.of("metrics", "api", "m", {})
    folder = PartialFolder(window_seconds=10)
    for offset in sorted(offsets):
        folder.add(series, T0 + offset, 1.0)
        engine.add_all(folder.drain())
        engine.add(Watermark("api", T0 + offset))
        engine.advance()
    assert engine.late_events == 0


@given(
    st.lists(st.tuples(st.integers(0, 500), st.integers(0, 50), st.integers(0, 50)), max_size=100),
    st.lists(st.sampled_from([10.0, 60.0, 300.0, 1000.0, 5000.0]), min_size=1, max_size=5),
)
def test_slo_bad_ratios_in_one_pass_equal_the_definition(
    buckets: list[tuple[int, int, int]], windows: list[float]
) -> None:
    counter = SloCounter(bucket_seconds=10, retention_seconds=1e9)
    for slot, good, extra in buckets:
        counter.add(slot * 10.0, float(good), float(good + extra))
    end = 5010.0
    got = counter.bad_ratios(end, windows)
    for seconds in windows:
        inside = [(g, t) for s, (g, t) in counter.buckets.items() if end - seconds <= s < end]
        total = sum(t for _, t in inside)
        expected = None if total == 0 else (total - sum(g for g, _ in inside)) / total
        assert got[seconds] == expected or math.isclose(got[seconds] or 0, expected or 0, rel_tol=1e-12)
