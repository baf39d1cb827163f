"""Who hears about an incident, and when: receivers, the route tree, escalation policies.

Immutable configuration read from the rule pack (correlator/config/routing.py
reads it with line numbers). Receivers are only named here with their kind
and raw options: building and validating the channel itself (URLs, E.164
numbers, secrets) belongs to the notifiers package, outside the pure core.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from correlator.incidents.config import MaintenanceWindow
from correlator.rules import Matcher

__all__ = [
    "DEFAULT_GROUP_INTERVAL",
    "DEFAULT_GROUP_WAIT",
    "DEFAULT_REPEAT_INTERVAL",
    "EscalationLevel",
    "EscalationPolicy",
    "ReceiverSpec",
    "Route",
    "RoutingConfig",
    "TimeInterval",
]

DEFAULT_GROUP_WAIT = 30.0  #: Alertmanager's default: give a new incident 30 s to gather its alerts
DEFAULT_GROUP_INTERVAL = 300.0  #: at most one update about an incident per receiver every 5 min
DEFAULT_REPEAT_INTERVAL = 4 * 3600.0  #: remind about an incident nobody acknowledged every 4 h


@dataclass(frozen=True)
class ReceiverSpec:
    """A named channel as the pack declares it; `options` go to the notifier kind untouched."""

    name: str
    kind: str
    options: Mapping[str, Any] = field(default_factory=dict)
    fallback: str | None = None  #: receiver that gets the notification when this one keeps failing
    optional: bool = False  #: disabled (not an error) when a `${VAR}` it uses is unset
    rate_per_second: float | None = None  #: overrides the kind's default rate limit
    burst: int | None = None
    line: int = 0  #: where it is declared, for problems found later (building the channel)


@dataclass(frozen=True)
class EscalationLevel:
    """Who is told at this level, and how long to wait for an ack before the next level."""

    targets: tuple[str, ...]
    escalate_after: float


@dataclass(frozen=True)
class EscalationPolicy:
    """PagerDuty-style: level 0 when the incident is announced, then each level after the previous
    level's `escalate_after` while nobody acknowledges; the whole list runs `repeat` more times."""

    name: str
    levels: tuple[EscalationLevel, ...]
    repeat: int = 0


@dataclass(frozen=True)
class TimeInterval:
    """Named weekly windows (UTC) during which a route that mutes on it tells nobody."""

    name: str
    windows: tuple[MaintenanceWindow, ...]

    def active(self, now: float) -> bool:
        return any(window.active(now) for window in self.windows)


@dataclass(frozen=True)
class Route:
    """One node of the route tree (Alertmanager's semantics, see `correlator.routing.tree`).

    `None` means "inherit from the parent" for receivers, escalation and the
    three timers; matchers, `continue`, mute intervals and the rollback
    webhook belong to the node alone.
    """

    matchers: tuple[Matcher, ...] = ()
    receivers: tuple[str, ...] | None = None
    escalation: str | None = None
    continue_: bool = False
    group_wait: float | None = None
    group_interval: float | None = None
    repeat_interval: float | None = None
    mute_time_intervals: tuple[str, ...] = ()
    rollback_webhook: str | None = None  #: receiver told when an incident here has a suspect change
    routes: tuple[Route, ...] = ()
    name: str | None = None  #: shown by `vigil routes test`; defaults to its path, e.g. `root/1`


@dataclass(frozen=True)
class RoutingConfig:
    receivers: Mapping[str, ReceiverSpec] = field(default_factory=dict)
    route: Route = field(default_factory=lambda: Route(receivers=()))
    policies: Mapping[str, EscalationPolicy] = field(default_factory=dict)
    time_intervals: Mapping[str, TimeInterval] = field(default_factory=dict)
    link_template: str | None = None  #: e.g. `https://vigil.example.com/incidents/{incident_id}`

    def link_for(self, incident_id: str) -> str | None:
        return self.link_template.format(incident_id=incident_id) if self.link_template else None
