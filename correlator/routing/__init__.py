"""Incidents to people: receivers, the route tree, escalation policies, and each incident's pager.

Pure: configuration and decisions only, time passed in. Delivering the
decided notifications is the notifiers package's job.
"""

from correlator.routing.escalation import IncidentPager, PagerState
from correlator.routing.model import EscalationLevel, EscalationPolicy, ReceiverSpec, Route, RoutingConfig, TimeInterval
from correlator.routing.tree import RouteMatch, match_routes, route_at, routing_labels

__all__ = [
    "EscalationLevel",
    "EscalationPolicy",
    "IncidentPager",
    "PagerState",
    "ReceiverSpec",
    "Route",
    "RouteMatch",
    "RoutingConfig",
    "TimeInterval",
    "match_routes",
    "route_at",
    "routing_labels",
]
