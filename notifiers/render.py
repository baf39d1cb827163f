"""An incident change in words, the same words on every channel.

Slack, SMS, PagerDuty and email all start from `headline` (one line a pager
can show: `[CRITICAL] OPENED: advisor-api P95 1.9 s > 1 s`) and `details`
(short plain lines: status, services, root cause, suspects, link), so a
responder reads the same thing wherever the page reaches them. Channels
only add their own markup and length limits. Pure functions of the
Message: its `ts` is "now" for durations, so a retried send renders the
same text.
"""

from __future__ import annotations

from correlator.incidents.text import ago, clip
from notifiers.base import Message
from schemas import IncidentSnapshot
from schemas.enums import AlertStatus, IncidentEventType, IncidentStatus

__all__ = ["AUTOMATIC_ACTOR", "details", "event_words", "headline", "plain_text", "status_words"]

AUTOMATIC_ACTOR = "vigil"  #: the actor of changes Vigil made by itself; not worth naming to people
MAX_SERVICES = 5
MAX_SUSPECTS = 2

_WORDS = {
    IncidentEventType.OPENED: "OPENED",
    IncidentEventType.ALERT_ADDED: "ALERT ADDED",
    IncidentEventType.ALERT_RESOLVED: "ALERT RESOLVED",
    IncidentEventType.SEVERITY_CHANGED: "SEVERITY RAISED",  # a fall is told in the event that caused it
    IncidentEventType.ACKNOWLEDGED: "ACKNOWLEDGED",
    IncidentEventType.ESCALATED: "ESCALATED",
    IncidentEventType.RESOLVED: "RESOLVED",
    IncidentEventType.REOPENED: "REOPENED",
    IncidentEventType.COMMENT: "COMMENT",
    IncidentEventType.SUSPECT_ADDED: "SUSPECT CHANGE",
    IncidentEventType.CHANGE_OBSERVED: "CHANGE DURING INCIDENT",
}


def headline(message: Message) -> str:
    """`[CRITICAL] OPENED: advisor-api P95 1.9 s > 1 s` — severity, what happened, the incident's title."""
    return f"[{message.incident.severity.upper()}] {event_words(message)}: {message.incident.title}"


def event_words(message: Message) -> str:
    """What happened, in capitals, with who did it: `ACKNOWLEDGED by ana`, `ESCALATED to level 2`."""
    words = _WORDS.get(message.event) or message.event.replace("_", " ").upper()
    if message.event == IncidentEventType.ESCALATED:
        return f"{words} to level {message.level + 1}"  # levels count from 0 in packs' lists, from 1 for people
    if message.event == IncidentEventType.SEVERITY_CHANGED:
        return f"{words} to {message.incident.severity}"
    actor = message.actor
    if message.event == IncidentEventType.ACKNOWLEDGED:
        actor = actor or message.incident.acknowledged_by
    if actor and actor != AUTOMATIC_ACTOR:
        return f"{words} by {actor}"
    return words


def status_words(incident: IncidentSnapshot, at: float) -> str:
    """`open for 12 min`, `acknowledged by ana`, `resolved after 40 min` as of time `at`."""
    if incident.status == IncidentStatus.RESOLVED:
        took = incident.time_to_resolve
        if took is None and incident.resolved_at is not None:
            took = incident.resolved_at - (incident.detected_at or incident.opened_at)
        return f"resolved after {ago(took)}" if took is not None else "resolved"
    if incident.status == IncidentStatus.ACKNOWLEDGED:
        who = f" by {incident.acknowledged_by}" if incident.acknowledged_by else ""
        return f"acknowledged{who}, open for {ago(at - incident.opened_at)}"
    return f"triggered, open for {ago(at - incident.opened_at)}"


def details(message: Message, *, link: bool = True) -> list[str]:
    """Short plain lines under the headline; the most useful first, since SMS cuts from the end."""
    incident = message.incident
    lines = [f"Severity: {incident.severity} | Status: {status_words(incident, message.ts)}"]
    if incident.root_cause:
        lines.append(f"Root cause candidate: {incident.root_cause}")
    if incident.services:
        lines.append(f"Services: {_services(incident.services)}")
    for suspect in incident.suspects[:MAX_SUSPECTS]:
        lines.append(f"Suspect: {suspect.summary}")
    if message.note:
        lines.append(f"Note: {clip(' '.join(message.note.split()), 300)}")
    lines.append(f"Alerts: {_alert_count(incident)} | Incident: {incident.id}")
    if link and message.link:
        lines.append(f"Link: {message.link}")
    return lines


def plain_text(message: Message) -> str:
    """Headline and details as one text (email body, logs, plain receivers)."""
    return "\n".join([headline(message), *details(message)])


def _services(services: list[str]) -> str:
    shown = ", ".join(services[:MAX_SERVICES])
    more = len(services) - MAX_SERVICES
    return f"{shown} and {more} more" if more > 0 else shown


def _alert_count(incident: IncidentSnapshot) -> str:
    if not incident.alert_details:
        return f"{len(incident.alerts)}"
    firing = sum(1 for alert in incident.alert_details if alert.status == AlertStatus.FIRING)
    resolved = len(incident.alerts) - firing
    return f"{firing} firing, {resolved} resolved" if resolved else f"{firing} firing"
