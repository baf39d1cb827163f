"""JSON paths and value previews for error messages."""

from __future__ import annotations

import re
from typing import Any

import orjson

__all__ = ["preview", "render_path"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_VALUE_PREVIEW = 60


def render_path(path: list[str | int]) -> str:
    """``["labels", "route"]`` -> ``$.labels.route``; odd keys use ``["a.b"]``."""
    out = ["$"]
    for seg in path:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif _IDENT.match(seg):
            out.append(f".{seg}")
        else:
            out.append(f"[{preview(seg)}]")
    return "".join(out)


def preview(value: Any) -> str:
    """The value as JSON text (as the producer wrote it), shortened."""
    if isinstance(value, str) and len(value) > _VALUE_PREVIEW:
        value = value[: _VALUE_PREVIEW - 3] + "…"
    try:
        text = orjson.dumps(value).decode()
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > _VALUE_PREVIEW:
        text = text[: _VALUE_PREVIEW - 1] + "…"
    return text
