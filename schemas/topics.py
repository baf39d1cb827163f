"""Which record type each Vigil topic carries."""

from __future__ import annotations

from schemas.alert import Alert
from schemas.base import Record
from schemas.change import Change
from schemas.command import Command
from schemas.incident import IncidentEvent
from schemas.notification import Notification, NotificationResult
from schemas.telemetry import DeliveryReceipt, LogEvent, MetricSample

__all__ = ["TOPIC_RECORDS"]

TOPIC_RECORDS: dict[str, type[Record]] = {
    "logs": LogEvent,
    "metrics": MetricSample,
    "receipts": DeliveryReceipt,
    "alerts": Alert,
    "incidents": IncidentEvent,
    "changes": Change,
    "commands": Command,
    "notifications": Notification,
    "notifications.results": NotificationResult,
}
"""Topic name -> the record type its values hold."""
