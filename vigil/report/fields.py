"""Tolerant reads of report.json: a missing key, a null or a value of the wrong type reads as empty.

The report comes from a replay that may have stopped early or from a newer
or older Vigil, so the page never trusts its shape: every read goes through
these helpers and falls back to an empty value instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["items", "mapping", "num", "strings", "text"]

_EMPTY: Mapping[str, Any] = {}


def mapping(parent: Any, key: str) -> Mapping[str, Any]:
    """`parent[key]` when both are mappings, else an empty mapping."""
    value = parent.get(key) if isinstance(parent, Mapping) else None
    return value if isinstance(value, Mapping) else _EMPTY


def items(parent: Any, key: str) -> list[Mapping[str, Any]]:
    """The mappings in the list `parent[key]`; other entries are dropped, a missing list is empty."""
    value = parent.get(key) if isinstance(parent, Mapping) else None
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [entry for entry in value if isinstance(entry, Mapping)]
    return []


def strings(value: Any) -> list[str]:
    """A list of strings from a list (non-null entries, as text) or a single string; else empty."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and not isinstance(value, bytes):
        return [text(entry) for entry in value if entry is not None]
    return []


def num(value: Any) -> float | None:
    """A finite number as float; None for null, booleans, strings, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond any float
        return None
    return number if math.isfinite(number) else None


def text(value: Any) -> str:
    """`value` as text; null is the empty string."""
    return "" if value is None else str(value)
