"""The what-if section: the same range under the alternative config, compared with the current one.

`diff.both[].detect_delta_s` is the alternative's detection time minus the
current one's: negative means the alternative config detected the
incident earlier (time gained), positive later (time lost).
`diff.notifications_saved` is how many fewer notifications the
alternative would have sent (negative: more).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vigil.report.context import Context
from vigil.report.fields import items, mapping, num, strings, text
from vigil.report.humanize import count, duration, esc
from vigil.report.markup import Html, badge, table
from vigil.report.tables import alert_episodes

__all__ = ["what_if_section"]


def what_if_section(ctx: Context) -> Html:
    diff = ctx.report.get("diff")
    if not isinstance(diff, Mapping):
        return ""
    config = mapping(ctx.report, "config")
    current_cfg = ", ".join(strings(config.get("current"))) or "the current config"
    alternative_cfg = ", ".join(strings(config.get("alternative"))) or "the alternative config"
    parts = [
        '<section id="what-if" aria-labelledby="what-if-h"><h2 id="what-if-h">What if</h2>',
        f"<p>The same range replayed under <code>{esc(alternative_cfg)}</code> "
        f"instead of <code>{esc(current_cfg)}</code>.</p>",
        _side_by_side(ctx),
        _saved(num(diff.get("notifications_saved"))),
        _detection(ctx, items(diff, "both")),
        _only("Opened only under the current config", ctx, items(diff, "only_current"), link=True),
        _only("Opened only under the alternative config", ctx, items(diff, "only_alternative"), link=False),
        "</section>",
    ]
    return "".join(parts)


def _side_by_side(ctx: Context) -> Html:
    def counts(run: Mapping[str, Any] | None) -> list[float | None]:
        if run is None:
            return [None, None, None]
        return [len(items(run, "incidents")), len(alert_episodes(run)), len(items(run, "notifications"))]

    rows = []
    for label, now, then in zip(
        ("Incidents", "Alerts", "Notifications"), counts(ctx.current), counts(ctx.alternative), strict=True
    ):
        change = "—" if now is None or then is None else "0" if then == now else f"{then - now:+,.0f}".replace("-", "−")
        rows.append([esc(label), esc(count(now)), esc(count(then)), esc(change)])
    return table(
        "Side by side",
        ["", "Current", "Alternative", "Change"],
        rows,
        cell_classes=["", "n", "n", "n"],
        row_header=True,
    )


def _saved(saved: float | None) -> Html:
    if saved is None:
        return ""
    if saved > 0:
        return f'<p><span class="gain">{esc(count(saved))} notifications saved</span>: the alternative sends fewer.</p>'
    if saved < 0:
        return f'<p><span class="loss">{esc(count(-saved))} more notifications</span> under the alternative.</p>'
    return "<p>The same number of notifications either way.</p>"


def _detection(ctx: Context, pairs: list[Mapping[str, Any]]) -> Html:
    if not pairs:
        return ""
    alternative_titles = {
        text(i.get("id")): text(i.get("title")) for i in items(ctx.alternative or {}, "incidents") if i.get("id")
    }
    current_titles = {text(i.get("id")): text(i.get("title")) for i in ctx.incidents() if i.get("id")}
    rows = []
    gained = lost = 0.0
    for pair in pairs:
        now, then = text(pair.get("current")), text(pair.get("alternative"))
        delta = num(pair.get("detect_delta_s"))
        if delta is None:
            verdict = "unknown"
        elif delta < 0:
            gained += -delta
            verdict = f'<span class="gain">{esc(duration(-delta))} earlier</span>'
        elif delta > 0:
            lost += delta
            verdict = f'<span class="loss">{esc(duration(delta))} later</span>'
        else:
            verdict = "same time"
        rows.append(
            [
                _incident_ref(ctx, now, current_titles.get(now, ""), link=True),
                _incident_ref(ctx, then, alternative_titles.get(then, ""), link=False),
                verdict,
            ]
        )
    noun = "incident" if len(pairs) == 1 else "incidents"
    summary = (
        f'<p>Detection under the alternative: <span class="gain">{esc(duration(gained))} gained</span>, '
        f'<span class="loss">{esc(duration(lost))} lost</span> over {len(pairs)} {noun} both opened.</p>'
    )
    table_html = table(
        "Incidents both configs opened",
        ["Current", "Alternative", "Alternative detects"],
        rows,
        cell_classes=["", "", "t"],
    )
    return "<h3>Detection time</h3>" + summary + table_html


def _only(heading: str, ctx: Context, incidents: list[Mapping[str, Any]], *, link: bool) -> Html:
    if not incidents:
        return f'<h3>{esc(heading)}</h3><p class="muted">None.</p>'
    entries = []
    for incident in incidents:
        ident = text(incident.get("id"))
        ref = _incident_ref(ctx, ident, text(incident.get("title")), link=link)
        services = ", ".join(strings(incident.get("services")))
        opened = num(incident.get("opened_at"))
        detail = " · ".join(
            part
            for part in (
                f"opened {ctx.clock(opened)}" if opened is not None else "",
                esc(services),
            )
            if part
        )
        entries.append(
            f"<li>{ref} {badge(text(incident.get('severity')))}" + (f" — {detail}" if detail else "") + "</li>"
        )
    return f'<h3>{esc(heading)}</h3><ul class="plain">{"".join(entries)}</ul>'


def _incident_ref(ctx: Context, ident: str, title: str, *, link: bool) -> Html:
    label = esc(title or ident or "unknown incident")
    code = f" <code>{esc(ident)}</code>" if ident and title else ""
    anchor = ctx.anchors.get(ident) if link else None
    return f'<a href="#{anchor}">{label}</a>{code}' if anchor else f"{label}{code}"
