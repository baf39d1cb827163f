"""Change correlation: which deploys and config changes may have caused an incident.

A change is a *suspect* of an incident when it touched one of the
incident's services or one of their upstreams at most `change_window`
before one of the incident's alerts on such a service began (a change to
postgres is a suspect for advisor-api's alert when advisor-api depends on
postgres). The summary says how long before: "advisor-api 1.4.2 deployed
3 min before the incident" (or "… before compliance-svc alerted" when it
precedes a later alert rather than the first).

A change to those services made *after* every alert it could explain had
begun (a rollback, a hotfix) is no suspect; the incident notes it in its
timeline as observed during the incident.
"""

from __future__ import annotations

from collections.abc import Iterable

from correlator.incidents.state import IncidentState, TrackedAlert
from correlator.incidents.text import ago, change_words, clip
from correlator.incidents.topology import Topology
from schemas import Change, SuspectChange
from schemas.incident import MAX_INCIDENT_SUSPECTS

__all__ = ["concerns", "explained_alert", "suspect_of", "with_suspect"]


def concerns(change: Change, incident: IncidentState, topology: Topology) -> bool:
    """Whether `change` touched a service of the incident or an upstream of one."""
    return any(_touches(change, alert, topology) for alert in incident.alerts.values())


def explained_alert(
    change: Change, alerts: Iterable[TrackedAlert], topology: Topology, window: float
) -> tuple[TrackedAlert, float] | None:
    """The earliest-starting alert (and that start) `change` came at most `window` before, on a service it touched.

    Both an alert's first start and its latest one count: a change can explain an alert firing again.
    """
    best: tuple[TrackedAlert, float] | None = None
    for alert in alerts:
        if not _touches(change, alert, topology):
            continue
        for start in (alert.first_seen, alert.starts_at):
            if start - window <= change.ts <= start and (best is None or start < best[1]):
                best = (alert, start)
    return best


def suspect_of(change: Change, incident: IncidentState, topology: Topology, window: float) -> SuspectChange | None:
    """`change` as a suspect of `incident`, with its summary; None if it explains none of its alerts."""
    explained = explained_alert(change, incident.alerts.values(), topology, window)
    if explained is None:
        return None
    alert, start = explained
    before = "the incident" if start <= incident.detected_at else f"{alert.service} alerted"
    return SuspectChange(
        id=change.id,
        kind=change.kind,
        service=change.service,
        version=change.version,
        author=change.author,
        ts=change.ts,
        link=change.link,
        summary=clip(f"{change_words(change)} {ago(start - change.ts)} before {before}"),
    )


def with_suspect(suspects: list[SuspectChange], suspect: SuspectChange) -> list[SuspectChange]:
    """`suspects` plus `suspect`, newest change first, at most the schema's limit."""
    merged = [s for s in suspects if s.id != suspect.id] + [suspect]
    merged.sort(key=lambda s: (-s.ts, s.id))
    return merged[:MAX_INCIDENT_SUSPECTS]


def _touches(change: Change, alert: TrackedAlert, topology: Topology) -> bool:
    return change.service == alert.service or topology.is_upstream(change.service, of=alert.service)
