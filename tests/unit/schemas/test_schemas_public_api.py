"""The package's public surface: __all__ is complete and every name resolves."""

from __future__ import annotations

import types
import typing

import msgspec
import pytest

import schemas


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name in dir(schemas)
        if not name.startswith("_") and not isinstance(getattr(schemas, name), types.ModuleType)
    }
    assert sorted(schemas.__all__) == sorted(public)
    assert len(schemas.__all__) == len(set(schemas.__all__)), "duplicate names in __all__"


def test_every_name_in_all_resolves_and_belongs_to_the_package() -> None:
    for name in schemas.__all__:
        value = getattr(schemas, name)
        module = getattr(value, "__module__", None)
        if isinstance(value, type | types.FunctionType):
            assert module is not None and module.startswith("schemas."), (name, module)


def test_every_topic_has_a_record_and_an_example() -> None:
    assert set(schemas.TOPIC_RECORDS) == {
        "logs",
        "metrics",
        "receipts",
        "alerts",
        "incidents",
        "changes",
        "commands",
        "notifications",
        "notifications.results",
    }
    assert set(schemas.EXAMPLES) == set(schemas.TOPIC_RECORDS.values())
    for record_type, example in schemas.EXAMPLES.items():
        assert type(example) is record_type


def test_records_are_frozen_keyword_only_and_strict() -> None:
    for record_type in [*schemas.TOPIC_RECORDS.values(), schemas.IncidentSnapshot]:
        config = record_type.__struct_config__
        assert config.frozen and config.forbid_unknown_fields, record_type
        with pytest.raises(TypeError, match="positional"):
            record_type(1)


def test_schema_version_constant_matches_the_records() -> None:
    (v_field,) = [f for f in msgspec.structs.fields(schemas.Record) if f.name == "v"]
    literal = typing.get_args(v_field.type)[0]
    assert typing.get_args(literal) == (schemas.SCHEMA_VERSION,)
    assert v_field.default == schemas.SCHEMA_VERSION
    for record_type in schemas.TOPIC_RECORDS.values():
        assert issubclass(record_type, schemas.Record)


def test_every_float_field_is_bounded_so_encode_rejects_nan() -> None:
    """encode() relies on bounds to refuse NaN/inf; an unbounded float would leak null."""

    def floats(info, where):
        if isinstance(info, msgspec.inspect.FloatType):
            yield where, info
        elif isinstance(info, msgspec.inspect.Metadata):
            yield from floats(info.type, where)
        elif isinstance(info, msgspec.inspect.UnionType):
            for member in info.types:
                yield from floats(member, where)
        elif isinstance(info, msgspec.inspect.StructType):
            for field in info.fields:
                yield from floats(field.type, f"{where}.{field.name}")
        elif isinstance(info, msgspec.inspect.DictType | msgspec.inspect.ListType):
            inner = getattr(info, "value_type", None) or info.item_type
            yield from floats(inner, f"{where}[]")

    found = []
    for record_type in schemas.TOPIC_RECORDS.values():
        for where, info in floats(msgspec.inspect.type_info(record_type), record_type.__name__):
            found.append(where)
            assert info.ge is not None or info.gt is not None, f"{where} has no lower bound"
            assert info.le is not None or info.lt is not None, f"{where} has no upper bound"
    assert "MetricSample.value" in found and "Alert.threshold" in found
