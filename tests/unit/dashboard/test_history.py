"""The SLI history: a bounded ring per series, thinned for sparklines."""

from __future__ import annotations

import pytest

from streams.dashboard import SeriesId, SliHistory

A = SeriesId("rule", "ApiLatencyP95High", "advisor-api")
B = SeriesId("slo", "api-latency", "advisor-api")


def test_keeps_the_newest_span_one_point_per_record():
    history = SliHistory(step=10.0, span=60.0)
    for i in range(20):
        history.record(1000.0 + 10 * i, {A: float(i)})
    points = history.points(A)
    assert len(points) == history.capacity == 7
    assert points[0] == [1130.0, 13.0] and points[-1] == [1190.0, 19.0]
    assert history.points(A, since=1170.0) == [[1170.0, 17.0], [1180.0, 18.0], [1190.0, 19.0]]


def test_series_that_stop_age_out_and_unknown_ones_are_empty():
    history = SliHistory(step=10.0, span=60.0)
    history.record(1000.0, {A: 1.0, B: 0.99})
    for i in range(1, 8):
        history.record(1000.0 + 10 * i, {A: 1.0})
    assert history.series_ids() == [A]
    assert history.points(B) == [] and history.points(SeriesId("rule", "nope", "x")) == []


def test_a_record_from_the_past_takes_its_place_once_and_one_too_old_is_dropped():
    history = SliHistory(step=10.0, span=60.0)
    history.record(1000.0, {A: 1.0})
    history.record(1020.0, {A: 3.0})
    history.record(990.0, {A: 0.0, B: 0.5})  # another worker's samples, read back after a restart
    history.record(1010.0, {A: 2.0})
    history.record(1010.0, {A: 9.0})  # the same sample read twice
    history.record(900.0, {A: -1.0})  # older than the span: gone already
    assert history.points(A) == [[990.0, 0.0], [1000.0, 1.0], [1010.0, 2.0], [1020.0, 3.0]]
    assert history.points(B) == [[990.0, 0.5]]
    assert history.newest == 1020.0


def test_thinning_keeps_first_and_last():
    history = SliHistory(step=10.0, span=3600.0)
    for i in range(361):
        history.record(10.0 * i, {A: float(i)})
    thin = history.points(A, max_points=120)
    assert len(thin) == 120 and thin[0] == [0.0, 0.0] and thin[-1] == [3600.0, 360.0]
    assert [p[0] for p in thin] == sorted(p[0] for p in thin)


def test_bad_shape_is_refused():
    with pytest.raises(ValueError):
        SliHistory(step=0)
    with pytest.raises(ValueError):
        SliHistory(step=10, span=5)
