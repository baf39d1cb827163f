"""Exported JSON Schemas: committed files are current, and they agree with the decoder."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import msgspec
import orjson
import pytest

from schemas import EXAMPLES, TOPIC_RECORDS, SchemaError, decode, export_all, json_schema
from schemas.export import DEFAULT_DIR, schema_filename

from .schema_factories import INVALID_CASES, changed, example_payload

RECORD_TYPES = list(TOPIC_RECORDS.values())
ids = [t.__name__ for t in RECORD_TYPES]

REGENERATE = (
    "Regenerate with `vigil schemas export` (or "
    "`python -c 'from schemas.export import export_all; export_all()'`) and commit schemas/json."
)


def test_committed_schema_files_match_a_fresh_export(tmp_path: Path) -> None:
    written = export_all(tmp_path)
    fresh = {p.name: p.read_text(encoding="utf-8") for p in written}
    committed = {p.name: p.read_text(encoding="utf-8") for p in DEFAULT_DIR.glob("*.json")}
    missing = sorted(set(fresh) - set(committed))
    stale = sorted(set(committed) - set(fresh))
    changed_files = sorted(name for name in set(fresh) & set(committed) if fresh[name] != committed[name])
    assert not (missing or stale or changed_files), (
        f"schemas/json is out of date: missing {missing}, no longer produced {stale}, "
        f"changed {changed_files}. {REGENERATE}"
    )


def test_export_is_deterministic_and_formatted(tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in export_all(tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in export_all(tmp_path / "b")}
    assert first == second
    assert sorted(first) == sorted(schema_filename(t) for t in RECORD_TYPES)
    for name, content in first.items():
        text = content.decode("utf-8")
        assert text.endswith("}\n") and not text.endswith("\n\n"), name
        assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_export_all_returns_sorted_paths_inside_out_dir(tmp_path: Path) -> None:
    written = export_all(tmp_path / "new" / "dir")
    assert written == sorted(written)
    assert {p.parent for p in written} == {tmp_path / "new" / "dir"}
    assert [p.name for p in written] == [
        "alert.v1.schema.json",
        "change.v1.schema.json",
        "command.v1.schema.json",
        "delivery-receipt.v1.schema.json",
        "incident-event.v1.schema.json",
        "log-event.v1.schema.json",
        "metric-sample.v1.schema.json",
        "notification-result.v1.schema.json",
        "notification.v1.schema.json",
    ]


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=ids)
def test_schema_is_draft_2020_12_with_id_title_and_strictness(record_type: type) -> None:
    schema = json_schema(record_type)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    slug = schema_filename(record_type).removesuffix(".v1.schema.json")
    assert schema["$id"] == f"https://vigil.dev/schemas/{slug}.v1.json"
    assert schema["title"] == record_type.__name__
    assert schema["description"] and not schema["description"].startswith(" ")
    assert schema["additionalProperties"] is False
    assert "v" in schema["properties"] and "v" not in schema["required"]
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{record_type.__name__}.{name} has no description"


def test_schema_carries_the_constraints() -> None:
    metric = json_schema(TOPIC_RECORDS["metrics"])["properties"]
    assert metric["ts"]["exclusiveMinimum"] == 0
    assert metric["ts"]["exclusiveMaximum"] == 1e11
    assert metric["service"] == {**metric["service"], "minLength": 1, "maxLength": 128}
    assert metric["labels"]["maxProperties"] == 32
    assert metric["labels"]["propertyNames"] == {"minLength": 1, "maxLength": 128}
    assert metric["labels"]["additionalProperties"]["maxLength"] == 1024
    # Finite's +-DBL_MAX bounds are an implementation detail, left out
    assert "minimum" not in metric["value"] and "maximum" not in metric["value"]
    log = json_schema(TOPIC_RECORDS["logs"])
    assert log["$defs"]["LogLevel"]["enum"] == sorted(["debug", "info", "warning", "error", "critical"])


@pytest.mark.parametrize("record_type", RECORD_TYPES, ids=ids)
def test_schema_validates_its_example(record_type: type) -> None:
    schema = json_schema(record_type)
    validator = jsonschema.Draft202012Validator(schema)
    example = msgspec.to_builtins(EXAMPLES[record_type])
    assert list(validator.iter_errors(example)) == []
    assert schema["examples"] == [example]
    # the committed file says the same
    committed = json.loads((DEFAULT_DIR / schema_filename(record_type)).read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(committed).iter_errors(example)) == []


@pytest.mark.parametrize(
    ("record_type", "changes", "field"),
    [(case[1], case[2], case[3]) for case in INVALID_CASES if case[5]],
    ids=[case[0] for case in INVALID_CASES if case[5]],
)
def test_schema_rejects_what_the_decoder_rejects(record_type: type, changes: dict, field: str) -> None:
    payload = changed(example_payload(record_type), changes)
    with pytest.raises(SchemaError):
        decode(record_type, orjson.dumps(payload))
    validator = jsonschema.Draft202012Validator(json_schema(record_type))
    errors = list(validator.iter_errors(payload))
    assert errors, f"JSON Schema accepts a payload the decoder rejects at {field}"


def test_unknown_enum_value_is_rejected_by_the_committed_schema() -> None:
    committed = json.loads((DEFAULT_DIR / "log-event.v1.schema.json").read_text(encoding="utf-8"))
    payload = changed(example_payload(TOPIC_RECORDS["logs"]), {"level": "warn"})
    errors = list(jsonschema.Draft202012Validator(committed).iter_errors(payload))
    assert [list(e.absolute_path) for e in errors] == [["level"]]
