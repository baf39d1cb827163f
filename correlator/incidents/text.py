"""The words incidents are told in: titles, durations, change summaries.

People read these in Slack and on pagers, so they are short and plain,
and (like everything else here) a pure function of their inputs.
"""

from __future__ import annotations

from correlator.incidents.state import TrackedAlert
from schemas import Change, ChangeKind

__all__ = ["ago", "alert_name", "change_words", "clip", "title_for"]

MAX_TITLE = 512
MAX_TEXT = 1024


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ago(seconds: float) -> str:
    """A rounded duration for people: `45 s`, `3 min`, `2 h`, `3 d`."""
    seconds = abs(seconds)
    if seconds < 59.5:
        return f"{round(seconds)} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"


def alert_name(alert: TrackedAlert) -> str:
    """`ApiLatencyP95High on advisor-api`."""
    return f"{alert.alertname} on {alert.service}"


def title_for(alertname: str, service: str, summary: str | None) -> str:
    """The first alert's summary (prefixed with its service unless it names it), else alertname on service."""
    if summary and summary.strip():
        summary = " ".join(summary.split())
        text = summary if service in summary else f"{service}: {summary}"
    else:
        text = f"{alertname} on {service}"
    return clip(text, MAX_TITLE)


def change_words(change: Change) -> str:
    """`advisor-api 1.4.2 deployed` / `advisor-api config 42 applied`."""
    if change.kind == ChangeKind.DEPLOY:
        return f"{change.service} {change.version} deployed"
    return f"{change.service} config {change.version} applied"
