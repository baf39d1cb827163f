"""Alerts from outside: Prometheus and Alertmanager bodies become Vigil alerts.

    >>> from streams.intake import from_v2_alerts
    >>> body = b'[{"labels": {"alertname": "Up", "job": "api"}, "startsAt": "2026-01-01T00:00:00Z"}]'
    >>> [f"{a.rule} {a.status} service={a.labels['service']}" for a in from_v2_alerts(body, now=1767225660.0)]
    ['Up firing service=api']

``alertmanager`` is pure (bytes and ``now`` in, ``schemas.Alert`` out, every
refusal an :class:`IntakeError`); ``handlers`` holds the aiohttp side.
"""

from streams.intake._reader import MAX_BODY_BYTES
from streams.intake.alertmanager import SEVERITIES, from_v2_alerts, from_webhook_v4
from streams.intake.errors import IntakeError
from streams.intake.handlers import accepted_response, error_response, read_body

__all__ = [
    "MAX_BODY_BYTES",
    "SEVERITIES",
    "IntakeError",
    "accepted_response",
    "error_response",
    "from_v2_alerts",
    "from_webhook_v4",
    "read_body",
]
