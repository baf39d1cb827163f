from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from correlator import (
    EvaluationSettings,
    PartialFolder,
    RuleEngine,
    RulePack,
    SeriesKey,
    Watermark,
    default_rules,
    window_start,
)
from correlator.alerts import fingerprint
from correlator.rules import AbsenceRule, Aggregation, Comparison, Matcher, ThresholdRule
from correlator.slo import SliSpec, Slo

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
    folder = PartialFolder(window_seconds=engine.settings.window_seconds)
    out = []
    for sec in range(seconds):
        for i in range(per_second):
            is_slow = slow[0] <= sec < slow[1]
            folder.add(API, T0 + sec + i / per_second, rng.uniform(1.0, 2.0) if is_slow else rng.uniform(0.05, 0.2))
        engine.add_all(folder.drain())
        out.extend(engine.advance())
    return out


def test_sustained_breach_fires_once_after_for_and_resolves() -> None:
    engine = RuleEngine(RulePack(rules=(p95_rule(),)))
    out = [t for t in drive(engine, 300, slow=(100, 200)) if not t.refresh]
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
    engine = RuleEngine(RulePack(rules=(p95_rule(window_seconds=10, for_seconds=30),)))
    assert drive(engine, 200, slow=(100, 115)) == []


def test_late_partial_is_dropped_and_counted() -> None:
    engine = RuleEngine(
        RulePack(rules=(p95_rule(),), settings=EvaluationSettings(window_seconds=10, allowed_lateness=5))
    )
    drive(engine, 100, slow=(0, 0))
    folder = PartialFolder(window_seconds=10)
    folder.add(API, T0 + 20.0, 9.0)  # window [20,30) closed long ago
    folder.add(API, T0 + 20.5, 9.0)
    late = folder.drain()[0]
    assert engine.add(late) is False
    assert engine.late_events == 2


def test_event_inside_lateness_lands_in_its_window() -> None:
    engine = RuleEngine(
        RulePack(rules=(p95_rule(),), settings=EvaluationSettings(window_seconds=10, allowed_lateness=5))
    )
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
    engine = RuleEngine(RulePack(rules=(p95_rule(),)))
    drive(engine, 600, slow=(0, 0))
    assert len(engine.shards["advisor-api"].windows) <= 30 / 10 + 2


@given(st.floats(min_value=0, max_value=1e10, allow_nan=False), st.sampled_from([1.0, 5.0, 10.0, 60.0]))
def test_window_assignment_contains_the_event(ts: float, size: float) -> None:
    start = window_start(ts, size)
    assert start <= ts < start + size
    assert start % size == 0


def test_default_rules_fit_the_base_window() -> None:
    RuleEngine(RulePack(rules=tuple(default_rules())))  # raises if a rule window is not a multiple


def test_catch_up_across_partitions_loses_nothing() -> None:
    """Two sources flushed together, each minutes ahead of the other's partials: nothing is late."""
    engine = RuleEngine(RulePack(rules=(p95_rule(),)))
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
    engine = RuleEngine(RulePack(rules=(p95_rule(),)))
    out = [t for t in drive(engine, 200, slow=(100, 200)) if not t.refresh]
    assert [t.status for t in out] == ["firing"]
    engine.add(Watermark("advisor-api", T0 + 400))  # no data, but event time moved on
    assert [t.status for t in engine.advance()] == ["resolved"]


def test_a_flush_split_across_agent_batches_loses_nothing() -> None:
    """The agent takes partials in batches and advances between them; the watermark comes last."""
    engine = RuleEngine(RulePack(rules=(p95_rule(),)))
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


def test_firing_alert_is_refreshed_every_refresh_interval() -> None:
    engine = RuleEngine(RulePack(rules=(p95_rule(),), settings=EvaluationSettings(refresh_seconds=30)))
    out = drive(engine, 300, slow=(100, 200))
    refreshes = [t.at - T0 for t in out if t.refresh]
    assert refreshes == [160, 190, 220]  # fired at 130, resolved at 230
    assert all(t.status == "firing" for t in out if t.refresh)


def test_keep_firing_for_bridges_a_short_dip() -> None:
    rule = p95_rule(window_seconds=10, for_seconds=10, keep_firing_for_seconds=30)
    engine = RuleEngine(RulePack(rules=(rule,)))
    rng = random.Random(5)
    folder = PartialFolder(window_seconds=10)
    out = []
    for sec in range(300):
        slow = 50 <= sec < 150 and not (90 <= sec < 105)  # a 15 s dip in the middle of the breach
        for i in range(20):
            folder.add(API, T0 + sec + i / 20, rng.uniform(1.0, 2.0) if slow else 0.1)
        engine.add_all(folder.drain())
        out.extend(t for t in engine.advance() if not t.refresh)
    assert [t.status for t in out] == ["firing", "resolved"]
    assert out[1].at == T0 + 160 + 30  # first clean window ends at 160; kept firing 30 s more


def test_tumbling_rule_evaluates_once_per_window() -> None:
    count_rule = ThresholdRule(
        name="Busy",
        source="metrics",
        metric="http_request_duration_seconds",
        aggregation=Aggregation.COUNT,
        comparison=Comparison.GT,
        threshold=0,
        window_seconds=60,
        every_seconds=60,
    )
    engine = RuleEngine(RulePack(rules=(count_rule,)))
    drive(engine, 300, slow=(0, 0))
    evaluated_at = sorted(k for k in engine.shards["advisor-api"].rule_values)
    assert len(evaluated_at) == 1  # one group
    # Hopping by the base window would have evaluated 29 times; tumbling by 60 s does 4 times.
    hopping = RuleEngine(RulePack(rules=(count_rule.__class__(**{**_fields(count_rule), "every_seconds": None}),)))
    assert _evaluations(engine, 300) < _evaluations(hopping, 300)


def _fields(rule: ThresholdRule) -> dict[str, object]:
    return {f: getattr(rule, f) for f in rule.__dataclass_fields__}


def _evaluations(engine: RuleEngine, seconds: int) -> int:
    """How many times rule values were (re)computed while driving `seconds` of traffic."""
    calls = 0
    shard_cls = type(engine.shard("advisor-api"))
    original = shard_cls._evaluate_rule

    def counting(self, *args):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original(self, *args)

    shard_cls._evaluate_rule = counting  # type: ignore[method-assign]
    try:
        drive(engine, seconds, slow=(0, 0))
    finally:
        shard_cls._evaluate_rule = original  # type: ignore[method-assign]
    return calls


def test_absence_fires_on_wall_clock_silence_and_resolves_on_data() -> None:
    silent = AbsenceRule(name="NoData", source="metrics", metric="http_request_duration_seconds", for_seconds=60)
    engine = RuleEngine(RulePack(absence=(silent,)))
    engine.tick(1000.0)
    folder = PartialFolder(window_seconds=10)
    folder.add(API, T0, 0.1)
    engine.add_all(folder.drain())
    assert engine.tick(1030.0) == []
    (fired,) = engine.tick(1061.0)
    assert (fired.status, fired.rule, fired.labels["service"]) == ("firing", "NoData", "advisor-api")
    folder.add(API, T0 + 1, 0.1)
    engine.add_all(folder.drain())  # data again
    (resolved,) = engine.tick(1062.0)
    assert resolved.status == "resolved"


def _slo_pack(period: float = 6 * 3600) -> RulePack:
    sli = SliSpec(source="metrics", metric="http_request_duration_seconds", bad=(Matcher.parse('status=~"5.."'),))
    return RulePack(slos=(Slo(name="api-availability", objective=0.999, sli=sli, period_seconds=period),))


def drive_errors(engine: RuleEngine, seconds: int, bad: tuple[int, int], ratio: float) -> list:  # type: ignore[type-arg]
    ok = SeriesKey.of("metrics", "advisor-api", "http_request_duration_seconds", {"status": "200"})
    err = SeriesKey.of("metrics", "advisor-api", "http_request_duration_seconds", {"status": "503"})
    folder = PartialFolder(window_seconds=10)
    out = []
    for sec in range(seconds):
        errors = round(100 * ratio) if bad[0] <= sec < bad[1] else 0
        for i in range(100):
            folder.add(err if i < errors else ok, T0 + sec + i / 100, 0.1)
        engine.add_all(folder.drain())
        out.extend(t for t in engine.advance() if not t.refresh)
    return out


def test_sustained_error_burst_pages_through_burn_rate() -> None:
    engine = RuleEngine(_slo_pack())
    out = drive_errors(engine, 900, bad=(100, 500), ratio=0.05)  # 50× the 0.1 % budget for 400 s
    fired = {t.rule for t in out if t.status == "firing"}
    assert "api-availability:burn14.4x" in fired
    page = next(t for t in out if t.rule == "api-availability:burn14.4x")
    assert page.severity == "critical" and page.labels["slo"] == "api-availability"
    assert page.value is not None and page.value > 14.4
    status = engine.shards["advisor-api"].slo_status[("api-availability", (("service", "advisor-api"),))]
    assert status.budget_remaining is not None and status.budget_remaining < 0  # 6 h budget overspent


def test_twenty_second_blip_does_not_page() -> None:
    engine = RuleEngine(_slo_pack(period=30 * 86400))
    out = drive_errors(engine, 900, bad=(300, 320), ratio=0.05)
    pages = [t for t in out if t.status == "firing" and t.severity in ("critical", "high")]
    assert pages == []
    # With only 15 minutes of history the 3-day window is mostly this blip: a ticket is fair.
    assert {t.severity for t in out if t.status == "firing"} <= {"medium"}


def test_burn_windows_scale_with_the_period() -> None:
    (_, pack) = (None, _slo_pack(period=30 * 86400))
    fast = pack.slos[0].burn_alerts(10.0)[0]
    assert (fast.factor, fast.long_seconds, fast.short_seconds) == (14.4, 3600.0, 300.0)
    short = _slo_pack(period=6 * 3600).slos[0].burn_alerts(10.0)[0]
    assert (short.long_seconds, short.short_seconds) == (30.0, 10.0)  # 1 h × 6/720 = 30 s; 2.5 s → one window
