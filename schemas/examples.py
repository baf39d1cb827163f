"""One valid example of each record type, for docs, schemas and tests."""

from __future__ import annotations

from types import MappingProxyType

from schemas.alert import Alert
from schemas.base import Record
from schemas.change import Change
from schemas.command import Command, SilenceSpec
from schemas.enums import (
    AlertStatus,
    ChangeKind,
    Channel,
    CommandKind,
    DeliveryStatus,
    IncidentEventType,
    IncidentStatus,
    LogLevel,
    NotificationOutcome,
    Severity,
)
from schemas.incident import IncidentAlert, IncidentEvent, IncidentSnapshot, SuspectChange, TimelineEntry
from schemas.notification import Notification, NotificationResult
from schemas.telemetry import DeliveryReceipt, LogEvent, MetricSample

__all__ = [
    "ALERT",
    "CHANGE",
    "COMMAND",
    "DELIVERY_RECEIPT",
    "EXAMPLES",
    "INCIDENT_EVENT",
    "LOG_EVENT",
    "METRIC_SAMPLE",
]

_T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z

METRIC_SAMPLE = MetricSample(
    ts=_T0 + 12.5,
    service="checkout-api",
    name="http_request_duration_seconds",
    value=0.183,
    labels={"route": "/pay", "method": "POST", "status": "200"},
)

LOG_EVENT = LogEvent(
    ts=_T0 + 13.25,
    service="checkout-api",
    level=LogLevel.ERROR,
    message="payment gateway timed out after 3000 ms",
    logger="payments.gateway",
    labels={"region": "eu-west-1"},
)

DELIVERY_RECEIPT = DeliveryReceipt(
    ts=_T0 + 14.0,
    service="notify-worker",
    message_id="SM5f2c9e0d8b7a4f1e9c3d2b1a0f9e8d7c",
    channel=Channel.SMS,
    provider="twilio",
    status=DeliveryStatus.UNDELIVERED,
    error_code="30008",
    labels={"country": "BR"},
)

ALERT = Alert(
    fingerprint="8c1d2e3f4a5b6c7d",
    rule="checkout_latency_p99_high",
    status=AlertStatus.FIRING,
    severity=Severity.HIGH,
    labels={"service": "checkout-api", "route": "/pay"},
    annotations={"summary": "p99 latency of /pay above 1s for 5m"},
    value=1.42,
    threshold=1.0,
    starts_at=_T0 + 300.0,
    event_ts=_T0 + 300.0,
    emitted_at=_T0 + 301.2,
)

INCIDENT_EVENT = IncidentEvent(
    event=IncidentEventType.ACKNOWLEDGED,
    incident_id="inc-5d41402abc4b",
    ts=_T0 + 420.0,
    actor="ana@example.com",
    note="looking at the database",
    incident=IncidentSnapshot(
        id="inc-5d41402abc4b",
        status=IncidentStatus.ACKNOWLEDGED,
        severity=Severity.CRITICAL,
        title="checkout-api: p99 latency of /pay above 1s for 5m",
        group_key="service=checkout-api",
        services=["checkout-api", "postgres"],
        alerts=["8c1d2e3f4a5b6c7d", "0f1e2d3c4b5a6978"],
        labels={"service": "checkout-api"},
        opened_at=_T0 + 301.2,
        acknowledged_at=_T0 + 420.0,
        domain="postgres",
        root_cause="postgres",
        reasons=["checkout-api depends on postgres, which is alerting"],
        suspects=[
            SuspectChange(
                id="deploy-7731",
                kind=ChangeKind.DEPLOY,
                service="postgres",
                version="16.4-2",
                author="bruno@example.com",
                ts=_T0 + 120.0,
                link="https://ci.example.com/deploys/7731",
                summary="postgres 16.4-2 deployed 3 min before the incident",
            )
        ],
        alert_details=[
            IncidentAlert(
                fingerprint="8c1d2e3f4a5b6c7d",
                alertname="checkout_latency_p99_high",
                status=AlertStatus.FIRING,
                severity=Severity.HIGH,
                labels={"service": "checkout-api", "route": "/pay"},
                summary="p99 latency of /pay above 1s for 5m",
                first_seen=_T0 + 300.0,
                last_seen=_T0 + 360.0,
                count=2,
            ),
            IncidentAlert(
                fingerprint="0f1e2d3c4b5a6978",
                alertname="PostgresReplicationLag",
                status=AlertStatus.FIRING,
                severity=Severity.CRITICAL,
                labels={"service": "postgres"},
                summary="replication lag above 30s",
                first_seen=_T0 + 330.0,
                last_seen=_T0 + 330.0,
            ),
        ],
        timeline=[
            TimelineEntry(
                ts=_T0 + 301.2,
                kind=IncidentEventType.OPENED,
                text="opened by checkout_latency_p99_high on checkout-api (high)",
            ),
            TimelineEntry(
                ts=_T0 + 331.0,
                kind=IncidentEventType.ALERT_ADDED,
                text="PostgresReplicationLag on postgres joined: checkout-api depends on postgres, which is alerting",
            ),
            TimelineEntry(
                ts=_T0 + 331.0,
                kind=IncidentEventType.SEVERITY_CHANGED,
                text="severity high → critical (PostgresReplicationLag on postgres)",
            ),
            TimelineEntry(
                ts=_T0 + 420.0,
                kind=IncidentEventType.ACKNOWLEDGED,
                text="acknowledged by ana@example.com: looking at the database",
                actor="ana@example.com",
            ),
        ],
        acknowledged_by="ana@example.com",
        detected_at=_T0 + 300.0,
        time_to_acknowledge=120.0,
    ),
)

CHANGE = Change(
    id="deploy-7731",
    kind=ChangeKind.DEPLOY,
    service="postgres",
    version="16.4-2",
    author="bruno@example.com",
    ts=_T0 + 120.0,
    link="https://ci.example.com/deploys/7731",
    description="minor version upgrade",
)

COMMAND = Command(
    id="cmd-3b8e41f0",
    kind=CommandKind.SILENCE,
    domain="postgres",
    actor="ana@example.com",
    ts=_T0 + 600.0,
    note="failover drill",
    silence=SilenceSpec(
        matchers=['service="postgres"', 'alertname=~"PostgresReplication.*"'],
        starts_at=_T0 + 600.0,
        ends_at=_T0 + 4200.0,
        comment="postgres failover drill",
    ),
)

NOTIFICATION = Notification(
    key=f"{INCIDENT_EVENT.incident_id}/oncall-pager/escalation-0-0-1",
    receiver="oncall-pager",
    incident_id=INCIDENT_EVENT.incident_id,
    event=IncidentEventType.ESCALATED,
    ts=_T0 + 600.0,
    reason="escalation level 1: not acknowledged within 5 min",
    policy="critical-default",
    level=1,
    incident=INCIDENT_EVENT.incident,
)

NOTIFICATION_RESULT = NotificationResult(
    key=NOTIFICATION.key,
    receiver="oncall-pager",
    incident_id=NOTIFICATION.incident_id,
    outcome=NotificationOutcome.RETRYING,
    attempt=1,
    ts=_T0 + 600.4,
    seconds=0.41,
    status=429,
    detail="429 Too Many Requests; retrying in 2.0 s (Retry-After)",
)

EXAMPLES: MappingProxyType[type[Record], Record] = MappingProxyType(
    {
        MetricSample: METRIC_SAMPLE,
        LogEvent: LOG_EVENT,
        DeliveryReceipt: DELIVERY_RECEIPT,
        Alert: ALERT,
        IncidentEvent: INCIDENT_EVENT,
        Change: CHANGE,
        Command: COMMAND,
        Notification: NOTIFICATION,
        NotificationResult: NOTIFICATION_RESULT,
    }
)
"""Record type -> a valid example instance."""
