"""Alert transitions raised by Vigil's rules (topic `alerts`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar

from msgspec import Meta

from schemas.base import Record, check_required_when_status
from schemas.enums import AlertStatus, Severity
from schemas.errors import SchemaError
from schemas.fields import Annotations, Fingerprint, Finite, Labels, Name, UnixSeconds

__all__ = ["Alert"]


class Alert(Record, kw_only=True):
    """One alert transition: a rule started or stopped firing for a label set.

    A resolved alert carries `ends_at`; `ends_at` is never before `starts_at`.
    """

    required_when_status: ClassVar[Mapping[str, str]] = {AlertStatus.RESOLVED: "ends_at"}

    fingerprint: Fingerprint
    rule: Annotated[Name, Meta(description="Name of the rule that raised the alert.")]
    status: Annotated[AlertStatus, Meta(description="firing or resolved.")]
    severity: Annotated[Severity, Meta(description="Severity set by the rule.")]
    labels: Labels
    annotations: Annotations = {}
    value: Annotated[
        Finite | None, Meta(description="The evaluated value that crossed the threshold; null if none (e.g. absence).")
    ]
    threshold: Annotated[Finite, Meta(description="The rule's threshold.")]
    starts_at: Annotated[UnixSeconds, Meta(description="Event time the condition started to hold, Unix seconds.")]
    ends_at: Annotated[
        UnixSeconds | None, Meta(description="Event time the condition stopped holding; set when resolved.")
    ] = None
    event_ts: Annotated[UnixSeconds, Meta(description="Event time of this transition, Unix seconds.")]
    emitted_at: Annotated[UnixSeconds, Meta(description="Wall-clock time Vigil produced this record, Unix seconds.")]

    def __post_init__(self) -> None:
        check_required_when_status(self, self.required_when_status)
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise SchemaError("$.ends_at", f"ends_at {self.ends_at!r} is before starts_at {self.starts_at!r}")
