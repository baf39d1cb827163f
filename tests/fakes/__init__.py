"""Fakes for notifier tests: provider servers (providers.py) and the incident messages to send them.

`incident()` is a realistic incident (critical, two services, a root
cause, a suspect deploy, alerts and a timeline) so that every field a
channel renders is present; tests override what they look at.
"""

from __future__ import annotations

from typing import Any

from notifiers.base import Message
from schemas import IncidentAlert, IncidentSnapshot, SuspectChange, TimelineEntry
from schemas.enums import IncidentEventType
from tests.fakes.providers import FakePagerDuty, FakeServer, FakeSlack, FakeTwilio, FakeWebhook, Fault, Recorded

__all__ = [
    "T0",
    "FakePagerDuty",
    "FakeServer",
    "FakeSlack",
    "FakeTwilio",
    "FakeWebhook",
    "Fault",
    "Recorded",
    "incident",
    "message",
]

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def incident(incident_id: str = "inc-e6e0d480d7f6", **changes: Any) -> IncidentSnapshot:
    """An incident snapshot; `status` acknowledged/resolved fill in the times the schema requires."""
    fields: dict[str, Any] = {
        "id": incident_id,
        "status": "triggered",
        "severity": "critical",
        "title": "advisor-api P95 1.9 s > 1 s",
        "group_key": "service=advisor-api",
        "services": ["advisor-api", "postgres"],
        "alerts": ["8c1d2e3f4a5b6c7d", "0a1b2c3d4e5f6071"],
        "labels": {"service": "advisor-api", "team": "api"},
        "opened_at": T0,
        "detected_at": T0 - 30,
        "domain": "advisory",
        "root_cause": "postgres",
        "reasons": ["advisor-api depends on postgres"],
        "suspects": [
            SuspectChange(
                id="chg-42",
                kind="deploy",
                service="postgres",
                version="16.2",
                author="ops-bot",
                ts=T0 - 180,
                link="https://ci.example.com/runs/42",
                summary="postgres 16.2 deployed 3 min before the incident",
            )
        ],
        "alert_details": [
            IncidentAlert(
                fingerprint="8c1d2e3f4a5b6c7d",
                alertname="ApiLatencyP95High",
                status="firing",
                severity="critical",
                labels={"service": "advisor-api"},
                summary="advisor-api P95 latency 1.9s exceeds 1s",
                first_seen=T0 - 30,
                last_seen=T0 + 60,
            ),
            IncidentAlert(
                fingerprint="0a1b2c3d4e5f6071",
                alertname="PostgresLockWaits",
                status="resolved",
                severity="high",
                labels={"service": "postgres"},
                first_seen=T0,
                last_seen=T0 + 90,
                ends_at=T0 + 90,
            ),
        ],
        "timeline": [
            TimelineEntry(ts=T0, kind="opened", text="opened by ApiLatencyP95High on advisor-api"),
            TimelineEntry(ts=T0 + 60, kind="alert_added", text="PostgresLockWaits on postgres joined"),
        ],
    }
    fields.update(changes)
    if fields["status"] in ("acknowledged", "resolved"):
        fields.setdefault("acknowledged_at", T0 + 120)
        fields.setdefault("acknowledged_by", "ana")
    if fields["status"] == "resolved":
        fields.setdefault("resolved_at", T0 + 600)
    return IncidentSnapshot(**fields)


_STATUS_AFTER = {IncidentEventType.ACKNOWLEDGED: "acknowledged", IncidentEventType.RESOLVED: "resolved"}


def message(event: str = "opened", *, snapshot: IncidentSnapshot | None = None, **changes: Any) -> Message:
    """A Message for `event`; the incident's status follows the event unless `snapshot` is given."""
    kind = IncidentEventType(event)
    if snapshot is None:
        snapshot = incident(status=_STATUS_AFTER.get(kind, "triggered"))
    fields: dict[str, Any] = {
        "key": f"{snapshot.id}:{kind}:0:oncall",
        "receiver": "oncall",
        "event": kind,
        "incident": snapshot,
        "ts": T0 + 720,
        "link": f"https://vigil.example.com/incidents/{snapshot.id}",
    }
    fields.update(changes)
    return Message(**fields)
