"""What every section needs to know about the whole report: its range, runs and incident numbers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vigil.report.charts import Span
from vigil.report.fields import items, mapping, num, text
from vigil.report.humanize import utc
from vigil.report.markup import Html, time

__all__ = ["Context"]


@dataclass
class Context:
    """The report being rendered, read once; sections ask it for times, anchors and chart ids."""

    report: Mapping[str, Any]
    start: float  #: the range's start, Unix seconds
    end: float  #: the range's end (after `start`)
    current: Mapping[str, Any]  #: the run under the current config (empty when missing)
    alternative: Mapping[str, Any] | None  #: the run under the alternative config, if any
    anchors: dict[str, str]  #: incident id → the id of its article on the page
    range_known: bool = True  #: False when the report says nothing about its range (start and end are made up)
    _chart_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @classmethod
    def of(cls, report: Mapping[str, Any]) -> Context:
        runs = mapping(report, "runs")
        current = mapping(runs, "current")
        alternative = runs.get("alternative")
        start, end, known = _range(report, current)
        anchors: dict[str, str] = {}
        for n, incident in enumerate(items(current, "incidents"), 1):
            anchors.setdefault(text(incident.get("id")), f"incident-{n}")
        return cls(
            report=report,
            start=start,
            end=end,
            current=current,
            alternative=alternative if isinstance(alternative, Mapping) else None,
            anchors=anchors,
            range_known=known,
        )

    def chart_id(self) -> str:
        """A fresh id for the next chart on the page (`chart-1`, `chart-2`, …)."""
        return f"chart-{next(self._chart_ids)}"

    def clock(self, ts: float | None) -> Html:
        """A time within the range: `12:03:05`, with the date when the range spans days."""
        same_day = utc(self.start, "%Y-%m-%d") == utc(self.end, "%Y-%m-%d")
        return time(ts, "%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S")

    def incidents(self) -> list[Mapping[str, Any]]:
        return items(self.current, "incidents")

    def span(self, incident: Mapping[str, Any], number: int) -> Span | None:
        """The incident as a chart mark: from when it opened (or was detected) until it resolved."""
        opened = num(incident.get("opened_at"))
        if opened is None:
            opened = num(incident.get("detected_at"))
        if opened is None:
            return None
        resolved = num(incident.get("resolved_at"))
        until = f"resolved {utc(resolved, '%H:%M:%S')}" if resolved is not None else "still open"
        title = text(incident.get("title")) or text(incident.get("id")) or "incident"
        return Span(
            start=opened,
            end=resolved,
            label=f"#{number}",
            title=f"Incident #{number}: {title} (opened {utc(opened, '%H:%M:%S')}, {until} UTC)",
            key=text(incident.get("id")),
        )


def _range(report: Mapping[str, Any], run: Mapping[str, Any]) -> tuple[float, float, bool]:
    """(start, end, known): the report's range; from the ISO strings, else from its data, when numbers are missing."""
    bounds = mapping(report, "range")
    start = _instant(bounds.get("from_ts"))
    end = _instant(bounds.get("to_ts"))
    start = start if start is not None else _parse_iso(bounds.get("from"))
    end = end if end is not None else _parse_iso(bounds.get("to"))
    if start is None or end is None:
        seen = [
            ts
            for series in items(run, "series")
            for point in (series.get("points") or [])
            if isinstance(point, list | tuple) and point
            for ts in [_instant(point[0])]
            if ts is not None
        ]
        for incident in items(run, "incidents"):
            seen.extend(ts for key in ("opened_at", "resolved_at") if (ts := _instant(incident.get(key))) is not None)
        if start is None and end is None and not seen:
            return 0.0, 3600.0, False
        start = start if start is not None else min(seen, default=(end or 0.0) - 3600.0)
        end = end if end is not None else max(seen, default=start + 3600.0)
    if not end > start:
        end = start + 1.0
    return start, end, True


def _instant(value: Any) -> float | None:
    """A Unix time a calendar holds (years 1 to 9999); None otherwise."""
    ts = num(value)
    return ts if ts is not None and -62_135_596_800 <= ts <= 253_402_300_799 else None


def _parse_iso(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.timestamp() if parsed.tzinfo is not None else None
