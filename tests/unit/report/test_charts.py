"""SVG line charts: geometry read back from the SVG, not from the renderer's internals."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from tests.unit.report.fixtures import END, START, at, series
from vigil.report.charts import Span, line_chart


def chart(
    data: dict[str, Any] | None = None, *, start: float = START, end: float = END, spans: list[Span] | None = None
) -> ET.Element:
    svg = line_chart(data if data is not None else series()[0], start=start, end=end, spans=spans or [], chart_id="c1")
    return ET.fromstring(svg)


def by_class(svg: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in svg.iter() if name in (e.get("class") or "").split()]


def plot(svg: ET.Element) -> tuple[float, float, float, float]:
    (rect,) = by_class(svg, "plot")
    return tuple(float(rect.get(k) or 0) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def x_of(svg: ET.Element, ts: float, start: float = START, end: float = END) -> float:
    x, _, width, _ = plot(svg)
    return x + (ts - start) / (end - start) * width


def tick_labels(svg: ET.Element, kind: str) -> list[str]:
    return [g.find("text").text or "" for g in by_class(svg, kind)]  # type: ignore[union-attr]


def test_threshold_is_a_dashed_line_across_the_plot_at_its_value() -> None:
    svg = chart()
    (line,) = by_class(svg, "threshold")
    x, _, width, _ = plot(svg)
    assert line.get("stroke-dasharray")
    assert float(line.get("x1") or 0) == pytest.approx(x)
    assert float(line.get("x2") or 0) == pytest.approx(x + width)
    assert line.get("y1") == line.get("y2")
    # The 0.5 s threshold sits exactly on the y tick labelled 500ms (the axis shows seconds: 0.5s).
    ticks = {g.find("text").text: float(g.find("line").get("y1") or 0) for g in by_class(svg, "y-tick")}  # type: ignore[union-attr]
    assert float(line.get("y1") or 0) == pytest.approx(ticks["0.5s"])
    assert [label.text for label in by_class(svg, "threshold-label")] == ["> 500ms"]


def test_incident_spans_are_shaded_from_open_to_resolve_and_labelled_on_the_time_axis() -> None:
    spans = [
        Span(start=at(10), end=at(31), label="#1", title="Incident #1", key="inc-1"),
        Span(start=at(40), end=None, label="#2", title="Incident #2", key="inc-2"),
    ]
    svg = chart(spans=spans)
    x, top, width, height = plot(svg)
    groups = by_class(svg, "incident")
    assert [g.get("data-incident") for g in groups] == ["inc-1", "inc-2"]
    for group, (opened, closes) in zip(groups, [(at(10), at(31)), (at(40), END)], strict=True):
        (rect,) = by_class(group, "incident-span")
        assert float(rect.get("x") or 0) == pytest.approx(x_of(svg, opened), abs=0.01)
        assert float(rect.get("width") or 0) == pytest.approx(x_of(svg, closes) - x_of(svg, opened), abs=0.02)
        assert float(rect.get("y") or 0) == pytest.approx(top)
        assert float(rect.get("height") or 0) == pytest.approx(height)
        (bar,) = by_class(group, "incident-bar")
        assert float(bar.get("y") or 0) > top + height  # under the plot, on the time axis
        (label,) = by_class(group, "incident-label")
        assert float(label.get("x") or 0) == pytest.approx(x_of(svg, opened), abs=0.01)
        assert group.find("title") is not None
    assert [label.text for label in by_class(svg, "incident-label")] == ["#1", "#2"]
    # The open incident runs to the right edge of the plot.
    (open_rect,) = by_class(groups[1], "incident-span")
    assert float(open_rect.get("x") or 0) + float(open_rect.get("width") or 0) == pytest.approx(x + width, abs=0.02)


def test_spans_are_clipped_to_the_range_and_skipped_outside_it() -> None:
    svg = chart(
        spans=[
            Span(start=START - 600, end=at(5), label="#1", title="before"),
            Span(start=START - 900, end=START - 300, label="#2", title="gone"),
        ]
    )
    x, _, _, _ = plot(svg)
    (rect,) = by_class(svg, "incident-span")
    assert float(rect.get("x") or 0) == pytest.approx(x)
    assert float(rect.get("width") or 0) == pytest.approx(x_of(svg, at(5)) - x, abs=0.02)


def test_the_line_follows_the_points_and_breaks_at_a_null() -> None:
    svg = chart()
    lines = by_class(svg, "series-line")
    assert len(lines) == 2  # the fixture's P95 has no value at minute 45
    x, _, width, _ = plot(svg)
    first = [tuple(map(float, p.split(","))) for p in (lines[0].get("points") or "").split()]
    second = [tuple(map(float, p.split(","))) for p in (lines[1].get("points") or "").split()]
    assert len(first) == 45 and len(second) == 15
    assert first[0][0] == pytest.approx(x)
    assert first[10][0] == pytest.approx(x_of(svg, at(10)), abs=0.01)
    assert second[-1][0] == pytest.approx(x + width)
    assert first[10][1] < first[0][1]  # 1.5 s is higher on screen than 0.2 s


def test_points_outside_the_range_are_left_out() -> None:
    data = {
        "rule": "r",
        "service": "s",
        "unit": "s",
        "points": [[START - 60, 9.0], [at(1), 0.1], [at(2), 0.2], [END + 60, 9.0]],
    }
    svg = chart(data)
    (line,) = by_class(svg, "series-line")
    assert len((line.get("points") or "").split()) == 2
    assert "9" not in "".join(tick_labels(svg, "y-tick"))


def test_time_axis_reads_utc_clock_times() -> None:
    assert tick_labels(chart(), "x-tick") == ["12:00", "12:10", "12:20", "12:30", "12:40", "12:50", "13:00"]
    assert tick_labels(chart(start=START, end=START + 60), "x-tick") == [
        "12:00:00",
        "12:00:10",
        "12:00:20",
        "12:00:30",
        "12:00:40",
        "12:00:50",
        "12:01:00",
    ]
    # Over days, midnight shows the date.
    assert tick_labels(chart(start=START, end=START + 3 * 86400), "x-tick") == [
        "12:00",
        "01-02",
        "12:00",
        "01-03",
        "12:00",
        "01-04",
        "12:00",
    ]
    assert tick_labels(chart(start=START, end=START + 20 * 86400), "x-tick")[:2] == ["01-03", "01-07"]
    caption = by_class(chart(), "axis-caption")[0].text
    assert caption == "time (UTC, 2026-01-01)"
    # Every other tick may be hidden on a phone; the first and the last stay.
    minor = [("minor" in (g.get("class") or "")) for g in by_class(chart(), "x-tick")]
    assert minor == [False, True, False, True, False, True, False]


@pytest.mark.parametrize(
    ("unit", "values", "threshold", "expected_suffix", "threshold_label"),
    [
        ("s", [0.12, 0.3], 0.25, "ms", "> 250ms"),
        ("s", [0.5, 2.5], 1.5, "s", "> 1.5s"),
        ("ms", [120.0, 480.0], 300.0, "ms", "> 300ms"),
        ("%", [0.004, 0.08], 0.05, "%", "> 5%"),
        ("ratio", [0.97, 0.999], 0.98, "%", "> 98%"),
        ("rps", [10.0, 40.0], 30.0, " rps", "> 30 rps"),
        (None, [1.0, 4.0], 3.0, "", "> 3"),
    ],
)
def test_values_carry_their_unit(
    unit: str | None, values: list[float], threshold: float, expected_suffix: str, threshold_label: str
) -> None:
    data = {
        "rule": "r",
        "service": "s",
        "op": ">",
        "threshold": threshold,
        "unit": unit,
        "points": [[at(i), v] for i, v in enumerate(values)],
    }
    svg = chart(data)
    labels = tick_labels(svg, "y-tick")
    assert labels and all(label.endswith(expected_suffix) for label in labels), labels
    assert all(label[0].isdigit() or label[0] == "-" for label in labels), labels
    assert [t.text for t in by_class(svg, "threshold-label")] == [threshold_label]


def test_a_narrow_band_far_from_zero_is_not_flattened() -> None:
    data = {
        "rule": "delivery",
        "unit": "%",
        "op": "<",
        "threshold": 0.98,
        "points": [[at(i), 0.99 - i * 0.001] for i in range(10)],
    }
    labels = tick_labels(chart(data), "y-tick")
    assert labels[0] != "0%"  # the axis starts near the values, not at zero


def test_no_values_says_so_and_still_draws_the_threshold() -> None:
    svg = chart({"rule": "r", "service": "s", "op": ">", "threshold": 0.5, "unit": "s", "points": []})
    assert by_class(svg, "series-line") == []
    assert [t.text for t in by_class(svg, "no-data")] == ["no values in this range"]
    assert len(by_class(svg, "threshold")) == 1


def test_a_lone_value_is_a_dot() -> None:
    svg = chart({"rule": "r", "unit": "s", "points": [[at(1), 0.2], [at(2), None], [at(3), 0.3], [at(4), 0.4]]})
    assert len(by_class(svg, "series-dot")) == 1
    assert len(by_class(svg, "series-line")) == 1


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"points": None, "threshold": None, "unit": None},
        {"points": "nope", "threshold": "0.5"},
        {"points": [None, [], [1], ["a", "b"], [START + 1, float("nan")], [START + 2, True]]},
        {"points": [[at(1), 5.0], [at(2), 5.0]]},  # a flat line
        {"points": [[at(1), -2.0], [at(2), 3.0]], "threshold": 0},
    ],
)
def test_odd_series_still_make_a_chart(data: dict[str, Any]) -> None:
    svg = chart(data)
    assert svg.tag == "svg" and len(by_class(svg, "plot")) == 1


def test_chart_is_accessible() -> None:
    svg = chart(spans=[Span(start=at(10), end=at(31), label="#1", title="Incident #1: API latency")])
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find("title").get("id") == "c1-title"  # type: ignore[union-attr]
    assert svg.find("title").text == "ApiLatencyP95High — advisor-api"  # type: ignore[union-attr]
    desc = svg.find("desc").text or ""  # type: ignore[union-attr]
    assert "threshold > 500ms" in desc and "Incident #1: API latency" in desc


def test_same_input_same_svg() -> None:
    spans = [Span(start=at(10), end=at(31), label="#1", title="t")]
    first = line_chart(series()[1], start=START, end=END, spans=spans, chart_id="c")
    assert first == line_chart(series()[1], start=START, end=END, spans=spans, chart_id="c")


def test_a_range_that_is_not_a_range_does_not_divide_by_zero() -> None:
    svg = chart(start=START, end=START)
    assert len(by_class(svg, "plot")) == 1
