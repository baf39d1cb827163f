"""Text for people: escaped strings, UTC times, durations, counts and values with their units.

Every string that reaches the page goes through `esc`: report data comes
from user events (titles, log previews, labels) and is never trusted.
"""

from __future__ import annotations

import html
import math
import re
from datetime import UTC, datetime
from typing import Any

__all__ = ["count", "display_unit", "duration", "esc", "iso", "linkify", "utc", "value"]

_URL = re.compile(r"https?://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]]")


def esc(text: Any) -> str:
    """`text` as HTML text or attribute value (quotes escaped too); null is empty."""
    return "" if text is None else html.escape(str(text), quote=True)


def linkify(text: str) -> str:
    """`text` escaped, with its http(s) URLs as links (followed only when clicked, never loaded)."""
    out: list[str] = []
    last = 0
    for m in _URL.finditer(text):
        url = m.group(0)
        out.append(esc(text[last : m.start()]))
        out.append(f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">{esc(url)}</a>')
        last = m.end()
    out.append(esc(text[last:]))
    return "".join(out)


def utc(ts: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Unix seconds as a UTC time, e.g. `2026-01-01 12:03:05`; `invalid time` beyond what a calendar holds."""
    try:
        return datetime.fromtimestamp(ts, UTC).strftime(fmt)
    except (OverflowError, OSError, ValueError):
        return "invalid time"


def iso(ts: float) -> str:
    """Unix seconds as ISO 8601 in UTC, for `<time datetime=…>`: `2026-01-01T12:03:05Z`."""
    return utc(ts, "%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: float) -> str:
    """A duration people read at a glance: `850ms`, `4.5s`, `45s`, `2m 30s`, `1h 5m`, `3d 4h`."""
    if seconds < 0:
        return "-" + duration(-seconds)
    if seconds == 0:
        return "0s"
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    if seconds < 10:
        return f"{seconds:.1f}".removesuffix(".0") + "s"
    rest = round(seconds)
    parts: list[str] = []
    for unit, scale in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        n, rest = divmod(rest, scale)
        if n or parts:
            parts.append(f"{n}{unit}")
    parts = parts[:2]
    while len(parts) > 1 and parts[-1].startswith("0"):
        parts.pop()
    return " ".join(parts)


def count(n: float | None) -> str:
    """A count with thousands separators; `—` when unknown."""
    return "—" if n is None else f"{round(n):,}"


def display_unit(unit: str | None, largest: float) -> tuple[float, str]:
    """(factor, suffix) to show values of `unit` whose largest magnitude is `largest`.

    `s` turns into `ms` below one second; `%` and `ratio` values are fractions
    (0.05 is 5 %, as rule thresholds and `{value:.0%}` summaries have them);
    any other unit is shown as it is, after a space.
    """
    if unit == "s":
        return (1000.0, "ms") if largest < 1 else (1.0, "s")
    if unit in ("%", "ratio"):
        return 100.0, "%"
    if unit == "ms":
        return 1.0, "ms"
    return 1.0, f" {unit}" if unit else ""


def value(number: float | None, unit: str | None) -> str:
    """One value with its unit, 3 significant digits: `1.51s`, `480ms`, `5%`, `12 rps`."""
    if number is None:
        return "—"
    factor, suffix = display_unit(unit, abs(number))
    shown = number * factor
    if not math.isfinite(shown):  # too large to scale: as it is
        return f"{number:.3g}" + (f" {unit}" if unit else "")
    return _significant(shown) + suffix


def _significant(x: float, digits: int = 3) -> str:
    if x == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}".rstrip("0").rstrip(".") if decimals else f"{x:,.0f}"
