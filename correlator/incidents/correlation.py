"""Which incident a new alert belongs to, and which service is the likely root cause.

Alerts of one group (same `group_by` label values) always share an
incident. An alert of another group joins an open incident when the two
are topologically related *and* close in time: within the correlation
window of the new alert's start, the incident holds a firing (or just
resolved) alert on

- the same service, that also started within the window (so with a
  `group_by` finer than `service`, groups stay apart unless they start
  together),
- one of the new alert's upstreams ("advisor-api depends on postgres,
  which is alerting"), or
- a service that depends on the new alert's service.

Siblings that share a failing upstream therefore meet through it:
compliance-svc joins the incident that holds postgres' alert. Two
siblings alerting while their common upstream is quiet stay apart: a
shared dependency that is not failing explains nothing. Time is compared
on the alerts' own event times (`starts_at`, `ends_at`), so the answer
does not depend on how late or in which order the alerts arrive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from correlator.incidents.state import IncidentState, TrackedAlert
from correlator.incidents.topology import Topology

__all__ = ["Join", "find_join", "root_cause"]


@dataclass(frozen=True, slots=True)
class Join:
    """A new alert's place in an existing incident, and why."""

    incident: IncidentState
    reason: str
    rank: int  #: 0 same service, 1 failing upstream, 2 failing downstream; lower is stronger


def find_join(
    incidents: Iterable[IncidentState],
    service: str,
    starts_at: float,
    topology: Topology,
    window: float,
) -> Join | None:
    """The open incident a new alert on `service` starting at `starts_at` should join, if any.

    The strongest relation wins; among equals, the incident that opened first.
    """
    best: Join | None = None
    for incident in incidents:
        if not incident.is_open:
            continue
        join = _relation(incident, service, starts_at, topology, window)
        if join is not None and (best is None or join.rank < best.rank):
            best = join
    return best


def _relation(
    incident: IncidentState, service: str, starts_at: float, topology: Topology, window: float
) -> Join | None:
    best: Join | None = None
    for alert in incident.alerts.values():
        if not _near(alert, starts_at, window):
            continue
        other = alert.service
        if other == service:
            if abs(starts_at - alert.starts_at) > window:
                continue  # another group on the same service, but not at the same time
            join = Join(incident, f"{service} is already alerting in this incident", 0)
        elif topology.is_upstream(other, of=service):
            join = Join(incident, f"{_depends(topology, service, other)}, which is alerting", 1)
        elif topology.is_upstream(service, of=other):
            join = Join(incident, f"{_depends(topology, other, service)}, and both are alerting", 2)
        else:
            continue
        if best is None or join.rank < best.rank:
            best = join
    return best


def _near(alert: TrackedAlert, starts_at: float, window: float) -> bool:
    """Whether `alert` was firing within `window` of `starts_at` (its episode stretched by the window)."""
    if starts_at < alert.starts_at - window:
        return False
    return alert.firing or alert.ends_at is None or starts_at <= alert.ends_at + window


def _depends(topology: Topology, service: str, upstream: str) -> str:
    """`advisor-api depends on postgres` (`… (via compliance-svc)` when indirect)."""
    chain = topology.path(service, upstream)
    via = f" (via {', '.join(chain[1:-1])})" if len(chain) > 2 else ""
    return f"{service} depends on {upstream}{via}"


def root_cause(services: Sequence[str], topology: Topology) -> str | None:
    """The most upstream of `services` (alerting services, in the order they joined).

    A candidate is a service none of whose upstreams is among `services`.
    Of several, the one more of the others depend on wins, then the one
    that alerted first. Services in a dependency cycle all qualify.
    """
    if not services:
        return None
    unique = list(dict.fromkeys(services))
    candidates = [s for s in unique if not any(t != s and topology.is_upstream(t, of=s) for t in unique)] or unique
    return min(
        candidates,
        key=lambda s: (-sum(1 for t in unique if topology.is_upstream(s, of=t)), unique.index(s)),
    )
