"""The whole page: head, header, summary cards and the sections, in one self-contained document.

Nothing on the page is fetched: the stylesheet is inline, the charts are
inline SVG, there is no script, font or image. Links in report text (a
suspect's deploy URL) are plain `<a>` elements, followed only when clicked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vigil.report.context import Context
from vigil.report.fields import items, mapping, num, strings, text
from vigil.report.humanize import count, duration, esc, utc
from vigil.report.incidents import incidents_section
from vigil.report.markup import Html, facts, time
from vigil.report.slis import other_slis_section
from vigil.report.style import CSS
from vigil.report.tables import alert_episodes, alerts_section, dead_letters_section, late_section
from vigil.report.whatif import what_if_section

__all__ = ["render_html"]


def render_html(report: Mapping[str, Any]) -> str:
    """report.json (as loaded) → a self-contained HTML page; the same input gives the same bytes."""
    if not isinstance(report, Mapping):
        report = {}
    ctx = Context.of(report)
    shown: set[int] = set()
    incidents = incidents_section(ctx, shown)  # first: it decides which series the SLI section still shows
    slis = other_slis_section(ctx, shown)
    sections = [
        ("summary", "Summary", _summary(ctx)),
        ("incidents", "Incidents", incidents),
        ("what-if", "What if", what_if_section(ctx)),
        ("slis", "SLIs", slis),
        ("alerts", "Alerts", alerts_section(ctx)),
        ("dead-letters", "Dead letters", dead_letters_section(ctx)),
        ("late", "Late events", late_section(ctx)),
    ]
    present = [(anchor, label, html) for anchor, label, html in sections if html]
    title = "Vigil postmortem"
    if ctx.range_known:
        title += f": {utc(ctx.start, '%Y-%m-%d %H:%M')} – {utc(ctx.end, '%Y-%m-%d %H:%M')} UTC"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f'<body><div class="wrap">{_header(ctx, present)}<main>{"".join(html for *_, html in present)}</main>'
        f'<footer class="page">Written by <code>vigil replay</code> from report.json '
        f"(format {esc(text(report.get('vigil_replay')) or 'unknown')}).</footer></div></body></html>\n"
    )


def _header(ctx: Context, sections: list[tuple[str, str, Html]]) -> Html:
    report = ctx.report
    config = mapping(report, "config")
    stats = mapping(report, "stats")
    sources = strings(report.get("sources"))
    current = strings(config.get("current"))
    alternative = strings(config.get("alternative"))
    complete = report.get("complete")
    known = ctx.range_known
    pairs: list[tuple[str, Html]] = [
        ("From", time(ctx.start, "%Y-%m-%d %H:%M:%S UTC") if known else "unknown"),
        ("To", time(ctx.end, "%Y-%m-%d %H:%M:%S UTC") if known else "unknown"),
        ("Length", esc(duration(ctx.end - ctx.start)) if known else "unknown"),
        ("Sources", esc(", ".join(sources)) if sources else "—"),
        ("Config", _code_list(current)),
    ]
    if alternative:
        pairs.append(("Alternative config", _code_list(alternative)))
    events = num(stats.get("events"))
    event_seconds = num(stats.get("event_seconds"))
    if events is not None:
        pairs.append(
            ("Events replayed", esc(count(events) + (f" over {duration(event_seconds)}" if event_seconds else "")))
        )
    if complete is True:
        pairs.append(("Completeness", '<span class="complete">complete</span>'))
    else:
        pairs.append(("Completeness", '<span class="incomplete">incomplete</span>'))
    banner = ""
    if complete is not True:
        banner = (
            '<p class="banner" role="note"><strong>Incomplete replay.</strong> It stopped before the end of the range '
            "(or the report does not say it finished): what follows covers only what was read.</p>"
        )
    links = "".join(f'<li><a href="#{anchor}">{esc(label)}</a></li>' for anchor, label, _ in sections)
    return (
        '<header class="page"><h1>Postmortem report</h1>'
        f"{facts(pairs)}{banner}"
        f'<nav class="toc" aria-label="Sections"><ul>{links}</ul></nav></header>'
    )


def _summary(ctx: Context) -> Html:
    report = ctx.report
    stats = mapping(report, "stats")
    run = ctx.current
    notifications = items(run, "notifications") or [n for i in ctx.incidents() for n in items(i, "notifications")]
    dead = num(stats.get("dead_lettered"))
    late = num(stats.get("late"))
    cards = [
        (len(ctx.incidents()), "incidents"),
        (len(alert_episodes(run)), "alerts"),
        (len(notifications), "notifications"),
        (dead if dead is not None else len(items(report, "dead_letters")), "dead-lettered events"),
        (late if late is not None else sum(num(e.get("count")) or 0 for e in items(report, "late")), "late events"),
    ]
    lis = "".join(
        f'<li><span class="n">{esc(count(n))}</span> <span class="l">{esc(label)}</span></li>' for n, label in cards
    )
    return (
        '<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2>'
        f'<ul class="cards">{lis}</ul></section>'
    )


def _code_list(paths: list[str]) -> Html:
    return ", ".join(f"<code>{esc(p)}</code>" for p in paths) if paths else "—"
