"""Prometheus-style durations: `10s`, `5m`, `1h30m`, `30d`, `500ms`, `0`.

Units, largest first, each at most once: y (365 d), w, d, h, m, s, ms.
A bare number is not a duration (was `10` seconds or minutes?), except `0`.
"""

from __future__ import annotations

import re

__all__ = ["format_duration", "parse_duration"]

_UNITS: tuple[tuple[str, float], ...] = (
    ("y", 365 * 86400.0),
    ("w", 7 * 86400.0),
    ("d", 86400.0),
    ("h", 3600.0),
    ("m", 60.0),
    ("s", 1.0),
    ("ms", 0.001),
)
_PATTERN = re.compile("".join(f"(?:(?P<{unit}>[0-9]+){unit})?" for unit, _ in _UNITS))


def parse_duration(text: str) -> float:
    """Seconds in `text`; ValueError with a readable reason when it is not a duration."""
    text = text.strip()
    if text == "0":
        return 0.0
    m = _PATTERN.fullmatch(text) if text else None
    if m is None or not any(m.groupdict().values()):
        raise ValueError(f"not a duration: {text!r} (expected e.g. 10s, 5m, 1h30m, 30d)")
    return sum(int(v) * scale for (unit, scale), v in zip(_UNITS, m.groups(), strict=True) if v is not None)


def format_duration(seconds: float) -> str:
    """The shortest duration string for `seconds`: 90 → `1m30s`, 0 → `0s`."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    ms = round(abs(seconds) * 1000)
    parts = []
    for unit, scale in _UNITS[2:]:  # weeks and years read worse than days
        n, ms = divmod(ms, round(scale * 1000))
        if n:
            parts.append(f"{n}{unit}")
    return sign + "".join(parts)
