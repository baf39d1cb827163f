"""Vigil's wire records: versioned, strict, with JSON codecs and JSON Schemas.

    >>> from schemas import MetricSample, decode, encode
    >>> raw = encode(MetricSample(ts=1767225600.0, service="api", name="up", value=1.0))
    >>> decode(MetricSample, raw).value
    1.0

Every decoding or encoding failure raises :class:`SchemaError` with a JSON
path (``error.field``) and a plain-words ``error.problem``.
"""

from schemas.alert import Alert
from schemas.base import SCHEMA_VERSION, Record
from schemas.change import Change
from schemas.codec import MAX_RECORD_BYTES, decode, decode_for_topic, encode
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
from schemas.errors import SchemaError
from schemas.examples import EXAMPLES
from schemas.export import export_all, json_schema
from schemas.incident import IncidentAlert, IncidentEvent, IncidentSnapshot, SuspectChange, TimelineEntry
from schemas.notification import Notification, NotificationResult
from schemas.telemetry import DeliveryReceipt, LogEvent, MetricSample
from schemas.topics import TOPIC_RECORDS

__all__ = [
    "EXAMPLES",
    "MAX_RECORD_BYTES",
    "SCHEMA_VERSION",
    "TOPIC_RECORDS",
    "Alert",
    "AlertStatus",
    "Change",
    "ChangeKind",
    "Channel",
    "Command",
    "CommandKind",
    "DeliveryReceipt",
    "DeliveryStatus",
    "IncidentAlert",
    "IncidentEvent",
    "IncidentEventType",
    "IncidentSnapshot",
    "IncidentStatus",
    "LogEvent",
    "LogLevel",
    "MetricSample",
    "Notification",
    "NotificationOutcome",
    "NotificationResult",
    "Record",
    "SchemaError",
    "Severity",
    "SilenceSpec",
    "SuspectChange",
    "TimelineEntry",
    "decode",
    "decode_for_topic",
    "encode",
    "export_all",
    "json_schema",
]
