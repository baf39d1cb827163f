"""SchemaErrors for bytes that are not JSON, or not JSON Vigil can hold.

orjson rejects NaN/Infinity literals, numbers that overflow a double and
lone surrogate escapes without saying where they are; these helpers find
the field.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from schemas._paths import render_path
from schemas.errors import SchemaError

__all__ = ["find_unrepresentable", "from_json_error"]

_LENIENT_MAX_BRACKETS = 256


def find_unrepresentable(obj: Any, *, strings: bool, parsed: bool = False) -> tuple[str, str] | None:
    """The first non-finite float (and, if ``strings``, lone surrogate) in ``obj``.

    ``parsed``: ``obj`` came from the lenient JSON parser, where an infinity
    means a number literal too large for a double. Returns (JSON path,
    problem) or None. Iterative, so depth cannot blow the stack.
    """
    stack: list[tuple[list[str | int], Any]] = [([], obj)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                if isinstance(value, _NonFiniteLiteral):
                    problem = f"{value.literal} is not valid JSON; numbers must be finite"
                elif parsed and math.isinf(value):
                    problem = "number is out of range (overflows to infinity); numbers must be finite"
                else:
                    problem = f"{'NaN' if math.isnan(value) else value} is not allowed; numbers must be finite"
                return render_path(path), problem
        elif isinstance(value, str):
            if strings and not _is_unicode(value):
                return render_path(path), "string contains a lone surrogate; it is not valid Unicode"
        elif isinstance(value, dict):
            for key in value:
                if strings and isinstance(key, str) and not _is_unicode(key):
                    return render_path(path), "a key contains a lone surrogate; it is not valid Unicode"
            stack.extend(reversed([([*path, k], v) for k, v in value.items()]))
        elif isinstance(value, list | tuple):
            stack.extend(reversed([([*path, i], v) for i, v in enumerate(value)]))
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _NonFiniteLiteral(float):
    """A NaN/Infinity/-Infinity literal, as the lenient stdlib parser saw it."""

    literal: str

    def __new__(cls, literal: str) -> _NonFiniteLiteral:
        self = super().__new__(cls, literal)
        self.literal = literal
        return self


def from_json_error(raw: bytes, exc: orjson.JSONDecodeError) -> SchemaError:
    """A SchemaError for bytes orjson refused to parse."""
    if not raw:
        return SchemaError("$", "record is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        return SchemaError("$", f"not valid UTF-8: byte 0x{raw[bad.start]:02x} at offset {bad.start}")
    # orjson rejects NaN/Infinity literals, numbers that overflow a double and
    # lone surrogate escapes without saying where they are. The stdlib parser
    # accepts all of those, so if it can read the text we can name the field.
    # It recurses in C, so only hand it shallow documents (bracket count bounds
    # the depth even if an application raised the recursion limit).
    if text.count("[") + text.count("{") <= _LENIENT_MAX_BRACKETS:
        try:
            lenient = json.loads(text, parse_constant=_NonFiniteLiteral)
        except (ValueError, RecursionError):
            pass
        else:
            found = find_unrepresentable(lenient, strings=True, parsed=True)
            if found is not None:
                return SchemaError(*found)
    return SchemaError("$", f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
