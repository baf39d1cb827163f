"""Tables of the raw material: alerts, dead-lettered events and late events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vigil.report.context import Context
from vigil.report.fields import items, mapping, num, text
from vigil.report.humanize import count, esc
from vigil.report.markup import Html, badge, table

__all__ = ["alert_episodes", "alerts_section", "dead_letters_section", "late_section"]

_NOISE_LABELS = frozenset({"alertname", "severity"})  # already in their own columns


def alert_episodes(run: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """One entry per alert episode (fingerprint and start), its latest record, in order of start."""
    latest: dict[tuple[str, float | None] | int, Mapping[str, Any]] = {}
    for i, alert in enumerate(items(run, "alerts")):
        fingerprint = text(alert.get("fingerprint"))
        latest[(fingerprint, num(alert.get("starts_at"))) if fingerprint else i] = alert
    return sorted(latest.values(), key=lambda a: (num(a.get("starts_at")) is None, num(a.get("starts_at")) or 0.0))


def alerts_section(ctx: Context) -> Html:
    episodes = alert_episodes(ctx.current)
    if not episodes:
        body = '<p class="muted">No alert fired in this range.</p>'
    else:
        rows = []
        for alert in episodes:
            labels = mapping(alert, "labels")
            shown = ", ".join(f"{k}={text(v)}" for k, v in sorted(labels.items()) if k not in _NOISE_LABELS)
            rows.append(
                [
                    esc(text(alert.get("rule"))),
                    badge(text(alert.get("severity"))),
                    esc(text(alert.get("status"))),
                    f"<code>{esc(shown)}</code>" if shown else "—",
                    ctx.clock(num(alert.get("starts_at"))),
                    ctx.clock(num(alert.get("ends_at"))),
                ]
            )
        body = table(
            f"Alerts ({len(episodes)})",
            ["Rule", "Severity", "Status", "Labels", "Started", "Ended"],
            rows,
            cell_classes=["", "", "", "", "t", "t"],
        )
    return f'<section id="alerts" aria-labelledby="alerts-h"><h2 id="alerts-h">Alerts</h2>{body}</section>'


def dead_letters_section(ctx: Context) -> Html:
    letters = items(ctx.report, "dead_letters")
    total = num(mapping(ctx.report, "stats").get("dead_lettered"))
    rows = [
        [
            ctx.clock(num(d.get("ts"))),
            esc(text(d.get("topic"))),
            _integer(d.get("partition")),
            _integer(d.get("offset")),
            esc(text(d.get("reason"))),
            f"<code>{esc(text(d.get('field')))}</code>" if d.get("field") else "—",
            f"<code>{esc(text(d.get('preview')))}</code>" if d.get("preview") else "—",
        ]
        for d in letters
    ]
    body = _body(
        rows,
        total,
        "Dead-lettered events",
        ["Time (UTC)", "Topic", "Partition", "Offset", "Reason", "Field", "Preview"],
        ["t", "", "n", "n", "", "", "preview"],
        "No event was dead-lettered in this range.",
    )
    return (
        f'<section id="dead-letters" aria-labelledby="dead-letters-h"><h2 id="dead-letters-h">Dead-lettered events</h2>'
        f"{body}</section>"
    )


def late_section(ctx: Context) -> Html:
    late = items(ctx.report, "late")
    total = num(mapping(ctx.report, "stats").get("late"))
    rows = [
        [
            ctx.clock(num(entry.get("ts"))),
            esc(text(entry.get("topic"))),
            esc(text(entry.get("service")) or "—"),
            esc(count(num(entry.get("count")))),
        ]
        for entry in late
    ]
    listed = sum(num(entry.get("count")) or 0 for entry in late)
    body = _body(
        rows,
        total,
        "Late events",
        ["Time (UTC)", "Topic", "Service", "Events"],
        ["t", "", "", "n"],
        "No event arrived too late in this range.",
        listed=listed,
        wide=False,
    )
    return f'<section id="late" aria-labelledby="late-h"><h2 id="late-h">Late events</h2>{body}</section>'


def _body(
    rows: list[list[Html]],
    total: float | None,
    caption: str,
    headers: list[str],
    classes: list[str],
    empty: str,
    *,
    listed: float | None = None,
    wide: bool = True,
) -> Html:
    if not rows:
        if total:
            return f'<p class="muted">{esc(count(total))} in this range; the report lists none of them.</p>'
        return f'<p class="muted">{esc(empty)}</p>'
    listed = len(rows) if listed is None else listed
    note = ""
    if total is not None and total > listed:
        note = f'<p class="muted">The table lists {esc(count(listed))} of {esc(count(total))}.</p>'
    return note + table(f"{caption} ({count(listed)})", headers, rows, cell_classes=classes, wide=wide)


def _integer(value: Any) -> Html:
    """A partition or an offset: digits without separators; `—` when unknown."""
    number = num(value)
    return "—" if number is None else str(round(number))
