"""One valid example of each record type, for docs, schemas and tests."""

from __future__ import annotations

from types import MappingProxyType

from schemas.alert import Alert
from schemas.base import Record
from schemas.enums import (
    AlertStatus,
    Channel,
    DeliveryStatus,
    IncidentEventType,
    IncidentStatus,
    LogLevel,
    Severity,
)
from schemas.incident import IncidentEvent, IncidentSnapshot
from schemas.telemetry import DeliveryReceipt, LogEvent, MetricSample

__all__ = ["ALERT", "DELIVERY_RECEIPT", "EXAMPLES", "INCIDENT_EVENT", "LOG_EVENT", "METRIC_SAMPLE"]

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
    incident_id="inc-20260101-0001",
    ts=_T0 + 420.0,
    actor="ana@example.com",
    note="looking at the gateway",
    incident=IncidentSnapshot(
        id="inc-20260101-0001",
        status=IncidentStatus.ACKNOWLEDGED,
        severity=Severity.HIGH,
        title="checkout-api: p99 latency of /pay above 1s",
        group_key="service=checkout-api",
        services=["checkout-api"],
        alerts=["8c1d2e3f4a5b6c7d"],
        labels={"service": "checkout-api"},
        opened_at=_T0 + 301.2,
        acknowledged_at=_T0 + 420.0,
    ),
)

EXAMPLES: MappingProxyType[type[Record], Record] = MappingProxyType(
    {
        MetricSample: METRIC_SAMPLE,
        LogEvent: LOG_EVENT,
        DeliveryReceipt: DELIVERY_RECEIPT,
        Alert: ALERT,
        IncidentEvent: INCIDENT_EVENT,
    }
)
"""Record type -> a valid example instance."""
