"""Factories for schema tests: example payloads with targeted changes, and
hypothesis strategies for valid records and near-valid payloads.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import orjson
from hypothesis import strategies as st

from schemas import EXAMPLES, Alert, DeliveryReceipt, IncidentEvent, LogEvent, MetricSample

DELETE = object()
"""Use as a change value to remove the field."""


def example_payload(record_type: type) -> dict[str, Any]:
    """The example record of ``record_type`` as a fresh JSON-ready dict."""
    return msgspec.to_builtins(EXAMPLES[record_type])


def changed(payload: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``payload`` with dotted-path changes (``"incident.status"``) applied."""
    out = copy.deepcopy(payload)
    for dotted, value in changes.items():
        *parents, leaf = dotted.split(".")
        target = out
        for name in parents:
            target = target[name]
        if value is DELETE:
            del target[leaf]
        else:
            target[leaf] = value
    return out


def raw_with(record_type: type, changes: dict[str, Any] | None = None) -> bytes:
    """JSON bytes of ``record_type``'s example, with dotted-path changes applied."""
    return orjson.dumps(changed(example_payload(record_type), changes or {}))


# -- invalid payloads: (id, record type, changes, field, problem fragment, schema can express it)


def _invalid_cases() -> list[tuple[str, type, dict[str, Any], str, str, bool]]:
    too_many = {f"k{i}": "v" for i in range(33)}
    return [
        ("missing-field", MetricSample, {"ts": DELETE}, "$.ts", "required field is missing", True),
        (
            "missing-nested",
            IncidentEvent,
            {"incident.title": DELETE},
            "$.incident.title",
            "required field is missing",
            True,
        ),
        ("wrong-type", MetricSample, {"ts": "1767225600"}, "$.ts", "expected number, got string", True),
        ("bool-is-not-a-number", MetricSample, {"value": True}, "$.value", "expected number, got boolean", True),
        ("null-for-required-float", MetricSample, {"value": None}, "$.value", "expected number, got null", True),
        ("optional-wrong-type", Alert, {"value": "1.5"}, "$.value", "expected number or null, got string", True),
        ("labels-not-object", MetricSample, {"labels": ["a"]}, "$.labels", "expected object, got array", True),
        ("label-value-type", MetricSample, {"labels.route": 5}, "$.labels.route", "expected string, got integer", True),
        (
            "unknown-field",
            MetricSample,
            {"unit": "s"},
            "$.unit",
            "unknown field; MetricSample has: labels, name, service, ts, v, value",
            True,
        ),
        (
            "unknown-nested-field",
            IncidentEvent,
            {"incident.owner": "ana"},
            "$.incident.owner",
            "unknown field; IncidentSnapshot has:",
            True,
        ),
        (
            "unknown-enum",
            LogEvent,
            {"level": "warn"},
            "$.level",
            'unknown value "warn"; allowed: debug, info, warning, error, critical',
            True,
        ),
        (
            "enum-wrong-type",
            LogEvent,
            {"level": 40},
            "$.level",
            "expected one of debug, info, warning, error, critical; got integer",
            True,
        ),
        (
            "unknown-channel",
            DeliveryReceipt,
            {"channel": "telegram"},
            "$.channel",
            "allowed: whatsapp, sms, email, push",
            True,
        ),
        (
            "unknown-nested-enum",
            IncidentEvent,
            {"incident.status": "open"},
            "$.incident.status",
            "allowed: triggered, acknowledged, resolved",
            True,
        ),
        ("version-2", MetricSample, {"v": 2}, "$.v", "unsupported schema version 2; this Vigil reads version 1", True),
        (
            "version-string",
            MetricSample,
            {"v": "1"},
            "$.v",
            'unsupported schema version "1"; this Vigil reads version 1',
            True,
        ),
        ("version-null", MetricSample, {"v": None}, "$.v", "unsupported schema version null", True),
        (
            "ts-milliseconds",
            MetricSample,
            {"ts": 1767225600123},
            "$.ts",
            "1767225600123 looks like milliseconds; ts is Unix seconds",
            True,
        ),
        ("ts-zero", LogEvent, {"ts": 0}, "$.ts", "must be a positive Unix time in seconds, got 0", True),
        ("ts-negative", LogEvent, {"ts": -5.5}, "$.ts", "must be a positive Unix time in seconds, got -5.5", True),
        (
            "other-ts-milliseconds",
            Alert,
            {"starts_at": 1.7e12},
            "$.starts_at",
            "looks like milliseconds; starts_at is Unix seconds",
            True,
        ),
        (
            "nested-ts-milliseconds",
            IncidentEvent,
            {"incident.opened_at": 1.7e12},
            "$.incident.opened_at",
            "opened_at is Unix seconds",
            True,
        ),
        ("service-empty", MetricSample, {"service": ""}, "$.service", "must not be empty", True),
        (
            "service-too-long",
            MetricSample,
            {"service": "s" * 129},
            "$.service",
            "is 129 characters, limit is 128",
            True,
        ),
        ("name-too-long", MetricSample, {"name": "n" * 201}, "$.name", "is 201 characters, limit is 200", True),
        (
            "message-too-long",
            LogEvent,
            {"message": "m" * 16385},
            "$.message",
            "is 16385 characters, limit is 16384",
            True,
        ),
        (
            "provider-too-long",
            DeliveryReceipt,
            {"provider": "p" * 65},
            "$.provider",
            "is 65 characters, limit is 64",
            True,
        ),
        ("message-id-empty", DeliveryReceipt, {"message_id": ""}, "$.message_id", "must not be empty", True),
        (
            "label-value-too-long",
            MetricSample,
            {"labels.route": "r" * 1025},
            "$.labels.route",
            "is 1025 characters, limit is 1024",
            True,
        ),
        (
            "odd-label-key-path",
            MetricSample,
            {"labels": {"k8s.io/app": "x" * 1025}},
            '$.labels["k8s.io/app"]',
            "limit is 1024",
            True,
        ),
        (
            "label-key-too-long",
            MetricSample,
            {"labels": {"k" * 129: "v"}},
            "$.labels",
            "is 129 characters, limit is 128",
            True,
        ),
        ("label-key-empty", MetricSample, {"labels": {"": "v"}}, "$.labels", 'key "" must not be empty', True),
        ("too-many-labels", MetricSample, {"labels": too_many}, "$.labels", "too many labels: 33, limit is 32", True),
        (
            "too-many-annotations",
            Alert,
            {"annotations": too_many},
            "$.annotations",
            "too many entries: 33, limit is 32",
            True,
        ),
        (
            "fingerprint-format",
            Alert,
            {"fingerprint": "8C1D2E3F4A5B6C7D"},
            "$.fingerprint",
            "must be 16 lowercase hex characters",
            True,
        ),
        (
            "list-item",
            IncidentEvent,
            {"incident.alerts": ["8c1d2e3f4a5b6c7d", "nope"]},
            "$.incident.alerts[1]",
            'must be 16 lowercase hex characters, got "nope"',
            True,
        ),
        (
            "list-too-long",
            IncidentEvent,
            {"incident.alerts": ["8c1d2e3f4a5b6c7d"] * 1001},
            "$.incident.alerts",
            "too many items: 1001, limit is 1000",
            True,
        ),
        (
            "resolved-needs-ends-at",
            Alert,
            {"status": "resolved"},
            "$.ends_at",
            "required when status is resolved",
            True,
        ),
        ("ends-before-start", Alert, {"ends_at": 1_000_000.0}, "$.ends_at", "is before starts_at", False),
        (
            "acknowledged-needs-time",
            IncidentEvent,
            {"incident.acknowledged_at": None},
            "$.incident.acknowledged_at",
            "required when status is acknowledged",
            True,
        ),
        (
            "incident-id-mismatch",
            IncidentEvent,
            {"incident_id": "inc-other"},
            "$.incident.id",
            "differs from incident_id",
            False,
        ),
    ]


INVALID_CASES = _invalid_cases()


# -- hypothesis strategies ----------------------------------------------------------

JSON_INTS = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what orjson can write


def json_values(keys: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Any]:
    """Arbitrary JSON-ish values: dicts/lists of str/int/float/bool/None."""
    scalars = st.none() | st.booleans() | JSON_INTS | st.floats() | st.text(max_size=20)
    key_strategy = keys if keys is not None else st.text(max_size=10)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(key_strategy, children, max_size=5),
        max_leaves=20,
    )


def _field_names(record_type: type) -> list[str]:
    names: set[str] = set()

    def walk(info: Any) -> None:
        if isinstance(info, msgspec.inspect.StructType):
            for field in info.fields:
                names.add(field.encode_name)
                walk(field.type)
        elif isinstance(info, msgspec.inspect.Metadata):
            walk(info.type)
        elif isinstance(info, msgspec.inspect.UnionType):
            for member in info.types:
                walk(member)

    walk(msgspec.inspect.type_info(record_type))
    return sorted(names)


def json_objects_like(record_type: type) -> st.SearchStrategy[Any]:
    """JSON-ish values whose dict keys are mostly the record's own field names,
    so that generated objects get past "unknown field" and reach deeper checks."""
    keys = st.sampled_from(_field_names(record_type)) | st.text(max_size=10)
    return json_values(keys) | st.dictionaries(keys, json_values(keys), max_size=12)


def mutated_payloads(record_type: type) -> st.SearchStrategy[dict[str, Any]]:
    """The example payload with one field replaced by an arbitrary value, removed, or added."""
    payload = example_payload(record_type)
    names = sorted(payload)

    def replace(name_value):
        name, value = name_value
        return {**payload, name: value}

    def remove(name):
        return {k: v for k, v in payload.items() if k != name}

    return st.one_of(
        st.tuples(st.sampled_from(names), json_values()).map(replace),
        st.sampled_from(names).map(remove),
        st.tuples(st.text(max_size=10), json_values()).map(replace),
    )


def _strategy(info: Any) -> st.SearchStrategy[Any]:
    """Values valid for a msgspec type (ignoring cross-field rules)."""
    mi = msgspec.inspect
    if isinstance(info, mi.Metadata):
        return _strategy(info.type)
    if isinstance(info, mi.StructType):
        required = {f.encode_name: _strategy(f.type) for f in info.fields if f.required}
        optional = {f.encode_name: _strategy(f.type) for f in info.fields if not f.required}
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(info, mi.StrType):
        if info.pattern is not None:
            return st.from_regex(info.pattern, fullmatch=True)
        return st.text(min_size=info.min_length or 0, max_size=min(info.max_length or 40, 40))
    if isinstance(info, mi.FloatType):
        low = info.gt if info.gt is not None else info.ge
        high = info.lt if info.lt is not None else info.le
        return st.floats(
            min_value=low,
            max_value=high,
            exclude_min=info.gt is not None,
            exclude_max=info.lt is not None,
            allow_nan=False,
            allow_infinity=False,
        )
    if isinstance(info, mi.IntType):
        low = info.gt + 1 if info.gt is not None else info.ge
        high = info.lt - 1 if info.lt is not None else info.le
        return st.integers(min_value=low, max_value=high if high is not None else 2**31)
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, mi.EnumType):
        return st.sampled_from([member.value for member in info.cls])
    if isinstance(info, mi.UnionType):
        return st.one_of([_strategy(member) for member in info.types])
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.DictType):
        return st.dictionaries(
            _strategy(info.key_type), _strategy(info.value_type), max_size=min(info.max_length or 8, 8)
        )
    if isinstance(info, mi.ListType):
        return st.lists(_strategy(info.item_type), max_size=min(info.max_length or 5, 5))
    raise NotImplementedError(f"no strategy for {info!r}; extend schema_factories._strategy")


def _keep_incident_ids_consistent(payload: dict[str, Any]) -> dict[str, Any]:
    if "incident" in payload and "incident_id" in payload:
        payload = {**payload, "incident_id": payload["incident"]["id"]}
    return payload


def valid_payloads(record_type: type) -> st.SearchStrategy[dict[str, Any]]:
    """JSON-ready dicts that decode as ``record_type``.

    Generated from the record's own type information, so a new field is
    covered without touching this file. Cross-field rules that random data
    rarely meets (incident ids) are fixed up; the rest are filtered.
    """

    def decodes(payload: dict[str, Any]) -> bool:
        try:
            msgspec.convert(payload, record_type, strict=True)
        except msgspec.ValidationError:
            return False
        return True

    return _strategy(msgspec.inspect.type_info(record_type)).map(_keep_incident_ids_consistent).filter(decodes)
