"""Records producers send in: metric samples, log lines, delivery receipts."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from schemas.base import Record
from schemas.enums import Channel, DeliveryStatus, LogLevel
from schemas.fields import Finite, Labels, MessageText, Name, Service, UnixSeconds

__all__ = ["DeliveryReceipt", "LogEvent", "MetricSample"]


class MetricSample(Record, kw_only=True):
    """One observation of a metric (topic `metrics`)."""

    ts: Annotated[UnixSeconds, Meta(description="Event time: when the value was observed, Unix seconds.")]
    service: Service
    name: Annotated[Name, Meta(description="Metric name, e.g. `http_request_duration_seconds`.")]
    value: Annotated[Finite, Meta(description="The observed value; a finite number.")]
    labels: Labels = {}


class LogEvent(Record, kw_only=True):
    """One log line from a service (topic `logs`)."""

    ts: Annotated[UnixSeconds, Meta(description="Event time: when the line was logged, Unix seconds.")]
    service: Service
    level: Annotated[LogLevel, Meta(description="Log level.")]
    message: Annotated[MessageText, Meta(description="The log message, at most 16384 characters.")]
    logger: Annotated[Name | None, Meta(description="Logger name within the service, e.g. `payments.gateway`.")] = None
    labels: Labels = {}


class DeliveryReceipt(Record, kw_only=True):
    """A provider's report on one outbound message (topic `receipts`)."""

    ts: Annotated[UnixSeconds, Meta(description="Event time: when the provider reported the status, Unix seconds.")]
    service: Service
    message_id: Annotated[Name, Meta(description="The message's id, as assigned by the sender or provider.")]
    channel: Annotated[Channel, Meta(description="Delivery channel.")]
    provider: Annotated[str, Meta(min_length=1, max_length=64, description="Delivery provider, e.g. `twilio`, `meta`.")]
    status: Annotated[DeliveryStatus, Meta(description="Delivery status reported.")]
    error_code: Annotated[
        Annotated[str, Meta(min_length=1, max_length=64)] | None,
        Meta(description="Provider error code when the status is a failure, e.g. `30008`."),
    ] = None
    labels: Labels = {}
