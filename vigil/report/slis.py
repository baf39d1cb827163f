"""Charts of the SLIs: which series an incident involves, each as a captioned figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vigil.report.charts import Span, line_chart
from vigil.report.context import Context
from vigil.report.fields import items, num, strings, text
from vigil.report.humanize import esc, value
from vigil.report.markup import Html

__all__ = ["FEW_SERIES", "figure", "involved", "other_slis_section"]

#: With this many series or fewer, an incident none of them names still shows them all.
FEW_SERIES = 3


def involved(ctx: Context, incident: Mapping[str, Any]) -> list[int]:
    """Indexes of the series an incident involves: those of its services; all of them when none is and few exist."""
    series = items(ctx.current, "series")
    services = set(strings(incident.get("services")))
    mine = [i for i, s in enumerate(series) if text(s.get("service")) in services]
    if not mine and len(series) <= FEW_SERIES:
        return list(range(len(series)))
    return mine


def figure(ctx: Context, series: Mapping[str, Any], spans: Sequence[Span]) -> Html:
    """One chart with its caption and legend."""
    chart_id = ctx.chart_id()
    svg = line_chart(series, start=ctx.start, end=ctx.end, spans=spans, chart_id=chart_id)
    rule, service = text(series.get("rule")), text(series.get("service"))
    threshold = num(series.get("threshold"))
    legend = ['<span><span class="swatch line"></span>value</span>']
    if threshold is not None:
        op = text(series.get("op"))
        limit = f"{op} {value(threshold, text(series.get('unit')) or None)}".strip()
        legend.append(f'<span><span class="swatch dashed"></span>threshold {esc(limit)}</span>')
    if spans:
        legend.append('<span><span class="swatch span"></span>incident</span>')
    name = f"<strong>{esc(rule or 'SLI')}</strong>" + (f" · {esc(service)}" if service else "")
    return (
        f'<figure class="chart-figure" aria-labelledby="{chart_id}-caption">'
        f'<figcaption id="{chart_id}-caption">{name}<span class="legend">{"".join(legend)}</span></figcaption>'
        f"{svg}</figure>"
    )


def other_slis_section(ctx: Context, shown: set[int]) -> Html:
    """Series no incident's charts showed, over the range, with every incident marked."""
    series = items(ctx.current, "series")
    rest = [s for i, s in enumerate(series) if i not in shown]
    if not rest:
        return ""
    spans = [span for n, incident in enumerate(ctx.incidents(), 1) if (span := ctx.span(incident, n)) is not None]
    title = "SLIs" if not shown else "Other SLIs"
    figures = "".join(figure(ctx, s, spans) for s in rest)
    return (
        f'<section id="slis" aria-labelledby="slis-h"><h2 id="slis-h">{title}</h2>'
        f'<div class="charts">{figures}</div></section>'
    )
