"""JSON Schema (draft 2020-12) for each record, from the same msgspec definitions.

msgspec.json.schema gives types, enums, lengths, bounds and
``additionalProperties: false``. We add what it cannot: ``$schema``/``$id``,
the record at the top level instead of behind a ``$ref``, an example, and
the "field required when status is X" rules as if/then clauses.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
from pathlib import Path
from typing import Any

import msgspec

from schemas.base import SCHEMA_VERSION, Record
from schemas.examples import EXAMPLES
from schemas.topics import TOPIC_RECORDS

__all__ = ["DEFAULT_DIR", "export_all", "json_schema", "schema_filename"]

DEFAULT_DIR = Path(__file__).parent / "json"
"""Where the committed schema files live (the CLI's default output)."""

_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ID_BASE = "https://vigil.dev/schemas/"


def _slug(record_type: type) -> str:
    """``MetricSample`` -> ``metric-sample``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", record_type.__name__).lower()


def schema_filename(record_type: type[Record]) -> str:
    """``metric-sample.v1.schema.json``."""
    return f"{_slug(record_type)}.v{SCHEMA_VERSION}.schema.json"


def json_schema(record_type: type[Record]) -> dict[str, Any]:
    """The JSON Schema for one record type, as a dict."""
    generated = msgspec.json.schema(record_type)
    definitions: dict[str, Any] = generated["$defs"]
    root = definitions.pop(record_type.__name__)
    schema: dict[str, Any] = {
        "$schema": _DIALECT,
        "$id": f"{_ID_BASE}{_slug(record_type)}.v{SCHEMA_VERSION}.json",
        **root,
    }
    _add_status_rules(schema, record_type)
    for name, definition in definitions.items():
        struct = _nested_struct(record_type, name)
        if struct is not None:
            _add_status_rules(definition, struct)
    for definition in (schema, *definitions.values()):
        if "description" in definition:  # msgspec copies __doc__ verbatim, indentation included
            definition["description"] = inspect.cleandoc(definition["description"])
    _drop_finite_bounds(schema)
    if definitions:
        _drop_finite_bounds(definitions)
        schema["$defs"] = definitions
    example = EXAMPLES.get(record_type)
    if example is not None:
        schema["examples"] = [msgspec.to_builtins(example)]
    return schema


def _render(record_type: type[Record]) -> str:
    """The exact text written for ``record_type``: sorted keys, indent 2, final newline."""
    return json.dumps(json_schema(record_type), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_all(out_dir: Path = DEFAULT_DIR) -> list[Path]:
    """Write ``<name>.v1.schema.json`` for every topic's record into ``out_dir``.

    Returns the written paths, sorted. Output is deterministic, so the
    committed files can be checked against a fresh export.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for record_type in TOPIC_RECORDS.values():
        path = out_dir / schema_filename(record_type)
        path.write_text(_render(record_type), encoding="utf-8", newline="\n")
        written.append(path)
    return sorted(written)


def _drop_finite_bounds(node: Any) -> None:
    """Remove the +-DBL_MAX bounds of ``fields.Finite``: every JSON number meets them."""
    if isinstance(node, dict):
        if node.get("minimum") == -sys.float_info.max:
            del node["minimum"]
        if node.get("maximum") == sys.float_info.max:
            del node["maximum"]
        for child in node.values():
            _drop_finite_bounds(child)
    elif isinstance(node, list):
        for child in node:
            _drop_finite_bounds(child)


def _add_status_rules(schema: dict[str, Any], struct: type) -> None:
    """Write a struct's ``required_when_status`` as if/then clauses."""
    required = getattr(struct, "required_when_status", None)
    if not required:
        return
    clauses = [
        {
            "if": {"properties": {"status": {"const": str(status)}}, "required": ["status"]},
            "then": {"properties": {field: {"not": {"type": "null"}}}, "required": [field]},
        }
        for status, field in sorted(required.items())
    ]
    schema["allOf"] = clauses


def _nested_struct(record_type: type, name: str) -> type | None:
    """The Struct class named ``name`` reachable from ``record_type``'s fields."""
    for info in msgspec.inspect.multi_type_info([record_type]):
        for found in _walk_structs(info, set()):
            if found.__name__ == name:
                return found
    return None


def _walk_structs(info: Any, seen: set[type]):
    if isinstance(info, msgspec.inspect.StructType):
        if info.cls in seen:
            return
        seen.add(info.cls)
        yield info.cls
        for field in info.fields:
            yield from _walk_structs(field.type, seen)
    elif isinstance(info, msgspec.inspect.Metadata):
        yield from _walk_structs(info.type, seen)
    elif isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            yield from _walk_structs(member, seen)
    elif isinstance(info, msgspec.inspect.DictType):
        yield from _walk_structs(info.value_type, seen)
    elif isinstance(info, msgspec.inspect.ListType):
        yield from _walk_structs(info.item_type, seen)
