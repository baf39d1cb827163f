"""Closed vocabularies used by the records.

String enums, so that a decoded value compares equal to its wire string
(``LogLevel.error == "error"``) and the JSON Schemas list the allowed values.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AlertStatus",
    "Channel",
    "DeliveryStatus",
    "IncidentEventType",
    "IncidentStatus",
    "LogLevel",
    "Severity",
]


class LogLevel(StrEnum):
    """Severity of a log line, as emitted by the service."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


class Channel(StrEnum):
    """The medium a message was delivered through."""

    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"


class DeliveryStatus(StrEnum):
    """Where a message is in its delivery lifecycle, per the provider."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    UNDELIVERED = "undelivered"


class AlertStatus(StrEnum):
    """Whether an alert's condition holds (firing) or has stopped (resolved)."""

    FIRING = "firing"
    RESOLVED = "resolved"


class Severity(StrEnum):
    """How urgent an alert or incident is; critical is the most urgent."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class IncidentStatus(StrEnum):
    """An incident's state: triggered, acknowledged by a person, or resolved."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class IncidentEventType(StrEnum):
    """What changed in an incident, one event per change."""

    OPENED = "opened"
    ALERT_ADDED = "alert_added"
    SEVERITY_CHANGED = "severity_changed"
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    COMMENT = "comment"
