from hypothesis import given
from hypothesis import strategies as st

from correlator.watermarks import LowWatermark


def test_slowest_active_partition_holds_the_watermark() -> None:
    wm = LowWatermark(idle_seconds=10)
    wm.observe(0, 500.0, now=0)
    wm.observe(1, 200.0, now=0)
    assert wm.value(now=1) == 200.0
    wm.observe(1, 450.0, now=2)
    assert wm.value(now=3) == 450.0


def test_idle_partition_stops_holding_it_back() -> None:
    wm = LowWatermark(idle_seconds=10)
    wm.observe(0, 100.0, now=0)
    wm.observe(1, 50.0, now=0)
    wm.observe(0, 300.0, now=11)
    assert wm.value(now=11) == 300.0  # partition 1 silent for 11 s
    wm.observe(1, 60.0, now=12)  # it speaks again: it counts again
    assert wm.value(now=12) == 60.0


def test_everything_idle_falls_back_to_the_newest() -> None:
    wm = LowWatermark(idle_seconds=5)
    assert wm.value(now=0) is None
    wm.observe("a", 10.0, now=0)
    wm.observe("b", 20.0, now=0)
    assert wm.value(now=100) == 20.0
    wm.forget("b")
    assert wm.value(now=100) == 10.0


@given(st.lists(st.tuples(st.integers(0, 3), st.floats(0, 1e6)), min_size=1))
def test_never_ahead_of_any_active_partition(observations: list[tuple[int, float]]) -> None:
    wm = LowWatermark(idle_seconds=1e9)
    newest: dict[int, float] = {}
    for partition, ts in observations:
        wm.observe(partition, ts, now=0)
        newest[partition] = max(ts, newest.get(partition, ts))
    assert wm.value(now=0) == min(newest.values())
