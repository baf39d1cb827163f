"""Untrusted input to the HTTP API: query strings and JSON bodies, checked.

Each reader raises ApiError(400) naming the parameter or body field and
what is wrong with it (``body.matchers[1]: not a label matcher …``), or
ApiError(413) for a body over MAX_BODY_BYTES. Values from the request are
cut to a few dozen characters before they appear in a message. Pure: the
current time is passed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from correlator.durations import parse_duration
from correlator.rules import Matcher
from schemas import IncidentStatus, Severity
from schemas.fields import MAX_TS
from streams.api.errors import ApiError
from streams.api.readmodel import IncidentQuery

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_LIMIT",
    "MAX_MATCHERS",
    "MAX_SILENCE_SECONDS",
    "SilenceRequest",
    "flag_param",
    "incident_query",
    "json_body",
    "no_query",
    "note_body",
    "silence_body",
]

MAX_BODY_BYTES = 64 * 1024
"""Largest request body read; a larger one is refused with 413 before parsing."""
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_MATCHERS = 16  # schemas.SilenceSpec's limits
MAX_SILENCE_SECONDS = 365 * 86400.0
MAX_NOTE = 16384
MAX_COMMENT = 1024
_SHOWN = 60

_STATUSES = tuple(s.value for s in IncidentStatus)
_SEVERITIES = tuple(s.value for s in Severity)
_DURATION = re.compile(r"(?:[0-9]+(?:ms|[ywdhms]))+")
_QUERY_KEYS = ("status", "severity", "service", "since", "until", "limit")


def bad(where: str, problem: str) -> ApiError:
    return ApiError(400, f"{where}: {problem}")


def shown(value: object) -> str:
    """``value`` quoted for a message, cut to a readable length."""
    text = value if isinstance(value, str) else repr(value)
    return orjson.dumps(text if len(text) <= _SHOWN else text[:_SHOWN] + "…").decode()


# -- query strings ----------------------------------------------------------------------------------


def incident_query(params: Mapping[str, str] | Any, *, now: float) -> IncidentQuery:
    """``GET /api/incidents`` parameters; ``params`` is a multidict (repeats and commas both list)."""
    unknown = sorted({k for k in params if k not in _QUERY_KEYS})
    if unknown:
        raise bad(f"query parameter {shown(unknown[0])}", f"unknown (known: {', '.join(_QUERY_KEYS)})")
    statuses = _choices(params, "status", _STATUSES)
    if "open" in _values(params, "status"):
        statuses = statuses | {"triggered", "acknowledged"}
    severities = _choices(params, "severity", _SEVERITIES)
    services = set(_values(params, "service"))
    since = _time_param(params, "since", now)
    until = _time_param(params, "until", now)
    if since is not None and until is not None and until <= since:
        raise bad("query parameter until", "must be later than since")
    limit = DEFAULT_LIMIT
    if "limit" in params:
        text = _single(params, "limit")
        if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
            raise bad("query parameter limit", f"must be a whole number from 1 to {MAX_LIMIT}, got {shown(text)}")
        limit = int(text)
    return IncidentQuery(
        statuses=frozenset(statuses),
        severities=frozenset(severities),
        services=frozenset(services),
        since=since,
        until=until,
        limit=limit,
    )


def flag_param(params: Mapping[str, str] | Any, name: str, *, allowed: Collection[str] = ()) -> bool:
    """A boolean query parameter (true/false/1/0); other parameters than ``allowed`` are refused."""
    unknown = sorted({k for k in params if k not in allowed})
    if unknown:
        known = ", ".join(allowed) or "none"
        raise bad(f"query parameter {shown(unknown[0])}", f"unknown (known: {known})")
    if name not in params:
        return False
    text = _single(params, name).lower()
    if text not in ("true", "false", "1", "0", ""):
        raise bad(f"query parameter {name}", f"must be true or false, got {shown(text)}")
    return text in ("true", "1", "")


def no_query(params: Mapping[str, str] | Any) -> None:
    """Refuse any query parameter (for endpoints that take none)."""
    flag_param(params, "", allowed=())


def _values(params: Any, name: str) -> list[str]:
    getall = getattr(params, "getall", None)
    raw = getall(name, []) if getall is not None else ([params[name]] if name in params else [])
    return [v.strip() for item in raw for v in item.split(",") if v.strip()]


def _single(params: Any, name: str) -> str:
    getall = getattr(params, "getall", None)
    raw = getall(name, []) if getall is not None else [params[name]]
    if len(raw) != 1:
        raise bad(f"query parameter {name}", "given more than once")
    return str(raw[0]).strip()


def _choices(params: Any, name: str, allowed: tuple[str, ...]) -> set[str]:
    chosen = set()
    for value in _values(params, name):
        if value == "open" and name == "status":
            continue
        if value not in allowed:
            extra = ", open" if name == "status" else ""
            raise bad(f"query parameter {name}", f"unknown value {shown(value)} (known: {', '.join(allowed)}{extra})")
        chosen.add(value)
    return chosen


def _time_param(params: Any, name: str, now: float) -> float | None:
    if name not in params:
        return None
    text = _single(params, name)
    if _DURATION.fullmatch(text):
        return now - parse_duration(text)
    return parse_time(text, f"query parameter {name}", hint="Unix seconds, an ISO 8601 time or a duration ago (2h)")


def parse_time(value: object, where: str, *, hint: str = "Unix seconds or an ISO 8601 time") -> float:
    """Unix seconds from a number or an ISO 8601 / RFC 3339 string with an offset."""
    if isinstance(value, bool):
        raise bad(where, f"must be {hint}, not a boolean")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
            seconds = float(text)
        else:
            try:
                moment = datetime.fromisoformat(text) if len(text) <= 64 else None
            except ValueError:
                moment = None
            if moment is None:
                raise bad(where, f"not a time: {shown(text)} (expected {hint}, e.g. 2026-01-01T09:30:00Z)")
            if moment.tzinfo is None:
                raise bad(where, "needs a UTC offset, e.g. 2026-01-01T09:30:00Z")
            seconds = moment.timestamp()
    else:
        raise bad(where, f"must be {hint}, got {_type_name(value)}")
    if not (math.isfinite(seconds) and 0 < seconds < MAX_TS):
        raise bad(where, "out of range (Unix seconds, not milliseconds)")
    return seconds


# -- JSON bodies ------------------------------------------------------------------------------------


def json_body(raw: bytes, *, required: bool) -> dict[str, Any]:
    """The body as a JSON object; an empty body is ``{}`` unless ``required``."""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"body: {len(raw)} bytes is over the limit of {MAX_BODY_BYTES}")
    if not raw.strip():
        if required:
            raise bad("body", "missing; expected a JSON object")
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad("body", f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(body, dict):
        raise bad("body", f"must be a JSON object, got {_type_name(body)}")
    return body


def note_body(body: Mapping[str, Any], *, required: bool) -> str | None:
    """``{"note": "…"}`` for ack, resolve (optional) and comment (required)."""
    _only(body, ("note",))
    note = body.get("note")
    if note is None:
        if required:
            raise bad("body.note", "required")
        return None
    if not isinstance(note, str):
        raise bad("body.note", f"must be a string, got {_type_name(note)}")
    if required and not note.strip():
        raise bad("body.note", "must not be empty")
    if len(note) > MAX_NOTE:
        raise bad("body.note", f"is {len(note)} characters, the limit is {MAX_NOTE}")
    return note if note.strip() else None


@dataclass(frozen=True, slots=True)
class SilenceRequest:
    """A checked ``POST /api/silences`` body."""

    matchers: tuple[str, ...]
    starts_at: float
    ends_at: float
    comment: str


def silence_body(body: Mapping[str, Any], *, now: float) -> SilenceRequest:
    """``{"matchers": [...], "starts_at"?, "ends_at" | "duration", "comment"}``."""
    _only(body, ("matchers", "starts_at", "ends_at", "duration", "comment"))
    matchers = body.get("matchers")
    if matchers is None:
        raise bad("body.matchers", 'required, e.g. ["service=advisor-api"]')
    if not isinstance(matchers, list):
        raise bad("body.matchers", f"must be an array of strings, got {_type_name(matchers)}")
    if not 1 <= len(matchers) <= MAX_MATCHERS:
        raise bad("body.matchers", f"must hold 1 to {MAX_MATCHERS} matchers, got {len(matchers)}")
    parsed: list[Matcher] = []
    for i, text in enumerate(matchers):
        where = f"body.matchers[{i}]"
        if not isinstance(text, str):
            raise bad(where, f"must be a string, got {_type_name(text)}")
        if len(text) > 1024:
            raise bad(where, f"is {len(text)} characters, the limit is 1024")
        try:
            parsed.append(Matcher.parse(text))
        except (ValueError, re.error) as exc:
            raise bad(where, f"not a label matcher: {shown(text)} ({_why(exc)})") from None
    if all(_matches_empty(m) for m in parsed):
        raise bad("body.matchers", "would silence every alert; at least one matcher must need a label value")
    comment = body.get("comment")
    if comment is None:
        raise bad("body.comment", "required: say why")
    if not isinstance(comment, str):
        raise bad("body.comment", f"must be a string, got {_type_name(comment)}")
    if not comment.strip():
        raise bad("body.comment", "must not be empty: say why")
    if len(comment) > MAX_COMMENT:
        raise bad("body.comment", f"is {len(comment)} characters, the limit is {MAX_COMMENT}")
    starts_at = parse_time(body["starts_at"], "body.starts_at") if body.get("starts_at") is not None else now
    has_end, has_duration = body.get("ends_at") is not None, body.get("duration") is not None
    if has_end == has_duration:
        raise bad("body", "give exactly one of ends_at and duration")
    ends_at = parse_time(body["ends_at"], "body.ends_at") if has_end else starts_at + _duration(body["duration"])
    if ends_at <= now:
        raise bad("body.ends_at", "is in the past: the silence would already be over")
    if ends_at <= starts_at:
        raise bad("body.ends_at", "must be after starts_at")
    if ends_at - max(starts_at, now) > MAX_SILENCE_SECONDS:
        raise bad("body", "a silence may last at most 365 days")
    return SilenceRequest(
        matchers=tuple(m.strip() for m in matchers), starts_at=starts_at, ends_at=ends_at, comment=comment
    )


def _duration(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise bad("body.duration", f"must be a duration such as 2h or a number of seconds, got {_type_name(value)}")
    if isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise bad("body.duration", f"not a duration: {shown(value)} (expected e.g. 30m, 2h, 1d)") from None
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        raise bad("body.duration", "must be positive")
    if seconds > MAX_SILENCE_SECONDS:
        raise bad("body.duration", "a silence may last at most 365 days")
    return seconds


def _matches_empty(matcher: Matcher) -> bool:
    """Whether ``matcher`` holds for an alert without its label (so it narrows nothing)."""
    if matcher.op == "=":
        return matcher.value == ""
    if matcher.op == "!=":
        return matcher.value != ""
    found = re.fullmatch(f"(?:{matcher.value})", "") is not None
    return found if matcher.op == "=~" else not found


def _only(body: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        key = unknown[0]
        where = f"body.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,59}", key) else f"body[{shown(key)}]"
        raise bad(where, f"unknown field (known: {', '.join(allowed)})")


def _why(exc: Exception) -> str:
    if isinstance(exc, re.error):
        return f"bad regular expression: {exc.msg}"
    return 'expected label=value, label!=value, label=~regex or label!~regex, e.g. service="advisor-api"'


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array"}.get(
        type(value), "an object"
    )
