"""The correlator's memory of one domain, as plain structs that go to and from JSON.

These are internal and mutable; what leaves the correlator is the
`schemas.IncidentSnapshot` built from them (`snapshot.py`). Everything a
book needs to carry on identically after a restart is in `BookState`,
and every container keeps insertion order, so a restored book emits
byte-identical events.

Times: `starts_at`, `first_seen`, `last_seen`, `ends_at` and the flap
history are the alerts' own event times; every other time is the `now`
the caller passed when the incident changed.
"""

from __future__ import annotations

from typing import Any

import msgspec

from schemas import Change, SuspectChange, TimelineEntry

__all__ = ["BookState", "IncidentState", "TrackedAlert"]

WIRE_VERSION = 1


class TrackedAlert(msgspec.Struct, kw_only=True):
    """One alert (fingerprint) of an incident."""

    fingerprint: str
    alertname: str
    service: str
    group_key: str
    status: str  #: "firing" or "resolved"
    severity: str
    labels: dict[str, str]
    summary: str | None = None
    first_seen: float  #: starts_at of its first episode
    starts_at: float  #: starts_at of its current (or last) episode
    last_seen: float  #: event_ts of its latest record
    ends_at: float | None = None
    count: int = 1  #: firing records accepted: first, refreshes, re-firings
    silenced_by: str | None = None
    inhibited_by: str | None = None
    flips: list[float] = msgspec.field(default_factory=list)  #: event times of recent state changes

    @property
    def firing(self) -> bool:
        return self.status == "firing"

    @property
    def muted(self) -> bool:
        return self.silenced_by is not None or self.inhibited_by is not None


class IncidentState(msgspec.Struct, kw_only=True):
    """One incident and everything needed to decide its next change."""

    id: str
    domain: str
    group_key: str  #: of the alerts that opened it
    labels: dict[str, str]
    title: str
    opened_at: float
    status: str  #: triggered, acknowledged, resolved
    severity: str
    groups: list[str] = msgspec.field(default_factory=list)  #: every group whose alerts it holds
    alerts: dict[str, TrackedAlert] = msgspec.field(default_factory=dict)  #: by fingerprint, in join order
    reasons: list[str] = msgspec.field(default_factory=list)
    suspects: list[SuspectChange] = msgspec.field(default_factory=list)
    seen_changes: list[str] = msgspec.field(default_factory=list)  #: change ids already told about
    root_cause: str | None = None
    flapping: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None
    resolved_at: float | None = None
    detected_at: float
    time_to_acknowledge: float | None = None
    time_to_resolve: float | None = None
    reopen_count: int = 0
    timeline: list[TimelineEntry] = msgspec.field(default_factory=list)
    notified: bool = False  #: some event of it has gone out with notify=true
    quiet_since: float | None = None  #: when its last firing alert resolved
    last_flip_at: float | None = None  #: when an alert of it last changed state

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    def firing(self) -> list[TrackedAlert]:
        return [a for a in self.alerts.values() if a.firing]


class BookState(msgspec.Struct, kw_only=True):
    """A domain's whole book: incidents (in the order they opened), silences, recent changes and commands."""

    v: int = WIRE_VERSION
    domain: str
    incidents: list[IncidentState] = msgspec.field(default_factory=list)
    silences: list[dict[str, Any]] = msgspec.field(default_factory=list)  #: `Silence.to_wire()` forms
    changes: list[Change] = msgspec.field(default_factory=list)  #: recent deploys/config changes, oldest first
    commands: list[str] = msgspec.field(default_factory=list)  #: ids of recently applied commands, oldest first
