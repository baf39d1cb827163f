"""PagerDuty Events API v2: one PagerDuty alert per Vigil incident.

The incident id is the `dedup_key`, so every trigger for the same incident
(opened, escalated, severity raised, reopened…) updates one PagerDuty alert
instead of paging again, and Vigil's acknowledge/resolve close it. That is
also what makes a retried trigger harmless. acknowledge and resolve events
carry only routing_key, dedup_key and event_action, as the API requires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, ClassVar

import aiohttp

from correlator.incidents.text import clip
from notifiers.base import Message, NotifierConfigError, Outcome
from notifiers.http import check_options, post_json, string_option, timeout_option, url_option
from notifiers.render import headline
from notifiers.secrets import Secret, secret_option
from schemas.enums import AlertStatus, IncidentEventType, Severity

__all__ = ["DEFAULT_EVENTS_URL", "SEVERITY", "PagerDutyNotifier", "event_action", "event_body"]

DEFAULT_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
OPTIONS = ("routing_key", "events_url", "source", "timeout")
MAX_SUMMARY = 1024  # the API refuses longer summaries
MAX_ALERTS = 20  # custom_details stay far below the API's 512 KB event limit
MAX_TIMELINE = 5

#: Vigil's severities in PagerDuty's words (PagerDuty has no "high"/"medium"/"low").
SEVERITY: Mapping[str, str] = {
    Severity.CRITICAL: "critical",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "info",
}

#: Vigil's events that change the PagerDuty alert's state; every other event is a trigger, deduped by dedup_key.
_ACTIONS: Mapping[str, str] = {
    IncidentEventType.ACKNOWLEDGED: "acknowledge",
    IncidentEventType.RESOLVED: "resolve",
}


@dataclass(frozen=True, kw_only=True)
class PagerDutyNotifier:
    """One PagerDuty service integration (its Events API v2 routing key)."""

    kind: ClassVar[str] = "pagerduty"
    default_rate_per_second: ClassVar[float] = 2.0  # PagerDuty accepts about 120 events a minute per routing key

    name: str
    routing_key: Secret
    events_url: str = DEFAULT_EVENTS_URL
    source: str | None = None  #: payload.source; default: the root-cause candidate, else the first service
    timeout: float = 10.0

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> PagerDutyNotifier:
        check_options(options, OPTIONS)
        routing_key = secret_option("routing_key", options.get("routing_key"), env)
        assert routing_key is not None
        if any(c.isspace() for c in routing_key.reveal()):
            raise NotifierConfigError("routing_key", "contains whitespace (copy the integration key exactly)")
        return cls(
            name=name,
            routing_key=routing_key,
            events_url=url_option("events_url", options.get("events_url"), env, default=DEFAULT_EVENTS_URL),
            source=string_option("source", options.get("source"), env, required=False),
            timeout=timeout_option(options.get("timeout")),
        )

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        body = event_body(message, routing_key=self.routing_key.reveal(), source=self.source)
        reply = await post_json(http, self.events_url, body, timeout=self.timeout, secrets=[self.routing_key])
        if not reply.outcome.delivered:
            return reply.outcome
        data = reply.json()
        dedup_key = data.get("dedup_key") if isinstance(data, dict) else None
        return replace(reply.outcome, extra={"dedup_key": dedup_key or body["dedup_key"]})


def event_action(event: str) -> str:
    """acknowledged → acknowledge, resolved → resolve, anything else → trigger (PagerDuty dedups it)."""
    return _ACTIONS.get(event, "trigger")


def event_body(message: Message, *, routing_key: str, source: str | None = None) -> dict[str, Any]:
    """The Events API v2 body for `message`."""
    incident = message.incident
    action = event_action(message.event)
    body: dict[str, Any] = {"routing_key": routing_key, "event_action": action, "dedup_key": incident.id}
    if action != "trigger":
        return body
    payload: dict[str, Any] = {
        "summary": clip(headline(message), MAX_SUMMARY),
        "source": source or incident.root_cause or (incident.services[0] if incident.services else "vigil"),
        "severity": SEVERITY[incident.severity],
        "timestamp": _iso(message.ts),
        "custom_details": custom_details(message),
    }
    if incident.root_cause:
        payload["component"] = incident.root_cause
    if incident.domain:
        payload["group"] = incident.domain
    alert_class = _alert_class(message)
    if alert_class:
        payload["class"] = alert_class
    body["payload"] = payload
    body["client"] = "Vigil"
    if message.link:
        body["client_url"] = message.link
        body["links"] = [{"href": message.link, "text": f"Incident {incident.id} in Vigil"}]
    return body


def custom_details(message: Message) -> dict[str, Any]:
    """What the responder sees under "Details" in PagerDuty: the incident in brief, bounded."""
    incident = message.incident
    details: dict[str, Any] = {
        "incident": incident.id,
        "event": str(message.event),
        "status": str(incident.status),
        "title": incident.title,
        "services": list(incident.services),
        "root_cause": incident.root_cause,
        "opened_at": _iso(incident.opened_at),
        "alerts_total": len(incident.alerts),
        "alerts": [
            {
                "alertname": alert.alertname,
                "status": str(alert.status),
                "severity": str(alert.severity),
                "service": alert.labels.get("service"),
                "summary": alert.summary,
            }
            for alert in incident.alert_details[:MAX_ALERTS]
        ],
        "suspects": [suspect.summary for suspect in incident.suspects],
        "reasons": list(incident.reasons[:MAX_ALERTS]),
        "timeline": [f"{_iso(entry.ts)} {entry.kind}: {entry.text}" for entry in incident.timeline[-MAX_TIMELINE:]],
    }
    if message.level:
        details["escalation_level"] = message.level
    if message.actor:
        details["actor"] = message.actor
    if message.note:
        details["note"] = message.note
    return details


def _alert_class(message: Message) -> str | None:
    """The alert name of its first firing alert (PagerDuty's "class": the type of problem)."""
    alerts = message.incident.alert_details
    firing = [a for a in alerts if a.status == AlertStatus.FIRING] or alerts
    return firing[0].alertname if firing else None


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
