"""The series Vigil derives from logs and receipts, so a config can be checked against them.

Metrics keep their producers' names and labels, which cannot be known in
advance. Logs and receipts are counted into a fixed set of series (see
correlator/samples.py), so a matcher on a label those series never carry,
or on a value the schemas reject, can be caught before it silently never
matches. The vocabularies mirror schemas/enums.py (a test keeps them equal).
"""

from __future__ import annotations

__all__ = ["COUNTED_SERIES", "LABEL_VALUES", "SEVERITIES", "SOURCES"]

SOURCES: tuple[str, ...] = ("metrics", "logs", "receipts")

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")

#: source → series name → the labels it carries (besides `service`). Each event counts 1, with no value.
COUNTED_SERIES: dict[str, dict[str, tuple[str, ...]]] = {
    "logs": {
        "log_events": ("level",),
        "log_pattern_matches": ("pattern", "level"),
    },
    "receipts": {
        "delivery_receipts": ("channel", "provider", "status"),
        "delivery_outcomes": ("channel", "provider", "outcome"),
    },
}

#: Closed vocabularies of the counted series' labels.
LABEL_VALUES: dict[str, tuple[str, ...]] = {
    "level": ("debug", "info", "warning", "error", "critical"),
    "channel": ("whatsapp", "sms", "email", "push"),
    "status": ("queued", "sent", "delivered", "read", "failed", "undelivered"),
    "outcome": ("success", "failure"),
}
