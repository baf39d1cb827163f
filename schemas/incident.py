"""Incident changes published by the correlator (topic `incidents`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

from schemas.base import Record, check_required_when_status
from schemas.enums import IncidentEventType, IncidentStatus, Severity
from schemas.errors import SchemaError
from schemas.fields import Fingerprint, Labels, MessageText, Name, Service, UnixSeconds

__all__ = ["IncidentEvent", "IncidentSnapshot"]

MAX_INCIDENT_ALERTS = 1000
MAX_INCIDENT_SERVICES = 64

IncidentId = Annotated[Name, Meta(description="The incident's id, unique and stable for its lifetime.")]


class IncidentSnapshot(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The incident as it is after the change.

    An acknowledged incident carries `acknowledged_at`; a resolved one
    carries `resolved_at`.
    """

    required_when_status: ClassVar[Mapping[str, str]] = {
        IncidentStatus.ACKNOWLEDGED: "acknowledged_at",
        IncidentStatus.RESOLVED: "resolved_at",
    }

    id: IncidentId
    status: Annotated[IncidentStatus, Meta(description="triggered, acknowledged or resolved.")]
    severity: Annotated[Severity, Meta(description="Highest severity among the incident's alerts.")]
    title: Annotated[str, Meta(min_length=1, max_length=512, description="One-line human summary.")]
    group_key: Annotated[
        str,
        Meta(min_length=1, max_length=1024, description="The key alerts were grouped by into this incident."),
    ]
    services: Annotated[
        list[Service],
        Meta(max_length=MAX_INCIDENT_SERVICES, description="Services the incident's alerts concern."),
    ]
    alerts: Annotated[
        list[Fingerprint],
        Meta(max_length=MAX_INCIDENT_ALERTS, description="Fingerprints of the alerts in the incident."),
    ]
    labels: Labels
    opened_at: Annotated[UnixSeconds, Meta(description="When the incident was opened, Unix seconds.")]
    acknowledged_at: Annotated[
        UnixSeconds | None, Meta(description="When it was (last) acknowledged, Unix seconds.")
    ] = None
    resolved_at: Annotated[UnixSeconds | None, Meta(description="When it was (last) resolved, Unix seconds.")] = None

    def __post_init__(self) -> None:
        check_required_when_status(self, self.required_when_status)


class IncidentEvent(Record, kw_only=True):
    """One change to an incident, with the incident as it is afterwards.

    `incident_id` always equals `incident.id`.
    """

    event: Annotated[IncidentEventType, Meta(description="What changed.")]
    incident_id: IncidentId
    ts: Annotated[UnixSeconds, Meta(description="When the change happened, Unix seconds.")]
    actor: Annotated[Name | None, Meta(description="Who made the change (a person or `vigil`); null if automatic.")] = (
        None
    )
    note: Annotated[
        MessageText | None, Meta(description="Free text, e.g. the comment or the reason for the change.")
    ] = None
    incident: Annotated[IncidentSnapshot, Meta(description="The incident after the change.")]

    def __post_init__(self) -> None:
        if self.incident_id != self.incident.id:
            raise SchemaError(
                "$.incident.id",
                f'incident.id "{self.incident.id}" differs from incident_id "{self.incident_id}"',
            )
