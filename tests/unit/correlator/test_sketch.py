import math

from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.series import Aggregate
from correlator.sketch import RELATIVE_ACCURACY, count_at_most, new_sketch, sketch_from_bytes, sketch_to_bytes

positive = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False)


def exact_quantile(values: list[float], q: float) -> float:
    """The value at rank q·(n-1), rounded down: the rank DDSketch promises to approximate."""
    return sorted(values)[math.floor(q * (len(values) - 1))]


@settings(max_examples=300)
@given(st.lists(positive, min_size=1, max_size=2000), st.sampled_from([0.5, 0.9, 0.95, 0.99]))
def test_quantile_within_relative_error_of_exact(values: list[float], q: float) -> None:
    sketch = new_sketch()
    for v in values:
        sketch.add(v)
    exact = exact_quantile(values, q)
    assert abs(sketch.get_quantile_value(q) - exact) <= RELATIVE_ACCURACY * exact * (1 + 1e-9)


@settings(max_examples=100)
@given(st.lists(positive, min_size=1, max_size=500), st.lists(positive, min_size=1, max_size=500))
def test_merged_windows_give_the_p95_of_the_union(a: list[float], b: list[float]) -> None:
    left, right = Aggregate(), Aggregate()
    for v in a:
        left.add(v)
    for v in b:
        right.add(v)
    left.merge(right)
    exact = exact_quantile(a + b, 0.95)
    estimate = left.quantile(0.95)
    assert estimate is not None
    assert abs(estimate - exact) <= RELATIVE_ACCURACY * exact * (1 + 1e-9)
    assert left.count == len(a) + len(b)
    assert math.isclose(left.total, sum(a) + sum(b), rel_tol=1e-9)
    assert left.minimum == min(a + b) and left.maximum == max(a + b)


@given(st.lists(positive, min_size=1, max_size=300))
def test_wire_round_trip_keeps_every_statistic(values: list[float]) -> None:
    agg = Aggregate()
    for v in values:
        agg.add(v)
    back = Aggregate.from_wire(agg.to_wire())
    assert (back.count, back.total, back.minimum, back.maximum) == (agg.count, agg.total, agg.minimum, agg.maximum)
    assert math.isclose(back.quantile(0.95) or 0, agg.quantile(0.95) or 0, rel_tol=1e-12)
    assert sketch_from_bytes(sketch_to_bytes(agg.sketch)).count == len(values)  # type: ignore[arg-type]


def test_count_only_aggregate_has_no_quantile() -> None:
    agg = Aggregate()
    agg.add(None)
    agg.add(None)
    assert agg.count == 2 and agg.quantile(0.95) is None
    assert Aggregate.from_wire(agg.to_wire()).count == 2


@settings(max_examples=200)
@given(st.lists(positive, min_size=1, max_size=500), positive)
def test_count_at_most_is_exact_away_from_the_limit(values: list[float], limit: float) -> None:
    sketch = new_sketch()
    for v in values:
        sketch.add(v)
    clearly_below = sum(1 for v in values if v <= limit * (1 - 2 * RELATIVE_ACCURACY))
    at_most_fuzzy = sum(1 for v in values if v <= limit * (1 + 2 * RELATIVE_ACCURACY))
    assert clearly_below <= count_at_most(sketch, limit) <= at_most_fuzzy


def test_count_below_one_counts_down_probes() -> None:
    sketch = new_sketch()
    for v in [0.0] * 3 + [1.0] * 97:
        sketch.add(v)
    assert count_at_most(sketch, 1.0, inclusive=False) == 3
    assert count_at_most(sketch, 1.0) == 100
