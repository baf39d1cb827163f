"""The incidents section: per incident its facts, reasons, suspects, SLI charts and timeline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vigil.report.context import Context
from vigil.report.fields import items, num, strings, text
from vigil.report.humanize import duration, esc, linkify
from vigil.report.markup import Html, badge, facts, table
from vigil.report.slis import figure, involved

__all__ = ["incidents_section", "timeline_rows"]


def incidents_section(ctx: Context, shown: set[int]) -> Html:
    """All incidents of the current run; adds the indexes of the series it charts to `shown`."""
    incidents = ctx.incidents()
    if not incidents:
        body = '<p class="muted">No incident was opened in this range.</p>'
    else:
        body = "".join(_incident(ctx, incident, n, shown) for n, incident in enumerate(incidents, 1))
    return f'<section id="incidents" aria-labelledby="incidents-h"><h2 id="incidents-h">Incidents</h2>{body}</section>'


def _incident(ctx: Context, incident: Mapping[str, Any], n: int, shown: set[int]) -> Html:
    anchor = f"incident-{n}"
    title = text(incident.get("title")) or text(incident.get("id")) or "Untitled incident"
    status = text(incident.get("status"))
    head = (
        f'<h3 id="{anchor}-h"><span class="num">#{n}</span> <span class="incident-title">{esc(title)}</span> '
        f"{badge(text(incident.get('severity')))}"
        + (f' <span class="status">{esc(status)}</span>' if status else "")
        + "</h3>"
    )
    ident = text(incident.get("id"))
    group = text(incident.get("group_key"))
    meta = " · ".join(
        part
        for part in (
            f"id <code>{esc(ident)}</code>" if ident else "",
            f"group <code>{esc(group)}</code>" if group else "",
        )
        if part
    )
    services = strings(incident.get("services"))
    opened, resolved = num(incident.get("opened_at")), num(incident.get("resolved_at"))
    fact_list = facts(
        [
            ("Root cause", esc(text(incident.get("root_cause")) or "unknown")),
            ("Services", esc(", ".join(services)) if services else "—"),
            ("Opened", ctx.clock(opened)),
            ("Resolved", ctx.clock(resolved) if resolved is not None else "not in this range"),
            ("Time to detect", _took(incident.get("time_to_detect"), "unknown")),
            ("Time to acknowledge", _took(incident.get("time_to_acknowledge"), "not acknowledged")),
            ("Time to resolve", _took(incident.get("time_to_resolve"), "unresolved")),
        ]
    )
    parts = [f'<article class="incident" id="{anchor}" aria-labelledby="{anchor}-h"><header>{head}']
    if meta:
        parts.append(f'<p class="muted">{meta}</p>')
    parts.append(f"</header>{fact_list}")
    reasons = strings(incident.get("reasons"))
    if reasons:
        parts.append("<h4>Why these alerts are one incident</h4>" + _list([linkify(r) for r in reasons]))
    raw_suspects = incident.get("suspects")
    suspects = [_suspect(s) for s in raw_suspects if s is not None] if isinstance(raw_suspects, list) else []
    if suspects:
        parts.append("<h4>Suspect changes</h4>" + _list(suspects))
    charted = involved(ctx, incident)
    if charted:
        series = items(ctx.current, "series")
        span = ctx.span(incident, n)
        spans = [span] if span is not None else []
        figures = "".join(figure(ctx, series[i], spans) for i in charted)
        parts.append(f'<h4>SLIs involved</h4><div class="charts">{figures}</div>')
        shown.update(charted)
    rows, classes = timeline_rows(ctx, incident)
    if rows:
        parts.append(
            "<h4>Timeline</h4>"
            + table(
                f"Timeline of incident #{n}: changes and notifications in order",
                ["Time (UTC)", "Kind", "What happened", "Who / receiver"],
                rows,
                cell_classes=["t", "", "", ""],
                row_classes=classes,
            )
        )
    parts.append("</article>")
    return "".join(parts)


def timeline_rows(ctx: Context, incident: Mapping[str, Any]) -> tuple[list[list[Html]], list[str]]:
    """The incident's timeline merged with its notifications, in time order (unknown times last)."""
    merged: list[tuple[tuple[int, float, int, int], list[Html], str]] = []
    for i, entry in enumerate(items(incident, "timeline")):
        ts = num(entry.get("ts"))
        kind = text(entry.get("kind")).replace("_", " ")
        row = [ctx.clock(ts), esc(kind), esc(text(entry.get("text"))), esc(text(entry.get("actor")) or "—")]
        merged.append(((ts is None, ts or 0.0, 0, i), row, "change"))
    for i, note in enumerate(_notifications(ctx, incident)):
        ts = num(note.get("ts"))
        event = text(note.get("event")).replace("_", " ").lower()
        what = text(note.get("reason"))
        level = num(note.get("level"))
        if level is not None:
            what = f"{what} (escalation level {round(level)})" if what else f"escalation level {round(level)}"
        row = [
            ctx.clock(ts),
            esc(f"notification: {event}" if event else "notification"),
            esc(what),
            esc(text(note.get("receiver")) or "—"),
        ]
        merged.append(((ts is None, ts or 0.0, 1, i), row, "notification"))
    merged.sort(key=lambda m: m[0])
    return [row for _, row, _ in merged], [kind for _, _, kind in merged]


def _notifications(ctx: Context, incident: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The incident's own notifications; else the run's that name it."""
    if isinstance(incident.get("notifications"), list):
        return items(incident, "notifications")
    ident = text(incident.get("id"))
    return [n for n in items(ctx.current, "notifications") if ident and text(n.get("incident_id")) == ident]


def _took(seconds: Any, missing: str) -> Html:
    value = num(seconds)
    return esc(missing) if value is None else esc(duration(value))


def _suspect(suspect: Any) -> Html:
    if isinstance(suspect, Mapping):  # a full suspect record instead of its summary
        suspect = suspect.get("summary") or suspect.get("service") or ""
    return linkify(text(suspect))


def _list(entries: list[Html]) -> Html:
    return '<ul class="plain">' + "".join(f"<li>{entry}</li>" for entry in entries) + "</ul>"
