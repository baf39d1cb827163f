"""Records survive encode -> decode unchanged; inputs the schema allows decode."""

from __future__ import annotations

import msgspec
import orjson
import pytest

from schemas import (
    EXAMPLES,
    MAX_RECORD_BYTES,
    TOPIC_RECORDS,
    LogLevel,
    MetricSample,
    decode,
    decode_for_topic,
    encode,
)

from .schema_factories import example_payload

RECORD_TYPES = list(EXAMPLES)


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=lambda t: t.__name__)
def test_example_round_trips(record_type: type) -> None:
    record = EXAMPLES[record_type]
    raw = encode(record)
    decoded = decode(record_type, raw)
    assert decoded == record
    assert msgspec.to_builtins(decoded) == msgspec.to_builtins(record)
    assert encode(decoded) == raw


@pytest.mark.parametrize(("topic", "record_type"), TOPIC_RECORDS.items())
def test_decode_for_topic_uses_the_registered_type(topic: str, record_type: type) -> None:
    decoded = decode_for_topic(topic, encode(EXAMPLES[record_type]))
    assert type(decoded) is record_type
    assert decoded == EXAMPLES[record_type]


def test_decode_for_unknown_topic_is_a_wiring_error() -> None:
    with pytest.raises(KeyError, match="no record type for topic 'nope'; known topics: alerts"):
        decode_for_topic("nope", b"{}")


def test_version_is_optional_and_defaults_to_1() -> None:
    payload = example_payload(MetricSample)
    del payload["v"]
    assert decode(MetricSample, orjson.dumps(payload)).v == 1


def test_optional_fields_take_their_defaults() -> None:
    raw = b'{"ts": 1767225600, "service": "api", "name": "up", "value": 1}'
    record = decode(MetricSample, raw)
    assert record.labels == {}
    # JSON integers are accepted where a float is declared and become floats
    assert record.ts == 1767225600.0 and isinstance(record.ts, float)
    assert isinstance(record.value, float)


def test_enums_decode_to_enum_members_equal_to_their_strings() -> None:
    raw = encode(EXAMPLES[TOPIC_RECORDS["logs"]])
    record = decode_for_topic("logs", raw)
    assert record.level is LogLevel.ERROR
    assert record.level == "error"


@pytest.mark.parametrize(
    "wrap", [bytes, bytearray, memoryview, lambda b: b.decode()], ids=["bytes", "bytearray", "memoryview", "str"]
)
def test_decode_accepts_bytes_like_and_str(wrap) -> None:
    raw = encode(EXAMPLES[MetricSample])
    assert decode(MetricSample, wrap(raw)) == EXAMPLES[MetricSample]


def test_a_record_of_exactly_the_size_limit_decodes() -> None:
    raw = encode(EXAMPLES[MetricSample]).ljust(MAX_RECORD_BYTES, b" ")  # JSON allows trailing space
    assert len(raw) == MAX_RECORD_BYTES
    assert decode(MetricSample, raw) == EXAMPLES[MetricSample]
