"""Bytes <-> records: strict JSON codecs for every Vigil topic.

Decoding is ``orjson.loads`` then ``msgspec.convert(..., strict=True)``.
orjson refuses NaN/Infinity literals and numbers that overflow a double,
so a decoded record only ever holds finite floats. Encoding validates the
record the same way decoding would, so Vigil never writes what it cannot
read back; orjson would otherwise write a NaN as ``null``.

Every failure is a :class:`SchemaError`.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec
import orjson

from schemas._json_errors import find_unrepresentable, from_json_error
from schemas._validation_errors import from_validation_error
from schemas.base import Record
from schemas.errors import SchemaError
from schemas.topics import TOPIC_RECORDS

__all__ = ["MAX_RECORD_BYTES", "decode", "decode_for_topic", "encode"]

MAX_RECORD_BYTES = 64 * 1024
"""Largest encoded record accepted or produced; checked before parsing."""

R = TypeVar("R", bound=msgspec.Struct)

Raw = bytes | bytearray | memoryview | str


def decode(record_type: type[R], raw: Raw | None) -> R:
    """Parse and validate one record of ``record_type`` from JSON bytes.

    ``raw`` is normally the Kafka message value. A ``None`` value (a
    tombstone) is a SchemaError like any other bad record.
    """
    if raw.__class__ is not bytes:
        raw = _as_bytes(raw)
    if len(raw) > MAX_RECORD_BYTES:
        raise SchemaError("$", f"record is {len(raw)} bytes, limit is {MAX_RECORD_BYTES}")
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise from_json_error(raw, exc) from exc
    try:
        return msgspec.convert(obj, record_type, strict=True)
    except msgspec.ValidationError as exc:
        raise from_validation_error(record_type, obj, exc) from exc


def decode_for_topic(topic: str, raw: Raw | None) -> Record:
    """Decode ``raw`` as the record type registered for ``topic``.

    An unregistered topic is a wiring mistake, not bad data: KeyError.
    """
    try:
        record_type = TOPIC_RECORDS[topic]
    except KeyError:
        known = ", ".join(sorted(TOPIC_RECORDS))
        raise KeyError(f"no record type for topic {topic!r}; known topics: {known}") from None
    return decode(record_type, raw)


def encode(record: msgspec.Struct) -> bytes:
    """Validate ``record`` and return its JSON bytes.

    Refuses (SchemaError) anything :func:`decode` would refuse: non-finite
    floats (every float field is bounded, see ``fields.Finite``), out-of-range
    fields, wrong types smuggled past the constructor (msgspec constructors
    do not check types), and records larger than MAX_RECORD_BYTES.
    """
    if not isinstance(record, msgspec.Struct):
        raise TypeError(f"encode() takes a record, got {type(record).__name__}")
    try:
        obj = msgspec.to_builtins(record)
    except (TypeError, ValueError) as exc:
        raise SchemaError("$", f"cannot be encoded: {exc}") from exc
    record_type = type(record)
    try:
        msgspec.convert(obj, record_type, strict=True)
    except msgspec.ValidationError as exc:
        raise from_validation_error(record_type, obj, exc) from exc
    try:
        raw = orjson.dumps(obj)
    except orjson.JSONEncodeError as exc:
        found = find_unrepresentable(obj, strings=True)
        raise SchemaError(*(found or ("$", f"cannot be encoded: {exc}"))) from exc
    if len(raw) > MAX_RECORD_BYTES:
        raise SchemaError("$", f"record is {len(raw)} bytes, limit is {MAX_RECORD_BYTES}")
    return raw


def _as_bytes(raw: Raw | None) -> bytes:
    if raw is None:
        raise SchemaError("$", "record is empty (null message value, e.g. a tombstone)")
    if isinstance(raw, bytes | bytearray | memoryview):
        return bytes(raw)
    if isinstance(raw, str):
        # surrogatepass: a lone surrogate becomes bytes orjson rejects as bad UTF-8.
        return raw.encode("utf-8", "surrogatepass")
    raise TypeError(f"raw must be bytes or str, got {type(raw).__name__}")
