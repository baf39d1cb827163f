"""Constrained field types shared by the records.

Each is an ``Annotated`` type: msgspec enforces the constraints when
decoding and writes them into the exported JSON Schemas, so the limits
below are stated once.
"""

from __future__ import annotations

import sys
from typing import Annotated

from msgspec import Meta

__all__ = [
    "FINGERPRINT_PATTERN",
    "MAX_LABELS",
    "MAX_TS",
    "Annotations",
    "Finite",
    "Fingerprint",
    "LabelKey",
    "LabelValue",
    "Labels",
    "MessageText",
    "Name",
    "Service",
    "UnixSeconds",
]

MAX_LABELS = 32
"""Most entries a ``labels`` (or ``annotations``) map may hold."""

MAX_TS = 1e11
"""Exclusive upper bound for Unix-seconds timestamps (year 5138).

Anything larger is almost certainly milliseconds sent by mistake: "now" in
milliseconds is about 1.7e12.
"""

FINGERPRINT_PATTERN = "^[0-9a-f]{16}$"

Service = Annotated[
    str,
    Meta(min_length=1, max_length=128, description="Name of the service, e.g. `checkout-api`."),
]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
LabelKey = Annotated[str, Meta(min_length=1, max_length=128)]
LabelValue = Annotated[str, Meta(max_length=1024)]
MessageText = Annotated[str, Meta(max_length=16384)]

Labels = Annotated[
    dict[LabelKey, LabelValue],
    Meta(
        max_length=MAX_LABELS,
        description=f"Dimensions as string key/value pairs, at most {MAX_LABELS}.",
    ),
]
Annotations = Annotated[
    dict[LabelKey, MessageText],
    Meta(
        max_length=MAX_LABELS,
        description=(
            f"Human-facing text (summary, description, runbook_url), at most {MAX_LABELS}"
            " entries; not part of the alert's identity."
        ),
    ),
]

Finite = Annotated[float, Meta(ge=-sys.float_info.max, le=sys.float_info.max)]
"""A float that is not NaN or infinite.

JSON has no NaN or Infinity, and orjson would write them as null, so every
float field is bounded: msgspec then rejects non-finite values (NaN fails
any comparison) when encode() validates a record. The exported schemas
leave these two bounds out; any JSON number already satisfies them.
"""

UnixSeconds = Annotated[
    float,
    Meta(gt=0, lt=MAX_TS, description="Unix time in seconds (not milliseconds)."),
]

Fingerprint = Annotated[
    str,
    Meta(
        pattern=FINGERPRINT_PATTERN,
        description="Alert identity: 16 lowercase hex characters, stable across transitions.",
    ),
]
