"""The base every top-level record derives from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from schemas.errors import SchemaError

__all__ = ["SCHEMA_VERSION", "Record", "check_required_when_status"]

SCHEMA_VERSION = 1
"""The only record schema version this Vigil reads and writes."""


class Record(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A versioned record on a Vigil topic.

    Immutable, keyword-only, and strict: unknown fields are an error, so a
    producer's typo is caught instead of silently dropped. (``frozen`` and
    ``forbid_unknown_fields`` are inherited; ``kw_only`` applies per class, so
    subclasses repeat it.)
    """

    v: Annotated[
        Literal[1],
        Meta(description="Schema version of the record; optional on input, defaults to 1."),
    ] = 1


def check_required_when_status(record: Any, required: Mapping[str, str]) -> None:
    """Raise SchemaError if ``record.status`` requires a field that is None.

    ``required`` maps a status value to the field it requires, e.g.
    ``{"resolved": "ends_at"}``. The same mapping is written into the exported
    JSON Schema as an if/then clause, so the rule is stated once.
    """
    field = required.get(record.status)
    if field is not None and getattr(record, field) is None:
        raise SchemaError(f"$.{field}", f"required when status is {record.status}")
