"""Every way a record can be wrong is a SchemaError naming the field and the problem."""

from __future__ import annotations

import math
import pickle

import msgspec
import pytest

from schemas import (
    EXAMPLES,
    MAX_RECORD_BYTES,
    Alert,
    AlertStatus,
    IncidentEvent,
    LogEvent,
    MetricSample,
    SchemaError,
    decode,
    encode,
)

from .schema_factories import INVALID_CASES, raw_with


def _decode_error(record_type: type, raw) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        decode(record_type, raw)
    error = caught.value
    assert str(error) == f"{error.field}: {error.problem}"
    return error


@pytest.mark.parametrize(
    ("record_type", "changes", "field", "problem"),
    [case[1:5] for case in INVALID_CASES],
    ids=[case[0] for case in INVALID_CASES],
)
def test_invalid_payload(record_type: type, changes: dict, field: str, problem: str) -> None:
    error = _decode_error(record_type, raw_with(record_type, changes))
    assert error.field == field
    assert problem in error.problem
    assert isinstance(error.__cause__, msgspec.ValidationError)  # translated at the boundary


OVER = MAX_RECORD_BYTES + 1


@pytest.mark.parametrize(
    ("raw", "field", "problem"),
    [
        pytest.param(b'{"ts": 1.5,', "$", "invalid JSON: unexpected end of data (line 1, column 12)", id="truncated"),
        pytest.param(b"{'ts': 1}", "$", "invalid JSON", id="single-quotes"),
        pytest.param(b'{"service": "caf\xe9"}', "$", "not valid UTF-8: byte 0xe9 at offset 16", id="latin-1"),
        pytest.param(b"\xff\xfe{\x00}\x00", "$", "not valid UTF-8", id="utf-16"),
        pytest.param(b"", "$", "record is empty", id="empty"),
        pytest.param(None, "$", "record is empty (null message value", id="tombstone"),
        pytest.param(b"{}" + b" " * (OVER - 2), "$", f"record is {OVER} bytes, limit is 65536", id="too-large"),
        pytest.param(b"\xff" * OVER, "$", f"record is {OVER} bytes, limit is 65536", id="too-large-checked-first"),
        pytest.param(b"[]", "$", "record must be a JSON object, got array", id="array"),
        pytest.param(b"null", "$", "record must be a JSON object, got null", id="null"),
        pytest.param(b'"metric"', "$", "record must be a JSON object, got string", id="string"),
        pytest.param(b"42", "$", "record must be a JSON object, got integer", id="number"),
        pytest.param(
            b'{"ts": 1767225600, "value": NaN}', "$.value", "NaN is not valid JSON; numbers must be finite", id="nan"
        ),
        pytest.param(b'{"value": Infinity}', "$.value", "Infinity is not valid JSON", id="infinity"),
        pytest.param(
            b'{"labels": {"x": -Infinity}}', "$.labels.x", "-Infinity is not valid JSON", id="nested-infinity"
        ),
        pytest.param(b'{"ts": 1e400}', "$.ts", "number is out of range (overflows to infinity)", id="overflow"),
        pytest.param(b'{"labels": {"a": "\\ud800"}}', "$.labels.a", "lone surrogate", id="lone-surrogate"),
        pytest.param(b"[" * 2000, "$", "invalid JSON: depth limit exceeded", id="too-deep"),
        pytest.param(b'{"ts": NaN', "$", "invalid JSON", id="nan-in-broken-json"),
        pytest.param(b"[" * 200 + b"NaN" + b"]" * 200, "$" + "[0]" * 200, "NaN is not valid JSON", id="deep-nan"),
        pytest.param(b"[" * 900 + b"NaN" + b"]" * 900, "$", "invalid JSON", id="deeper-nan-not-located"),
        pytest.param(b"[" * 300 + b"NaN" + b"[" * 60000, "$", "invalid JSON", id="nan-then-very-deep"),
    ],
)
def test_invalid_bytes(raw, field: str, problem: str) -> None:
    error = _decode_error(MetricSample, raw)
    assert error.field == field
    assert problem in error.problem


def test_nan_nested_in_an_incident_is_located() -> None:
    raw = raw_with(IncidentEvent).replace(b'"opened_at":1767225901.2', b'"opened_at":NaN')
    assert b"NaN" in raw
    error = _decode_error(IncidentEvent, raw)
    assert (error.field, error.problem) == ("$.incident.opened_at", "NaN is not valid JSON; numbers must be finite")


def test_the_first_unknown_field_is_named() -> None:
    error = _decode_error(MetricSample, raw_with(MetricSample, {"aaa": 1, "bbb": 2}))
    assert error.field == "$.aaa"


def test_decode_rejects_non_bytes_as_a_programming_error() -> None:
    with pytest.raises(TypeError, match="raw must be bytes or str, got dict"):
        decode(MetricSample, {"ts": 1})


# -- encode refuses what decode would refuse ------------------------------------------

_METRIC = EXAMPLES[MetricSample]
_ALERT = EXAMPLES[Alert]


@pytest.mark.parametrize(
    ("record", "field", "problem"),
    [
        pytest.param(msgspec.structs.replace(_METRIC, value=math.nan), "$.value", "NaN is not allowed", id="nan"),
        pytest.param(msgspec.structs.replace(_METRIC, value=-math.inf), "$.value", "-inf is not allowed", id="inf"),
        # value is optional: orjson would silently write NaN as null here
        pytest.param(
            msgspec.structs.replace(_ALERT, value=math.nan), "$.value", "NaN is not allowed", id="nan-optional"
        ),
        pytest.param(msgspec.structs.replace(_METRIC, ts=math.nan), "$.ts", "NaN is not allowed", id="nan-ts"),
        pytest.param(msgspec.structs.replace(_METRIC, ts=1.7e12), "$.ts", "looks like milliseconds", id="ts-ms"),
        pytest.param(msgspec.structs.replace(_METRIC, service=""), "$.service", "must not be empty", id="empty"),
        pytest.param(
            msgspec.structs.replace(_METRIC, labels={"a": 1}),
            "$.labels.a",
            "expected string, got integer",
            id="label-type",
        ),
        pytest.param(
            msgspec.structs.replace(_METRIC, labels={"a": "\udc80"}), "$.labels.a", "lone surrogate", id="surrogate"
        ),
        pytest.param(
            msgspec.structs.replace(EXAMPLES[LogEvent], level="warn"), "$.level", 'unknown value "warn"', id="enum"
        ),
        pytest.param(msgspec.structs.replace(_METRIC, labels={"a": object()}), "$", "cannot be encoded", id="not-json"),
    ],
)
def test_encode_refuses_invalid_records(record, field: str, problem: str) -> None:
    with pytest.raises(SchemaError) as caught:
        encode(record)
    assert caught.value.field == field
    assert problem in caught.value.problem


def test_encode_refuses_records_over_the_size_limit() -> None:
    # Every field is within its own limit; together they are too large.
    record = LogEvent(
        ts=1767225600.0,
        service="api",
        level="info",
        message="€" * 16384,
        labels={f"k{i}": "€" * 1024 for i in range(10)},
    )
    with pytest.raises(SchemaError, match=r"^\$: record is \d+ bytes, limit is 65536$"):
        encode(record)


def test_encode_rejects_non_records() -> None:
    with pytest.raises(TypeError, match="encode\\(\\) takes a record, got dict"):
        encode({"ts": 1.0})


# -- cross-field rules hold for records built in code too -----------------------------


def test_constructing_a_resolved_alert_without_ends_at_fails() -> None:
    with pytest.raises(SchemaError) as caught:
        msgspec.structs.replace(_ALERT, status=AlertStatus.RESOLVED)
    assert (caught.value.field, caught.value.problem) == ("$.ends_at", "required when status is resolved")


def test_resolved_alert_with_ends_at_is_fine() -> None:
    resolved = msgspec.structs.replace(_ALERT, status=AlertStatus.RESOLVED, ends_at=_ALERT.starts_at + 60)
    assert decode(Alert, encode(resolved)) == resolved


# -- the error itself --------------------------------------------------------------


def test_schema_error_is_a_value_error_with_field_and_problem() -> None:
    error = SchemaError("$.labels.route", "is 1025 characters, limit is 1024")
    assert isinstance(error, ValueError)
    assert str(error) == "$.labels.route: is 1025 characters, limit is 1024"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, copy.problem, str(copy)) == (error.field, error.problem, str(error))
