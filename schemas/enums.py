"""Closed vocabularies used by the records.

String enums, so that a decoded value compares equal to its wire string
(``LogLevel.error == "error"``) and the JSON Schemas list the allowed values.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AlertStatus",
    "ChangeKind",
    "Channel",
    "CommandKind",
    "DeliveryStatus",
    "IncidentEventType",
    "IncidentStatus",
    "LogLevel",
    "NotificationOutcome",
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
    """What changed in an incident, one event per change.

    Each event is also the `kind` of the timeline entry it adds.
    """

    OPENED = "opened"  #: a firing alert started a new incident
    ALERT_ADDED = "alert_added"  #: an alert joined, or one of its alerts fired again
    ALERT_RESOLVED = "alert_resolved"  #: one of its alerts stopped firing
    SEVERITY_CHANGED = "severity_changed"  #: its severity rose (a fall is told in the event that caused it)
    ACKNOWLEDGED = "acknowledged"
    ESCALATED = "escalated"
    RESOLVED = "resolved"  #: by a person, or automatically once every alert had been resolved for a while
    REOPENED = "reopened"  #: its group fired again soon after it was resolved
    COMMENT = "comment"
    SILENCED = "silenced"  #: some of its firing alerts are now silenced (a silence or a maintenance window)
    UNSILENCED = "unsilenced"  #: a silence ended or was removed; the alerts are audible again
    INHIBITED = "inhibited"  #: some of its firing alerts are now inhibited by another alert
    UNINHIBITED = "uninhibited"  #: the inhibiting alert stopped firing
    FLAPPING = "flapping"  #: an alert changes state too often; notifications are held
    STABLE = "stable"  #: no alert changed state for a while; notifications resume
    SUSPECT_ADDED = "suspect_added"  #: a deploy or config change shortly before it began was reported
    CHANGE_OBSERVED = "change_observed"  #: a deploy or config change to its services happened during it


class NotificationOutcome(StrEnum):
    """What became of one delivery attempt (topic `notifications.results`)."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"
    FALLBACK = "fallback"
    DUPLICATE = "duplicate"
    CIRCUIT_OPEN = "circuit_open"
    SKIPPED = "skipped"


class ChangeKind(StrEnum):
    """What kind of change was made to a service."""

    DEPLOY = "deploy"
    CONFIG = "config"


class CommandKind(StrEnum):
    """What a person asks the correlator to do."""

    ACK = "ack"
    RESOLVE = "resolve"
    COMMENT = "comment"
    SILENCE = "silence"
    UNSILENCE = "unsilence"
    ESCALATE = "escalate"  #: sent by Vigil's pager when a level of an escalation policy fires, for the timeline
