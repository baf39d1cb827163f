"""Turn msgspec validation failures into a SchemaError with a path and plain words.

Only the error path runs this code; decoding a good record never does.

msgspec reports errors as text such as ``Expected `float`, got `str` - at
`$.value```. It does not name the key of a failing dict entry (``$.labels[...]``
or ``at `key` in `$.labels```), so for those we find the entry ourselves by
checking each one against the declared key/value type.
"""

from __future__ import annotations

import enum
import math
import re
import types
import typing
from typing import Annotated, Any, Literal, Union

import msgspec

from schemas._paths import preview, render_path
from schemas.base import SCHEMA_VERSION
from schemas.errors import SchemaError
from schemas.fields import FINGERPRINT_PATTERN, MAX_TS

__all__ = ["from_validation_error"]

_AT = re.compile(r" - at (`key` in )?`(\$(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\[\.\.\.\])*)`\Z")
_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[(\.\.\.)\]")

_EXPECTED_GOT = re.compile(r"Expected `([^`]+)`, got `([^`]+)`\Z")
_LENGTH = re.compile(r"Expected `(str|object|array)` of length (<=|>=) (\d+)\Z")
_BOUND = re.compile(r"Expected `(?:float|int)` (<=|>=|<|>) (\S+)\Z")
_REGEX = re.compile(r"Expected `str` matching regex '(.*)'\Z")
_ENUM = re.compile(r"Invalid enum value ")
_UNKNOWN = re.compile(r"Object contains unknown field `")
_MISSING = re.compile(r"Object missing required field `([A-Za-z_][A-Za-z0-9_]*)`\Z")

# msgspec's type names -> JSON's.
_JSON_TYPE = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "null": "null",
    "array": "array",
    "object": "object",
}


def _json_types(msgspec_names: str) -> str:
    return " or ".join(_JSON_TYPE.get(n.strip(), n.strip()) for n in msgspec_names.split("|"))


# -- locating the failing value -------------------------------------------------


class _Location:
    """Where an error is: the path so far, the declared type there, the value."""

    __slots__ = ("metas", "path", "tp", "value")

    def __init__(self, path: list[str | int], tp: Any, metas: list[msgspec.Meta], value: Any):
        self.path = path
        self.tp = tp
        self.metas = metas
        self.value = value

    @property
    def leaf(self) -> str:
        names = [seg for seg in self.path if isinstance(seg, str)]
        return names[-1] if names else "$"


def _unwrap(tp: Any, value: Any) -> tuple[Any, list[msgspec.Meta]]:
    """Strip ``Annotated`` (keeping its Meta) and pick the Optional member ``value`` fits."""
    metas: list[msgspec.Meta] = []
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            base, *extras = typing.get_args(tp)
            metas.extend(m for m in extras if isinstance(m, msgspec.Meta))
            tp = base
        elif origin is Union or origin is types.UnionType:
            members = [m for m in typing.get_args(tp) if m is not type(None)]
            if value is None or len(members) != 1:
                return tp, metas
            tp = members[0]
        else:
            return tp, metas


def _struct_fields(tp: Any) -> dict[str, Any]:
    return {f.encode_name: f.type for f in msgspec.structs.fields(tp)}


def _first_failing(entries: dict[str, Any], key_type: Any, value_type: Any, *, keys: bool) -> str | None:
    for key, value in entries.items():
        try:
            if keys:
                msgspec.convert(key, key_type, strict=True)
            else:
                msgspec.convert(value, value_type, strict=True)
        except msgspec.ValidationError:
            return key
    return None


def _locate(root: type, obj: Any, segments: list[str | int | None]) -> _Location:
    """Follow msgspec's path through the declared types and the decoded object.

    ``None`` in ``segments`` stands for msgspec's ``[...]``: a dict entry it
    does not name; we find the first entry whose value fails.
    """
    tp, metas, value = root, [], obj
    path: list[str | int] = []
    for seg in segments:
        origin = typing.get_origin(tp)
        if seg is None:
            if origin is not dict or not isinstance(value, dict):
                break
            key_type, value_type = typing.get_args(tp)
            key = _first_failing(value, key_type, value_type, keys=False)
            if key is None:
                break
            path.append(key)
            value = value[key]
            tp, metas = _unwrap(value_type, value)
        elif isinstance(seg, int):
            if origin is not list or not isinstance(value, list) or seg >= len(value):
                break
            path.append(seg)
            value = value[seg]
            tp, metas = _unwrap(typing.get_args(tp)[0], value)
        else:
            if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)) or not isinstance(value, dict):
                break
            declared = _struct_fields(tp).get(seg)
            if declared is None or seg not in value:
                break
            path.append(seg)
            value = value[seg]
            tp, metas = _unwrap(declared, value)
    return _Location(path, tp, metas, value)


def _parse_segments(text: str) -> list[str | int | None]:
    segments: list[str | int | None] = []
    for name, index, _ in _SEGMENT.findall(text):
        if name:
            segments.append(name)
        elif index:
            segments.append(int(index))
        else:
            segments.append(None)
    return segments


# -- wording ---------------------------------------------------------------------


def _is_timestamp(loc: _Location) -> bool:
    return any(m.lt == MAX_TS for m in loc.metas)


def _version_problem(value: Any) -> str:
    return f"unsupported schema version {preview(value)}; this Vigil reads version {SCHEMA_VERSION}"


def _enum_values(tp: Any) -> list[str] | None:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return [str(member.value) for member in tp]
    if typing.get_origin(tp) is Literal:
        return [preview(v) for v in typing.get_args(tp)]
    return None


def _describe(text: str, loc: _Location) -> tuple[str | None, str]:
    """(extra path segment or None, problem) for one msgspec message at ``loc``."""
    value = loc.value
    is_version = loc.path == ["v"]

    if m := _MISSING.match(text):
        return m.group(1), "required field is missing"

    if _UNKNOWN.match(text) and isinstance(value, dict):
        known = _struct_fields(loc.tp)
        unknown = next((k for k in value if k not in known), None)
        return unknown, f"unknown field; {loc.tp.__name__} has: {', '.join(sorted(known))}"

    if _ENUM.match(text):
        if is_version:
            return None, _version_problem(value)
        allowed = _enum_values(loc.tp) or []
        return None, f"unknown value {preview(value)}; allowed: {', '.join(allowed)}"

    if m := _EXPECTED_GOT.match(text):
        if is_version:
            return None, _version_problem(value)
        got = _JSON_TYPE.get(m.group(2), m.group(2))
        allowed = _enum_values(loc.tp)
        if allowed is not None:
            return None, f"expected one of {', '.join(allowed)}; got {got}"
        if not loc.path:
            return None, f"record must be a JSON object, got {got}"
        return None, f"expected {_json_types(m.group(1))}, got {got}"

    if m := _LENGTH.match(text):
        kind, op, limit = m.group(1), m.group(2), int(m.group(3))
        size = len(value) if isinstance(value, str | list | dict) else None
        if kind == "str":
            if op == ">=":
                return None, "must not be empty" if limit == 1 else f"is {size} characters, minimum is {limit}"
            return None, f"is {size} characters, limit is {limit}"
        if kind == "object":
            what = "labels" if loc.leaf == "labels" else "entries"
            return None, f"too many {what}: {size}, limit is {limit}"
        return None, f"too many items: {size}, limit is {limit}"

    if m := _BOUND.match(text):
        if isinstance(value, float) and not math.isfinite(value):
            return None, f"{'NaN' if math.isnan(value) else value} is not allowed; numbers must be finite"
        if _is_timestamp(loc) and isinstance(value, int | float):
            if value >= MAX_TS:
                return None, f"{preview(value)} looks like milliseconds; {loc.leaf} is Unix seconds"
            if value <= 0:
                return None, f"must be a positive Unix time in seconds, got {preview(value)}"
        return None, f"must be {m.group(1)} {m.group(2)}, got {preview(value)}"

    if m := _REGEX.match(text):
        if m.group(1) == FINGERPRINT_PATTERN:
            return None, f"must be 16 lowercase hex characters, got {preview(value)}"
        return None, f"must match {m.group(1)}, got {preview(value)}"

    return None, text[:1].lower() + text[1:]


# -- entry points ----------------------------------------------------------------


def from_validation_error(record_type: type, obj: Any, exc: msgspec.ValidationError) -> SchemaError:
    """A SchemaError for msgspec's complaint about ``obj`` as a ``record_type``."""
    message = str(exc)
    try:
        return _from_validation_error(record_type, obj, exc, message)
    except Exception:
        return SchemaError("$", message)


def _from_validation_error(record_type: type, obj: Any, exc: msgspec.ValidationError, message: str) -> SchemaError:
    at = _AT.search(message)
    text = message[: at.start()] if at else message
    in_key = bool(at and at.group(1))
    loc = _locate(record_type, obj, _parse_segments(at.group(2)) if at else [])

    cause = exc.__cause__
    if isinstance(cause, SchemaError):  # raised by a record's __post_init__
        return SchemaError(render_path(loc.path) + cause.field[1:], cause.problem)

    if in_key and typing.get_origin(loc.tp) is dict and isinstance(loc.value, dict):
        key_type, value_type = typing.get_args(loc.tp)
        key = _first_failing(loc.value, key_type, value_type, keys=True)
        if key is not None:
            key_tp, key_metas = _unwrap(key_type, key)
            _, problem = _describe(text, _Location([*loc.path, key], key_tp, key_metas, key))
            return SchemaError(render_path(loc.path), f"key {preview(key)} {problem}")

    extra, problem = _describe(text, loc)
    path = loc.path if extra is None else [*loc.path, extra]
    return SchemaError(render_path(path), problem)
