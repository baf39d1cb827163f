"""A finished (or stopped) replay as the report's RUN object: plain JSON-able data in a stable order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schemas import Alert, IncidentEvent, IncidentSnapshot, Notification, TimelineEntry

if TYPE_CHECKING:
    from correlator.replay.replayer import Replayer

__all__ = ["incident_summary", "run_summary"]


def run_summary(replayer: Replayer) -> dict[str, Any]:
    flow = replayer.flow
    notes_by_incident: dict[str, list[dict[str, Any]]] = {}
    for note in flow.notifications:
        notes_by_incident.setdefault(note.incident_id, []).append(_notification(note))
    incidents = [
        _incident(snapshot, timeline, notes_by_incident.get(snapshot.id, []), replayer)
        for snapshot, timeline in _incidents(flow.events)
    ]
    return {
        "alerts": [_alert(alert, breach) for alert, breach in replayer.alerts],
        "incidents": incidents,
        "notifications": [{**_notification(note), "incident_id": note.incident_id} for note in flow.notifications],
        "commands": [
            {
                "ts": applied.ts,
                "id": applied.command.id,
                "kind": str(applied.command.kind),
                "domain": applied.command.domain,
                "incident_id": applied.command.incident_id,
                "actor": applied.command.actor,
                "accepted": applied.outcome.accepted,
                "reason": applied.outcome.reason,
            }
            for applied in flow.commands
        ],
        "series": replayer.series.to_report(replayer.from_ts, replayer.to_ts),
    }


def incident_summary(incident: dict[str, Any]) -> dict[str, Any]:
    """The few fields that name an incident in a diff."""
    keys = ("id", "title", "severity", "status", "services", "root_cause", "group_key", "opened_at", "resolved_at")
    return {key: incident[key] for key in keys} | {"notifications": len(incident["notifications"])}


def _incidents(events: list[IncidentEvent]) -> list[tuple[IncidentSnapshot, list[TimelineEntry]]]:
    """Each incident's latest snapshot and its whole timeline, in the order the incidents first appeared.

    A snapshot carries only the latest 100 timeline entries; the events together carry them all.
    """
    latest: dict[str, IncidentSnapshot] = {}
    timelines: dict[str, list[TimelineEntry]] = {}
    for event in events:
        latest[event.incident_id] = event.incident
        timelines[event.incident_id] = _merge(timelines.get(event.incident_id, []), event.incident.timeline)
    return [(snapshot, timelines[incident_id]) for incident_id, snapshot in latest.items()]


def _merge(known: list[TimelineEntry], window: list[TimelineEntry]) -> list[TimelineEntry]:
    """`known` plus the entries of `window` (the latest entries, oldest first) that come after it."""
    if not known:
        return list(window)
    # The longest prefix of `window` that `known` ends with is what both hold; the rest is new.
    for overlap in range(min(len(known), len(window)), 0, -1):
        if known[-overlap:] == window[:overlap]:
            return known + window[overlap:]
    return known + list(window)


def _incident(
    snapshot: IncidentSnapshot, timeline: list[TimelineEntry], notes: list[dict[str, Any]], replayer: Replayer
) -> dict[str, Any]:
    detected = snapshot.detected_at
    breach = None
    if detected is not None:
        starts = [replayer.breaches.get((fp, detected)) for fp in snapshot.alerts]
        found = [b for b in starts if b is not None]
        breach = min(found) if found else None
    return {
        "id": snapshot.id,
        "title": snapshot.title,
        "severity": str(snapshot.severity),
        "status": str(snapshot.status),
        "services": list(snapshot.services),
        "root_cause": snapshot.root_cause,
        "group_key": snapshot.group_key,
        "domain": snapshot.domain,
        "opened_at": snapshot.opened_at,
        "acknowledged_at": snapshot.acknowledged_at,
        "acknowledged_by": snapshot.acknowledged_by,
        "resolved_at": snapshot.resolved_at,
        "detected_at": detected,
        "first_breach_at": breach,
        "time_to_detect": max(0.0, detected - breach) if detected is not None and breach is not None else None,
        "time_to_acknowledge": snapshot.time_to_acknowledge,
        "time_to_resolve": snapshot.time_to_resolve,
        "reopen_count": snapshot.reopen_count,
        "flapping": snapshot.flapping,
        "reasons": list(snapshot.reasons),
        "suspects": [suspect.summary for suspect in snapshot.suspects],
        "alerts": [
            {
                "fingerprint": detail.fingerprint,
                "alertname": detail.alertname,
                "severity": str(detail.severity),
                "status": str(detail.status),
                "service": detail.labels.get("service"),
                "summary": detail.summary,
                "first_seen": detail.first_seen,
                "ends_at": detail.ends_at,
                "count": detail.count,
                "silenced_by": detail.silenced_by,
                "inhibited_by": detail.inhibited_by,
            }
            for detail in snapshot.alert_details
        ],
        "timeline": [
            {"ts": entry.ts, "kind": str(entry.kind), "text": entry.text, "actor": entry.actor} for entry in timeline
        ],
        "notifications": notes,
    }


def _alert(alert: Alert, breach: float | None) -> dict[str, Any]:
    return {
        "fingerprint": alert.fingerprint,
        "rule": alert.rule,
        "status": str(alert.status),
        "severity": str(alert.severity),
        "labels": dict(alert.labels),
        "summary": alert.annotations.get("summary"),
        "value": alert.value,
        "threshold": alert.threshold,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "event_ts": alert.event_ts,
        "breach_at": breach,
    }


def _notification(note: Notification) -> dict[str, Any]:
    return {
        "ts": note.ts,
        "receiver": note.receiver,
        "event": str(note.event),
        "reason": note.reason,
        "key": note.key,
        "level": note.level,
        "policy": note.policy,
    }
