"""Reading an untrusted JSON body, one element at a time.

Each reader checks one element and, when it is wrong, raises IntakeError(400)
naming it by its path in the body (``alerts[3].labels.instance``). Values
from the body are never echoed whole: a path or a value in a message is cut
to a few dozen characters.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from schemas.fields import MAX_TS
from streams.intake.errors import IntakeError
from streams.intake.rfc3339 import parse_rfc3339

__all__ = [
    "MAX_BODY_BYTES",
    "bad",
    "child",
    "describe",
    "load",
    "object_at",
    "optional_string",
    "shown",
    "string_map",
    "timestamp",
]

MAX_BODY_BYTES = 1 << 20
"""Largest body accepted (1 MiB); a larger one is refused with 413 before parsing."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*", re.ASCII)
_SHOWN = 60


def bad(where: str, problem: str) -> IntakeError:
    return IntakeError(400, f"{where}: {problem}")


def shown(value: str) -> str:
    """``value`` quoted for a message, cut to a readable length."""
    return orjson.dumps(value if len(value) <= _SHOWN else value[:_SHOWN] + "…").decode()


def child(where: str, key: str) -> str:
    """Path of ``key`` inside the object at ``where``: ``.name``, or ``["odd key"]``."""
    if _IDENTIFIER.fullmatch(key) and len(key) <= _SHOWN:
        return f"{where}.{key}"
    return f"{where}[{shown(key)}]"


def load(body: bytes | bytearray | memoryview) -> Any:
    """The body as JSON; 413 if over MAX_BODY_BYTES, 400 if not JSON."""
    if not isinstance(body, bytes | bytearray | memoryview):
        raise IntakeError(400, f"body: must be bytes, got {type(body).__name__}")
    if len(body) > MAX_BODY_BYTES:
        raise IntakeError(413, f"body: {len(body)} bytes is over the limit of {MAX_BODY_BYTES}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad("body", f"not valid JSON ({exc})") from None


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "an object"
    )


def describe(value: Any) -> str:
    """A found value for a message: a short string quoted, else what kind of value it is."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)[:_SHOWN]
    return shown(value) if isinstance(value, str) else _type_name(value)


def object_at(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(where, f"must be an object, got {_type_name(value)}")
    return value


def optional_string(value: Any, where: str) -> str | None:
    """A string, or None when the element is absent or null."""
    if value is None or isinstance(value, str):
        return value
    raise bad(where, f"must be a string, got {_type_name(value)}")


def string_map(value: Any, where: str, *, required: bool) -> dict[str, str]:
    """An object whose values are all strings (a Prometheus label set); null is empty unless required."""
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        shape = "missing" if value is None else f"got {_type_name(value)}"
        raise bad(where, f"must be an object of strings, {shape}")
    for key, item in value.items():
        if not isinstance(item, str):
            raise bad(child(where, key), f"must be a string, got {_type_name(item)}")
    return value


def timestamp(value: Any, where: str) -> float | None:
    """Unix seconds of an RFC 3339 string; None when absent, null, empty or Go's zero time."""
    text = optional_string(value, where)
    if not text:
        return None
    try:
        seconds = parse_rfc3339(text)
    except ValueError as exc:
        raise bad(where, f"{shown(text)} {exc}") from None
    if seconds is not None and not 0 < seconds < MAX_TS:
        raise bad(where, f"{shown(text)} is out of range (after 1970 and before year 5138)")
    return seconds
