"""From the correlator's state to the records it publishes: snapshots and events.

Every event carries the full incident, so a subscriber never needs an
earlier record. A record must stay under the 64 KiB limit whatever the
incident holds, so the lists are bounded (schema limits) and, should the
record still be too large (many labels, long summaries), the alert
details and the timeline are cut further, firing alerts and the newest
entries kept, until it fits. Cutting is deterministic. Names taken from labels (services, alert
names) are cut to the schema's lengths too, so no label can make a record
unpublishable.
"""

from __future__ import annotations

import msgspec

from correlator.incidents.state import IncidentState, TrackedAlert
from correlator.incidents.text import clip
from schemas import (
    MAX_RECORD_BYTES,
    AlertStatus,
    IncidentAlert,
    IncidentEvent,
    IncidentEventType,
    IncidentSnapshot,
    IncidentStatus,
    Severity,
)
from schemas.incident import (
    MAX_INCIDENT_ALERT_DETAILS,
    MAX_INCIDENT_ALERTS,
    MAX_INCIDENT_REASONS,
    MAX_INCIDENT_SERVICES,
    MAX_INCIDENT_SUSPECTS,
    MAX_INCIDENT_TIMELINE,
)

__all__ = ["build_event", "build_snapshot"]

_BUDGET = MAX_RECORD_BYTES - 1024  # headroom: the worker's encoder and ours may format floats differently
#: (alert details, timeline entries, fingerprints) kept at each step of cutting
_CUTS = (
    (MAX_INCIDENT_ALERT_DETAILS, MAX_INCIDENT_TIMELINE, MAX_INCIDENT_ALERTS),
    (100, 50, MAX_INCIDENT_ALERTS),
    (50, 20, MAX_INCIDENT_ALERTS),
    (20, 10, MAX_INCIDENT_ALERTS),
    (5, 5, MAX_INCIDENT_ALERTS),
    (0, 1, MAX_INCIDENT_ALERTS),
    (0, 1, 200),
    (0, 1, 50),
)
_encoder = msgspec.json.Encoder()


def build_event(
    incident: IncidentState,
    event: IncidentEventType,
    ts: float,
    *,
    actor: str | None = None,
    note: str | None = None,
    notify: bool = True,
) -> IncidentEvent:
    """The record announcing `event` on `incident` (already applied to it), cut to fit the record limit."""
    record = None
    for details, timeline, fingerprints in _CUTS:
        record = IncidentEvent(
            event=event,
            incident_id=incident.id,
            ts=ts,
            actor=actor,
            note=note,
            notify=notify,
            incident=build_snapshot(incident, details=details, timeline=timeline, fingerprints=fingerprints),
        )
        if len(_encoder.encode(record)) <= _BUDGET:
            return record
    assert record is not None
    return record


def build_snapshot(
    incident: IncidentState,
    *,
    details: int = MAX_INCIDENT_ALERT_DETAILS,
    timeline: int = MAX_INCIDENT_TIMELINE,
    fingerprints: int = MAX_INCIDENT_ALERTS,
) -> IncidentSnapshot:
    """The incident as subscribers see it, with at most `details` alerts and the last `timeline` entries."""
    ordered = _firing_first(incident)
    return IncidentSnapshot(
        id=incident.id,
        status=IncidentStatus(incident.status),
        severity=Severity(incident.severity),
        title=incident.title,
        group_key=clip(incident.group_key, 1024),
        services=sorted({clip(a.service, 128) for a in incident.alerts.values()})[:MAX_INCIDENT_SERVICES],
        alerts=[a.fingerprint for a in ordered[:fingerprints]],
        labels=dict(incident.labels),
        opened_at=incident.opened_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        domain=clip(incident.domain, 200),
        root_cause=clip(incident.root_cause, 128) if incident.root_cause is not None else None,
        reasons=list(incident.reasons[:MAX_INCIDENT_REASONS]),
        suspects=list(incident.suspects[:MAX_INCIDENT_SUSPECTS]),
        flapping=incident.flapping,
        alert_details=[_detail(a) for a in ordered[:details]],
        timeline=list(incident.timeline[-timeline:]) if timeline else [],
        acknowledged_by=incident.acknowledged_by,
        detected_at=incident.detected_at,
        time_to_acknowledge=incident.time_to_acknowledge,
        time_to_resolve=incident.time_to_resolve,
        reopen_count=incident.reopen_count,
    )


def _firing_first(incident: IncidentState) -> list[TrackedAlert]:
    firing, quiet = [], []
    for alert in incident.alerts.values():
        (firing if alert.status == "firing" else quiet).append(alert)
    return firing + quiet


def _detail(alert: TrackedAlert) -> IncidentAlert:
    return IncidentAlert(
        fingerprint=alert.fingerprint,
        alertname=clip(alert.alertname, 200),
        status=AlertStatus(alert.status),
        severity=Severity(alert.severity),
        labels=dict(alert.labels),
        summary=alert.summary,
        first_seen=alert.first_seen,
        last_seen=alert.last_seen,
        ends_at=None if alert.firing else alert.ends_at,
        count=alert.count,
        silenced_by=clip(alert.silenced_by, 200) if alert.silenced_by is not None else None,
        inhibited_by=alert.inhibited_by,
    )
