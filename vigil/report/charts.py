"""SVG line charts: one SLI series over the report's range, its threshold, incident spans.

Pure: a series mapping and the range in, an `<svg>` string out, the same
string for the same input. The SVG is well-formed XML (inline in
HTML, so without a namespace declaration) with a fixed viewBox; it scales
to its container with CSS. Classes name what each
mark is, so the page's CSS styles them and tests find them:

- `plot`: the plot area (a rect), the frame every x and y maps into;
- `series-line`: the values, one polyline per run of known values
  (a null value breaks the line), `series-dot` for a lone value;
- `threshold`: the threshold as a dashed horizontal line;
- `incident-span`: an incident, shaded over the plot from when it opened to
  when it resolved (to the end of the range while open), with a bar
  (`incident-bar`) and its label (`incident-label`) on the time axis;
- `x-tick` / `y-tick`: axis ticks with UTC times and values in the
  series' unit (`s` becomes `ms` below a second; `%` values are fractions);
  every other time tick is also `minor`, so that a narrow screen can hide it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vigil.report.fields import num, text
from vigil.report.humanize import display_unit, esc, utc, value

__all__ = ["HEIGHT", "WIDTH", "Span", "line_chart"]

WIDTH = 720
HEIGHT = 270
_LEFT, _RIGHT, _TOP, _BOTTOM = 76, 32, 16, 70  # margins around the plot
_TIME_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_MAX_X_TICKS = 6
_LIMIT = 1e15  #: larger magnitudes are not plotted (as if null): no axis holds them next to real values


@dataclass(frozen=True, slots=True)
class Span:
    """An incident to mark on a chart."""

    start: float  #: when it opened, Unix seconds
    end: float | None  #: when it resolved; None while still open at the end of the range
    label: str  #: short label on the time axis, e.g. `#1`
    title: str  #: what a tooltip and the chart's description say about it
    key: str = ""  #: the incident's id, written to `data-incident`


def line_chart(
    series: Mapping[str, Any], *, start: float, end: float, spans: Sequence[Span] = (), chart_id: str
) -> str:
    """The `<svg>` of `series` (`rule`, `service`, `op`, `threshold`, `unit`, `points`) over [start, end]."""
    if not end > start:
        end = start + max(1.0, abs(start) * 1e-9)  # (+1 would vanish in a huge float)
    unit = text(series.get("unit")) or None
    threshold = num(series.get("threshold"))
    if threshold is not None and abs(threshold) > _LIMIT:
        threshold = None
    runs = _runs(series.get("points"), start, end)
    values = [v for run in runs for _, v in run]
    largest = max((abs(v) for v in [*values, threshold or 0.0]), default=0.0)
    factor, suffix = display_unit(unit, largest)
    lo, hi, step = _y_domain([v * factor for v in values], None if threshold is None else threshold * factor)

    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    bottom = _TOP + plot_h

    def x(ts: float) -> float:
        return _LEFT + (ts - start) / (end - start) * plot_w

    def y(v: float) -> float:
        return bottom - (v * factor - lo) / (hi - lo) * plot_h

    title = _title(series)
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}">',
        f'<title id="{chart_id}-title">{esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{esc(_describe(series, values, threshold, unit, spans, start, end))}</desc>',
        f'<rect class="plot" x="{_f(_LEFT)}" y="{_f(_TOP)}" width="{_f(plot_w)}" height="{_f(plot_h)}"/>',
    ]
    for span in spans:
        out.extend(_span(span, x, start, end, bottom))
    for i in range(round((hi - lo) / step) + 1):
        v = lo + i * step
        yy = bottom - i * step / (hi - lo) * plot_h
        out.append(
            f'<g class="y-tick"><line class="grid" x1="{_f(_LEFT)}" x2="{_f(_LEFT + plot_w)}"'
            f' y1="{_f(yy)}" y2="{_f(yy)}"/><text x="{_f(_LEFT - 6)}" y="{_f(yy + 4)}" text-anchor="end">'
            f"{esc(_tick_number(v, step) + suffix)}</text></g>"
        )
    tick_step, ticks = _time_ticks(start, end)
    for i, ts in enumerate(ticks):
        xx = x(ts)
        minor = " minor" if len(ticks) > 4 and i % 2 else ""  # every other tick: the page hides them on a phone
        out.append(
            f'<g class="x-tick{minor}" data-ts="{_f(ts)}">'
            f'<line x1="{_f(xx)}" x2="{_f(xx)}" y1="{_f(bottom)}" y2="{_f(bottom + 5)}"/>'
            f'<text x="{_f(xx)}" y="{_f(bottom + 18)}" text-anchor="middle">{esc(_tick_time(ts, tick_step))}</text></g>'
        )
    out.append(
        f'<line class="axis" x1="{_f(_LEFT)}" x2="{_f(_LEFT + plot_w)}" y1="{_f(bottom)}" y2="{_f(bottom)}"/>'
        f'<text class="axis-caption" x="{_f(WIDTH - _RIGHT)}" y="{_f(HEIGHT - 4)}" text-anchor="end">'
        f"{esc(_time_caption(start, end))}</text>"
    )
    if threshold is not None:
        ty = y(threshold)
        op = text(series.get("op"))
        out.append(
            f'<line class="threshold" x1="{_f(_LEFT)}" x2="{_f(_LEFT + plot_w)}" y1="{_f(ty)}" y2="{_f(ty)}"'
            f' stroke-dasharray="6 4" data-value="{_f(threshold)}"/>'
            f'<text class="threshold-label" x="{_f(_LEFT + plot_w - 4)}" y="{_f(ty - 5)}" text-anchor="end">'
            f"{esc(f'{op} {value(threshold, unit)}'.strip())}</text>"
        )
    for run in runs:
        if len(run) == 1:
            (ts, v) = run[0]
            out.append(f'<circle class="series-dot" cx="{_f(x(ts))}" cy="{_f(y(v))}" r="3"/>')
        else:
            points = " ".join(f"{_f(x(ts))},{_f(y(v))}" for ts, v in run)
            out.append(f'<polyline class="series-line" points="{points}"/>')
    if not values:
        out.append(
            f'<text class="no-data" x="{_f(_LEFT + plot_w / 2)}" y="{_f(_TOP + plot_h / 2)}" text-anchor="middle">'
            "no values in this range</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _title(series: Mapping[str, Any]) -> str:
    rule, service = text(series.get("rule")), text(series.get("service"))
    return " — ".join(part for part in (rule, service) if part) or "SLI"


def _describe(
    series: Mapping[str, Any],
    values: list[float],
    threshold: float | None,
    unit: str | None,
    spans: Sequence[Span],
    start: float,
    end: float,
) -> str:
    parts = [f"{_title(series)} from {utc(start)} to {utc(end)} UTC"]
    if values:
        parts.append(f"values from {value(min(values), unit)} to {value(max(values), unit)}")
    else:
        parts.append("no values")
    if threshold is not None:
        parts.append(f"threshold {text(series.get('op'))} {value(threshold, unit)}".replace("  ", " "))
    parts.extend(span.title for span in spans)
    return "; ".join(parts) + "."


def _span(span: Span, x: Any, start: float, end: float, bottom: float) -> list[str]:
    stop = end if span.end is None else span.end
    if stop < start or span.start > end:
        return []
    x1, x2 = x(max(span.start, start)), x(min(stop, end))
    width = max(x2 - x1, 2.0)
    key = f' data-incident="{esc(span.key)}"' if span.key else ""
    return [
        f'<g class="incident"{key}><title>{esc(span.title)}</title>'
        f'<rect class="incident-span" x="{_f(x1)}" y="{_f(_TOP)}" width="{_f(width)}" height="{_f(bottom - _TOP)}"/>'
        f'<rect class="incident-bar" x="{_f(x1)}" y="{_f(bottom + 26)}" width="{_f(width)}" height="5"/>'
        f'<text class="incident-label" x="{_f(x1)}" y="{_f(bottom + 48)}">{esc(span.label)}</text></g>'
    ]


def _runs(points: Any, start: float, end: float) -> list[list[tuple[float, float]]]:
    """Runs of (ts, value) inside [start, end] in time order; a null value ends a run."""
    if not isinstance(points, Sequence) or isinstance(points, str | bytes):
        return []
    timed: list[tuple[float, float | None]] = []
    for point in points:
        if not isinstance(point, Sequence) or isinstance(point, str | bytes) or len(point) < 2:
            continue
        ts = num(point[0])
        if ts is not None and start <= ts <= end:
            v = num(point[1])
            timed.append((ts, v if v is not None and abs(v) <= _LIMIT else None))
    timed.sort(key=lambda p: p[0])
    runs: list[list[tuple[float, float]]] = [[]]
    for ts, v in timed:
        if v is None:
            runs.append([])
        else:
            runs[-1].append((ts, v))
    return [run for run in runs if run]


def _y_domain(values: list[float], threshold: float | None) -> tuple[float, float, float]:
    """(low, high, tick step) in display units: nice numbers around the values and the threshold."""
    seen = values + ([threshold] if threshold is not None else [])
    if not seen:
        return 0.0, 1.0, 0.25
    lo, hi = min(seen), max(seen)
    if lo >= 0 and not (hi - lo < 0.25 * hi):  # start at zero unless the values sit in a narrow band far from it
        lo = 0.0
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    hi += (hi - lo) * 0.05
    step = _nice((hi - lo) / 4)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return lo, hi, step


def _nice(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _tick_number(v: float, step: float) -> str:
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    if abs(v) < step / 1e6:
        v = 0.0
    return f"{v:,.{decimals}f}"


def _time_ticks(start: float, end: float) -> tuple[int, list[float]]:
    span = end - start
    step = next((s for s in _TIME_STEPS if span / s <= _MAX_X_TICKS), None)
    if step is None:
        step = 86400 * math.ceil(span / 86400 / _MAX_X_TICKS)
    first = math.ceil(start / step) * step
    return step, [float(t) for t in range(first, math.floor(end) + 1, step)]


def _tick_time(ts: float, step: int) -> str:
    """`12:00:10` below a minute's step, `12:10` below a day's, and the date (`01-02`) at midnight or beyond."""
    if step < 60:
        return utc(ts, "%H:%M:%S")
    if step >= 86400 or ts % 86400 == 0:
        return utc(ts, "%m-%d")
    return utc(ts, "%H:%M")


def _time_caption(start: float, end: float) -> str:
    first, last = utc(start, "%Y-%m-%d"), utc(end, "%Y-%m-%d")
    return f"time (UTC, {first})" if first == last else f"time (UTC, {first} → {last})"


def _f(n: float) -> str:
    """A coordinate with at most two decimals, no trailing zeros: stable, compact output."""
    s = f"{n:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s
