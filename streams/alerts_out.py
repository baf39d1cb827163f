"""From the core's alert transitions to records on the `alerts` topic."""

from __future__ import annotations

from correlator import AlertTransition
from schemas import Alert, AlertStatus, Severity

__all__ = ["alert_record", "alert_line"]


def alert_record(transition: AlertTransition, *, emitted_at: float) -> Alert:
    return Alert(
        fingerprint=transition.fingerprint,
        rule=transition.rule,
        status=AlertStatus(transition.status),
        severity=Severity(transition.severity),
        labels=dict(transition.labels),
        annotations=dict(transition.annotations),
        value=transition.value,
        threshold=transition.threshold,
        starts_at=transition.starts_at,
        ends_at=transition.ends_at,
        event_ts=transition.at,
        emitted_at=emitted_at,
    )


def alert_line(alert: Alert) -> str:
    """One human line for logs and the console."""
    mark = "FIRING  " if alert.status == AlertStatus.FIRING else "RESOLVED"
    labels = " ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k not in ("alertname", "severity"))
    summary = alert.annotations.get("summary", "")
    return f"{mark} [{alert.severity}] {alert.rule} {labels} — {summary}".rstrip(" —")
