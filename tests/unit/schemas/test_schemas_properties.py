"""Property tests: decoders never crash, valid records round-trip exactly."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import MAX_RECORD_BYTES, TOPIC_RECORDS, SchemaError, decode, decode_for_topic, encode, json_schema

from .schema_factories import (
    example_payload,
    json_objects_like,
    mutated_payloads,
    valid_payloads,
)

RECORD_TYPES = list(TOPIC_RECORDS.values())
ids = [t.__name__ for t in RECORD_TYPES]

# A problem worded by msgspec/orjson rather than by us means the translation
# missed a case. Our wording never starts like theirs (data only appears later).
_UNTRANSLATED = re.compile(r"(?i)^(expected `|object (contains|missing)|invalid enum|str is not)")


def _decode_or_schema_error(record_type: type, raw: bytes) -> Any:
    try:
        return decode(record_type, raw)
    except SchemaError as error:
        assert error.field.startswith("$"), error
        assert error.problem, error
        assert str(error) == f"{error.field}: {error.problem}"
        assert not _UNTRANSLATED.search(error.problem), f"untranslated: {error}"
        return error


def _json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)


def _mutations(raw: bytes) -> st.SearchStrategy[bytes]:
    """Byte-level damage to a valid record: flip, delete, insert, truncate."""
    positions = st.integers(min_value=0, max_value=len(raw) - 1)
    return st.one_of(
        st.tuples(positions, st.integers(0, 255)).map(lambda pb: raw[: pb[0]] + bytes([pb[1]]) + raw[pb[0] + 1 :]),
        positions.map(lambda p: raw[:p] + raw[p + 1 :]),
        st.tuples(positions, st.binary(min_size=1, max_size=4)).map(lambda pb: raw[: pb[0]] + pb[1] + raw[pb[0] :]),
        positions.map(lambda p: raw[:p]),
    )


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=ids)
@settings(deadline=None, max_examples=150)
@given(data=st.data())
def test_any_bytes_decode_or_raise_schema_error(record_type: type, data: st.DataObject) -> None:
    raw = data.draw(
        st.binary(max_size=200)
        | _mutations(_json_bytes(example_payload(record_type)))
        | st.sampled_from([b"NaN", b"-Infinity", b"1e400", b'"\\udc00"', b"\xef\xbb\xbf{}", b"[" * 1100])
    )
    _decode_or_schema_error(record_type, raw)


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=ids)
@settings(deadline=None, max_examples=100)
@given(data=st.data())
def test_any_json_value_decodes_or_raises_schema_error(record_type: type, data: st.DataObject) -> None:
    value = data.draw(json_objects_like(record_type) | mutated_payloads(record_type))
    result = _decode_or_schema_error(record_type, _json_bytes(value))
    if not isinstance(result, SchemaError):
        assert isinstance(result, record_type)


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=ids)
@settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_valid_records_round_trip_exactly(record_type: type, data: st.DataObject) -> None:
    payload = data.draw(valid_payloads(record_type))
    record = msgspec.convert(payload, record_type, strict=True)
    try:
        raw = encode(record)
    except SchemaError as error:  # each field in range, but all together too large
        assert error.field == "$" and "limit is 65536" in error.problem
        assert len(orjson.dumps(msgspec.to_builtins(record))) > MAX_RECORD_BYTES
        return
    decoded = decode(record_type, raw)
    assert decoded == record
    assert msgspec.to_builtins(decoded) == msgspec.to_builtins(record)
    assert encode(decoded) == raw
    topic = next(t for t, rt in TOPIC_RECORDS.items() if rt is record_type)
    assert decode_for_topic(topic, raw) == record


_VALIDATORS = {t: jsonschema.Draft202012Validator(json_schema(t)) for t in RECORD_TYPES}


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=ids)
@settings(deadline=None, max_examples=50, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_exported_schema_accepts_every_valid_record(record_type: type, data: st.DataObject) -> None:
    """The JSON Schema is never stricter than the decoder."""
    payload = data.draw(valid_payloads(record_type))
    errors = [e.message for e in _VALIDATORS[record_type].iter_errors(payload)]
    assert errors == []


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=ids)
@settings(deadline=None, max_examples=100)
@given(data=st.data())
def test_exported_schema_rejects_what_the_decoder_rejects(record_type: type, data: st.DataObject) -> None:
    """...and, for single-field damage, no looser (cross-field identity rules aside)."""
    payload = data.draw(mutated_payloads(record_type))
    result = _decode_or_schema_error(record_type, _json_bytes(payload))
    schema_ok = _VALIDATORS[record_type].is_valid(orjson.loads(_json_bytes(payload)))
    # JSON Schema compares numbers by value, so it cannot tell 2.0 from 2; the decoder insists on 2.
    integral_float = "expected integer, got number" in str(result) and all(
        not isinstance(v, float) or v.is_integer() for v in payload.values()
    )
    if isinstance(result, SchemaError) and not integral_float:
        if "differs from incident_id" not in result.problem and "before starts_at" not in result.problem:
            assert not schema_ok, f"decoder rejects ({result}) but the JSON Schema accepts"
    else:
        assert schema_ok
