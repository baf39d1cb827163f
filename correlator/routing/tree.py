"""Walking the route tree: which routes an incident reaches, with inherited settings filled in.

Alertmanager's rules: the root matches everything; a node that matches
tries its children in order; the deepest matching nodes win, and the first
matching child stops its siblings unless it says `continue: true`. A node
with no matching child is itself the match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from correlator.incidents.labels import labels_match
from correlator.routing.model import (
    DEFAULT_GROUP_INTERVAL,
    DEFAULT_GROUP_WAIT,
    DEFAULT_REPEAT_INTERVAL,
    Route,
    RoutingConfig,
)
from schemas import IncidentSnapshot

__all__ = ["RouteMatch", "match_routes", "route_at", "routing_labels"]


@dataclass(frozen=True)
class RouteMatch:
    """A matched route with everything inherited resolved: one notification lane of an incident."""

    path: str  #: `root/1/0`: stable as long as the tree is, used in idempotency keys and state
    name: str
    receivers: tuple[str, ...]
    escalation: str | None
    group_wait: float
    group_interval: float
    repeat_interval: float
    mute_time_intervals: tuple[str, ...]
    rollback_webhook: str | None


def routing_labels(incident: IncidentSnapshot) -> dict[str, str]:
    """What routes match on: the incident's common labels, its severity, root cause and domain.

    `service` is the incident's own label when it groups by service, else its
    root-cause candidate, so `service="postgres"` routes a joined incident to
    the team of the service at fault.
    """
    labels = dict(incident.labels)
    labels["severity"] = str(incident.severity)
    if incident.root_cause:
        labels["root_cause"] = incident.root_cause
        labels.setdefault("service", incident.root_cause)
    elif incident.services:
        labels.setdefault("service", incident.services[0])
    if incident.domain:
        labels["domain"] = incident.domain
    return labels


def match_routes(config: RoutingConfig, labels: Mapping[str, str]) -> list[RouteMatch]:
    """Every lane `labels` reach, in tree order (never empty: the root catches everything)."""
    return _walk(config.route, _root(config.route), labels)


def route_at(config: RoutingConfig, path: str) -> RouteMatch | None:
    """The route at `path` (`root/1/0`) with its inherited settings; None if the tree has no such node."""
    node = config.route
    here = _root(node)
    for part in path.split("/")[1:]:
        if not part.isdigit() or int(part) >= len(node.routes):
            return None
        node = node.routes[int(part)]
        here = _inherit(here, node, f"{here.path}/{part}")
    return here


def _root(root: Route) -> RouteMatch:
    return RouteMatch(
        path="root",
        name=root.name or "root",
        receivers=root.receivers or (),
        escalation=root.escalation,
        group_wait=_pick(root.group_wait, DEFAULT_GROUP_WAIT),
        group_interval=_pick(root.group_interval, DEFAULT_GROUP_INTERVAL),
        repeat_interval=_pick(root.repeat_interval, DEFAULT_REPEAT_INTERVAL),
        mute_time_intervals=root.mute_time_intervals,
        rollback_webhook=root.rollback_webhook,
    )


def _inherit(here: RouteMatch, child: Route, path: str) -> RouteMatch:
    return RouteMatch(
        path=path,
        name=child.name or path,
        receivers=child.receivers if child.receivers is not None else here.receivers,
        escalation=child.escalation if child.escalation is not None else here.escalation,
        group_wait=_pick(child.group_wait, here.group_wait),
        group_interval=_pick(child.group_interval, here.group_interval),
        repeat_interval=_pick(child.repeat_interval, here.repeat_interval),
        mute_time_intervals=child.mute_time_intervals,
        rollback_webhook=child.rollback_webhook,
    )


def _walk(node: Route, here: RouteMatch, labels: Mapping[str, str]) -> list[RouteMatch]:
    found: list[RouteMatch] = []
    for index, child in enumerate(node.routes):
        if not labels_match(child.matchers, labels):
            continue
        found.extend(_walk(child, _inherit(here, child, f"{here.path}/{index}"), labels))
        if not child.continue_:
            break
    return found or [here]


def _pick(value: float | None, default: float) -> float:
    return default if value is None else value
