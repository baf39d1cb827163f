from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from correlator import EngineConfig, PartialFolder, RuleEngine, SeriesKey, Watermark, default_rules, window_start
from correlator.alerts import fingerprint
from correlator.rules import Aggregation, Comparison, ThresholdRule

T0 = 1_700_000_000.0
API = SeriesKey.of("metrics", "advisor-api", "http_request_duration_seconds", {"status": "200"})


def p95_rule(**kw: object) -> ThresholdRule:
    base: dict[str, object] = dict(
        name="ApiLatencyP95High",
        source="metrics",
        metric="http_request_duration_seconds",
        aggregation=Aggregation.P95,
        comparison=Comparison.GT,
        threshold=0.5,
        window_seconds=30,
        for_seconds=20,
    )
    base.update(kw)
    return ThresholdRule(**base)  # type: ignore[arg-type]


def drive(engine: RuleEngine, seconds: int, slow: tuple[int, int], per_second: int = 20, seed: int = 3) -> list:  # type: ignore[type-arg]
    """Feed `seconds` of traffic one second at a time, as the ingest loop would; collect transitions."""
    rng = random.Random(seed)
    folder = PartialFolder(window_seconds=engine.config.window_seconds)
    out = []
    for sec in range(seconds):
        for i in range(per_second):
            is_slow = slow[0] <= sec < slow[1]
            folder.add(API, T0 + sec + i / per_second, rng.uniform(1.0, 2.0) if is_slow else rng.uniform(0.05, 0.2))
        engine.add_all(folder.drain())
        out.extend(engine.advance())
    return out


def test_sustained_breach_fires_once_after_for_and_resolves() -> None:
    engine = RuleEngine([p95_rule()])
    out = drive(engine, 300, slow=(100, 200))
    assert [t.status for t in out] == ["firing", "resolved"]
    firing, resolved = out
    # First breaching range ends at 110 (p95 of [80,110) is slow); firing 20 s later.
    assert firing.at == T0 + 130
    assert firing.starts_at == T0 + 130
    assert firing.value is not None and firing.value > 1.0
    assert resolved.at == T0 + 230 and resolved.ends_at == T0 + 230
    assert firing.fingerprint == resolved.fingerprint == fingerprint("ApiLatencyP95High", {"service": "advisor-api"})
    assert firing.labels["alertname"] == "ApiLatencyP95High"


def test_breach_shorter_than_for_never_fires() -> None:
    engine = RuleEngine([p95_rule(window_seconds=10, for_seconds=30)])
    assert drive(engine, 200, slow=(100, 115)) == []


def test_late_partial_is_dropped_and_counted() -> None:
    engine = RuleEngine([p95_rule()], EngineConfig(window_seconds=10, allowed_lateness=5))
    drive(engine, 100, slow=(0, 0))
    folder = PartialFolder(window_seconds=10)
    folder.add(API, T0 + 20.0, 9.0)  # window [20,30) closed long ago
    folder.add(API, T0 + 20.5, 9.0)
    late = folder.drain()[0]
    assert engine.add(late) is False
    assert engine.late_events == 2


def test_event_inside_lateness_lands_in_its_window() -> None:
    engine = RuleEngine([p95_rule()], EngineConfig(window_seconds=10, allowed_lateness=5))
    folder = PartialFolder(window_seconds=10)
    folder.add(API, T0 + 0.0, 0.1)
    folder.add(API, T0 + 13.0, 0.1)  # watermark 8: window [0,10) still open
    engine.add_all(folder.drain())
    engine.advance()
    folder.add(API, T0 + 9.0, 0.1)  # late, but within lateness
    partial = folder.drain()[0]
    assert engine.add(partial) is True
    assert engine.shards["advisor-api"].windows[T0][API].count == 2


def test_windows_expire_so_memory_does_not_grow_with_time() -> None:
    engine = RuleEngine([p95_rule()])
    drive(engine, 600, slow=(0, 0))
    assert len(engine.shards["advisor-api"].windows) <= 30 / 10 + 2


@given(st.floats(min_value=0, max_value=1e10, allow_nan=False), st.sampled_from([1.0, 5.0, 10.0, 60.0]))
def test_window_assignment_contains_the_event(ts: float, size: float) -> None:
    start = window_start(ts, size)
    assert start <= ts < start + size
    assert start % size == 0


def test_default_rules_fit_the_base_window() -> None:
    RuleEngine(default_rules(), EngineConfig(window_seconds=10))  # raises if a rule window is not a multiple


def test_catch_up_across_partitions_loses_nothing() -> None:
    """Two sources flushed together, each minutes ahead of the other's partials: nothing is late."""
    engine = RuleEngine([p95_rule()])
    other = SeriesKey.of("metrics", "billing", "http_request_duration_seconds", {"status": "200"})
    fast, slow = PartialFolder(window_seconds=10), PartialFolder(window_seconds=10)
    for sec in range(300):
        fast.add(API, T0 + sec, 0.1)
        slow.add(other, T0 + sec, 0.1)
    low = T0 + 299  # both sources reached 299: that is the low watermark ingest stamps
    engine.add_all(fast.drain(low))
    engine.advance()  # advisor-api's windows close...
    engine.add_all(slow.drain(low))  # ...but billing's arrive afterwards and are still on time
    engine.advance()
    assert engine.late_events == 0


def test_silent_service_still_resolves_on_watermark_alone() -> None:
    engine = RuleEngine([p95_rule()])
    out = drive(engine, 200, slow=(100, 200))
    assert [t.status for t in out] == ["firing"]
    engine.add(Watermark("advisor-api", T0 + 400))  # no data, but event time moved on
    assert [t.status for t in engine.advance()] == ["resolved"]


def test_a_flush_split_across_agent_batches_loses_nothing() -> None:
    """The agent takes partials in batches and advances between them; the watermark comes last."""
    engine = RuleEngine([p95_rule()])
    folder = PartialFolder(window_seconds=10)
    for sec in range(300):
        folder.add(API, T0 + sec, 0.1)
    flushed = folder.drain()
    newest_first = sorted(flushed[:-1], key=lambda p: -p.window_start) + flushed[-1:]  # type: ignore[union-attr]
    for item in newest_first:
        engine.add(item)
        engine.advance()
    assert engine.late_events == 0
    assert engine.shards["advisor-api"].evaluated_until == T0 + 290
