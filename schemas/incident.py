"""Incident changes published by the correlator (topic `incidents`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar

import msgspec
from msgspec import Meta

from schemas.base import Record, check_required_when_status
from schemas.change import Url, Version
from schemas.enums import AlertStatus, ChangeKind, IncidentEventType, IncidentStatus, Severity
from schemas.errors import SchemaError
from schemas.fields import MAX_TS, Fingerprint, Labels, MessageText, Name, Service, UnixSeconds

__all__ = [
    "MAX_INCIDENT_ALERTS",
    "MAX_INCIDENT_ALERT_DETAILS",
    "MAX_INCIDENT_REASONS",
    "MAX_INCIDENT_SERVICES",
    "MAX_INCIDENT_SUSPECTS",
    "MAX_INCIDENT_TIMELINE",
    "IncidentAlert",
    "IncidentEvent",
    "IncidentSnapshot",
    "SuspectChange",
    "TimelineEntry",
]

MAX_INCIDENT_ALERTS = 1000
MAX_INCIDENT_SERVICES = 64
MAX_INCIDENT_ALERT_DETAILS = 200
MAX_INCIDENT_TIMELINE = 100
MAX_INCIDENT_SUSPECTS = 10
MAX_INCIDENT_REASONS = 50

IncidentId = Annotated[Name, Meta(description="The incident's id, unique and stable for its lifetime.")]
Seconds = Annotated[float, Meta(ge=0, lt=MAX_TS, description="A duration in seconds.")]
ShortText = Annotated[str, Meta(min_length=1, max_length=1024)]


class IncidentAlert(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One alert of the incident as the correlator last saw it."""

    fingerprint: Fingerprint
    alertname: Annotated[Name, Meta(description="The alert's `alertname` label, else the rule that raised it.")]
    status: Annotated[AlertStatus, Meta(description="firing or resolved, as of its latest record.")]
    severity: Annotated[Severity, Meta(description="Severity set by its rule.")]
    labels: Labels
    summary: Annotated[
        Annotated[str, Meta(max_length=512)] | None,
        Meta(description="Its `summary` annotation, cut to 512 characters; null if it has none."),
    ] = None
    first_seen: Annotated[UnixSeconds, Meta(description="When it first started firing (its first `starts_at`).")]
    last_seen: Annotated[UnixSeconds, Meta(description="Event time of its latest record (a refresh counts).")]
    ends_at: Annotated[
        UnixSeconds | None, Meta(description="When it stopped firing, if it has; null while firing.")
    ] = None
    count: Annotated[int, Meta(ge=1, description="Firing records received: the first, refreshes and re-firings.")] = 1
    silenced_by: Annotated[
        Name | None,
        Meta(description="Id of the silence (or `maintenance:<name>`) that mutes it; null if none."),
    ] = None
    inhibited_by: Annotated[
        Fingerprint | None, Meta(description="Fingerprint of the firing alert that inhibits it; null if none.")
    ] = None


class SuspectChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A deploy or config change that may have caused the incident."""

    id: Annotated[Name, Meta(description="The change's id, as on the `changes` topic.")]
    kind: Annotated[ChangeKind, Meta(description="deploy or config.")]
    service: Service
    version: Version
    author: Annotated[Name, Meta(description="Who made the change.")]
    ts: Annotated[UnixSeconds, Meta(description="When the change was made, Unix seconds.")]
    link: Url
    summary: Annotated[
        ShortText, Meta(description="In words, e.g. `advisor-api 1.4.2 deployed 3 min before the incident`.")
    ]


class TimelineEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One change to the incident, in words."""

    ts: Annotated[UnixSeconds, Meta(description="When the change happened, Unix seconds.")]
    kind: Annotated[IncidentEventType, Meta(description="The event the change was published as.")]
    text: Annotated[ShortText, Meta(description="What changed and why.")]
    actor: Annotated[Name | None, Meta(description="Who made the change; null if automatic.")] = None


class IncidentSnapshot(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The incident as it is after the change.

    An acknowledged incident carries `acknowledged_at`; a resolved one
    carries `resolved_at`. Lists are bounded so that a record stays under
    the 64 KiB record limit: `alert_details` holds at most 200 alerts
    (firing ones first) and `timeline` the latest 100 entries, fewer when
    the record would otherwise be too large; `alerts` lists every
    fingerprint (at most 1000).
    """

    required_when_status: ClassVar[Mapping[str, str]] = {
        IncidentStatus.ACKNOWLEDGED: "acknowledged_at",
        IncidentStatus.RESOLVED: "resolved_at",
    }

    id: IncidentId
    status: Annotated[IncidentStatus, Meta(description="triggered, acknowledged or resolved.")]
    severity: Annotated[
        Severity,
        Meta(
            description=(
                "Highest severity among the incident's firing alerts that are neither silenced nor inhibited"
                " (among all firing alerts when every one is muted); unchanged once none fires."
            )
        ),
    ]
    title: Annotated[str, Meta(min_length=1, max_length=512, description="One-line human summary.")]
    group_key: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=1024,
            description="The group_by labels of the alerts that opened it, e.g. `service=checkout-api`.",
        ),
    ]
    services: Annotated[
        list[Service],
        Meta(max_length=MAX_INCIDENT_SERVICES, description="Services the incident's alerts concern, sorted."),
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
    domain: Annotated[
        Name | None,
        Meta(
            description=(
                "Correlation domain: the connected part of the service dependency map the incident lives in."
                " Commands for the incident are keyed by it."
            )
        ),
    ] = None
    root_cause: Annotated[
        Service | None,
        Meta(description="Root-cause candidate: the most upstream service among its alerts; null if unknown."),
    ] = None
    reasons: Annotated[
        list[ShortText],
        Meta(max_length=MAX_INCIDENT_REASONS, description="Why alerts were joined into this incident, in words."),
    ] = []
    suspects: Annotated[
        list[SuspectChange],
        Meta(
            max_length=MAX_INCIDENT_SUSPECTS,
            description="Changes to its services or their upstreams shortly before its alerts began, newest first.",
        ),
    ] = []
    flapping: Annotated[
        bool, Meta(description="An alert changes state too often; notifications are held until it is stable.")
    ] = False
    alert_details: Annotated[
        list[IncidentAlert],
        Meta(
            max_length=MAX_INCIDENT_ALERT_DETAILS,
            description="Its alerts in detail: at most 200, firing ones first, in the order they joined.",
        ),
    ] = []
    timeline: Annotated[
        list[TimelineEntry],
        Meta(max_length=MAX_INCIDENT_TIMELINE, description="Its latest changes (at most 100), oldest first."),
    ] = []
    acknowledged_by: Annotated[Name | None, Meta(description="Who (last) acknowledged it.")] = None
    detected_at: Annotated[
        UnixSeconds | None, Meta(description="Earliest `starts_at` of its alerts: when the problem was detected.")
    ] = None
    time_to_acknowledge: Annotated[
        Seconds | None, Meta(description="Seconds from `detected_at` to its first acknowledgement.")
    ] = None
    time_to_resolve: Annotated[
        Seconds | None, Meta(description="Seconds from `detected_at` to its resolution; null while unresolved.")
    ] = None
    reopen_count: Annotated[int, Meta(ge=0, description="How many times it was reopened.")] = 0

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
    notify: Annotated[
        bool,
        Meta(
            description=(
                "false when this change must notify nobody: its alerts are silenced or inhibited, the incident"
                " is flapping, or nobody was ever told about the incident."
            )
        ),
    ] = True
    incident: Annotated[IncidentSnapshot, Meta(description="The incident after the change.")]

    def __post_init__(self) -> None:
        if self.incident_id != self.incident.id:
            raise SchemaError(
                "$.incident.id",
                f'incident.id "{self.incident.id}" differs from incident_id "{self.incident_id}"',
            )
