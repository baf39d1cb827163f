"""Which record type each Vigil topic carries."""

from __future__ import annotations

from schemas.alert import Alert
from schemas.base import Record
from schemas.incident import IncidentEvent
from schemas.telemetry import DeliveryReceipt, LogEvent, MetricSample

__all__ = ["TOPIC_RECORDS"]

TOPIC_RECORDS: dict[str, type[Record]] = {
    "logs": LogEvent,
    "metrics": MetricSample,
    "receipts": DeliveryReceipt,
    "alerts": Alert,
    "incidents": IncidentEvent,
}
"""Topic name -> the record type its values hold."""
