"""What the HTTP API reads: incidents and silences, folded from two topics.

Pure and synchronous, like correlator/: records and ``now`` come in,
answers go out, nothing reads the clock. :class:`IncidentFollower`
(streams/api/follower.py) feeds it in a live worker; tests feed it directly.

- **Incidents** come from the ``incidents`` topic: each
  :class:`~schemas.IncidentEvent` carries the whole snapshot after the
  change, so the latest one per incident is the incident. Each incident
  also keeps the list of its events (without their snapshots).
- **Silences** come from the ``commands`` topic: the API writes a silence
  as a ``silence`` command and deletes it with ``unsilence``; no other topic
  carries them, and the correlator reads the same commands. A silence's id
  is the command's ``silence_id``, else the one the correlator derives
  (``silence_id_for(domain, command id)``). A silence for every domain is
  fanned out to every partition, so the same silence can arrive more than
  once, and an ``unsilence`` may arrive before the silence it ends: both
  are handled.

Memory is bounded: at most ``max_incidents`` incidents (the least recently
changed resolved ones go first), ``max_events`` events per incident, and
silences expired for longer than ``silence_retention`` seconds are dropped.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import msgspec

from correlator.incidents.muting import silence_id_for
from schemas import Command, CommandKind, IncidentEvent, IncidentSnapshot, IncidentStatus

__all__ = ["IncidentQuery", "IncidentReadModel", "Silence", "SilenceState"]

T = TypeVar("T")
SilenceState = Literal["pending", "active", "expired"]

_DEDUP_WINDOW = 8  # an event equal to one of the last few of its incident is a duplicate delivery


@dataclass(frozen=True, slots=True)
class IncidentQuery:
    """Which incidents to list; an empty collection means "any"."""

    statuses: Collection[str] = ()
    severities: Collection[str] = ()
    services: Collection[str] = ()
    since: float | None = None  #: opened at or after, Unix seconds
    until: float | None = None  #: opened before, Unix seconds
    limit: int = 100


@dataclass(frozen=True, slots=True)
class Silence:
    """A silence as the API shows it."""

    id: str
    matchers: tuple[str, ...]
    starts_at: float
    ends_at: float  #: when it ends, or ended if it was deleted early
    comment: str
    created_by: str
    created_at: float
    ended_by: str | None = None  #: who deleted it, if someone did

    def state(self, now: float) -> SilenceState:
        if now >= self.ends_at:
            return "expired"
        return "active" if now >= self.starts_at else "pending"

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": list(self.matchers),
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "comment": self.comment,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "ended_by": self.ended_by,
            "state": self.state(now),
        }


@dataclass(slots=True)
class _Incident:
    snapshot: IncidentSnapshot
    events: list[dict[str, Any]] = field(default_factory=list)
    recent: list[bytes] = field(default_factory=list)  #: the last few events whole, to spot redeliveries


class IncidentReadModel:
    """Latest snapshot and events per incident, plus silences; see the module docstring."""

    def __init__(
        self,
        *,
        max_incidents: int = 10_000,
        max_events: int = 1_000,
        silence_retention: float = 7 * 86400.0,
        caught_up: bool = False,
    ) -> None:
        self.max_incidents = max_incidents
        self.max_events = max_events
        self.silence_retention = silence_retention
        #: True once the follower has read everything that was on the topics when it started;
        #: until then a missing incident may just not have been read yet.
        self.caught_up = caught_up
        self._incidents: OrderedDict[str, _Incident] = OrderedDict()  # least recently changed first
        #: the resolved ones among them, in the same order: eviction takes the first without a scan
        self._resolved: OrderedDict[str, None] = OrderedDict()
        self._silences: dict[str, Silence] = {}
        self._early_ends: dict[str, tuple[float, str]] = {}  # unsilence seen before its silence
        self._listeners: list[Callable[[IncidentEvent], None]] = []
        self._silence_listeners: list[Callable[[Silence], None]] = []

    def subscribe(self, listener: Callable[[IncidentEvent], None]) -> Callable[[], None]:
        """Call ``listener`` with every event folded in (not redelivered duplicates); returns an unsubscribe."""
        return _listen(self._listeners, listener)

    def subscribe_silences(self, listener: Callable[[Silence], None]) -> Callable[[], None]:
        """Call ``listener`` with a silence each time one is created or ended; returns an unsubscribe."""
        return _listen(self._silence_listeners, listener)

    # -- incidents ------------------------------------------------------------------------------

    def apply(self, event: IncidentEvent) -> None:
        """Fold one incident event in; a redelivered duplicate changes nothing."""
        summary = {k: v for k, v in msgspec.to_builtins(event).items() if k not in ("incident", "v")}
        # Two changes in the same second look alike without their snapshots: compare whole events.
        whole = msgspec.json.encode(event)
        entry = self._incidents.get(event.incident_id)
        if entry is None:
            entry = self._incidents[event.incident_id] = _Incident(event.incident)
        elif whole in entry.recent:
            return
        else:
            self._incidents.move_to_end(event.incident_id)
        entry.recent = [*entry.recent[-(_DEDUP_WINDOW - 1) :], whole]
        entry.snapshot = event.incident
        self._resolved.pop(event.incident_id, None)
        if event.incident.status == IncidentStatus.RESOLVED:
            self._resolved[event.incident_id] = None
        entry.events.append(summary)
        if len(entry.events) > self.max_events:
            del entry.events[: len(entry.events) - self.max_events]
        while len(self._incidents) > self.max_incidents:
            self._evict()
        for listener in list(self._listeners):
            listener(event)

    def __len__(self) -> int:
        return len(self._incidents)

    def incident(self, incident_id: str) -> IncidentSnapshot | None:
        entry = self._incidents.get(incident_id)
        return entry.snapshot if entry is not None else None

    def events(self, incident_id: str) -> list[dict[str, Any]]:
        """The incident's events, oldest first: event, ts, actor, note (no snapshot)."""
        entry = self._incidents.get(incident_id)
        return list(entry.events) if entry is not None else []

    def incidents(self, query: IncidentQuery = IncidentQuery()) -> tuple[list[IncidentSnapshot], int]:
        """Matching incidents, most recently opened first, at most ``query.limit``; and how many matched."""
        found = [e.snapshot for e in self._incidents.values() if _matches(e.snapshot, query)]
        found.sort(key=lambda s: (s.opened_at, s.id), reverse=True)
        return found[: max(query.limit, 0)], len(found)

    def open_counts(self) -> dict[tuple[str, str], int]:
        """How many incidents held are not resolved, by (severity, status); one pass, no copy or sort."""
        counts: Counter[tuple[str, str]] = Counter()
        for entry in self._incidents.values():
            snapshot = entry.snapshot
            if snapshot.status != IncidentStatus.RESOLVED:
                counts[str(snapshot.severity), str(snapshot.status)] += 1
        return dict(counts)

    def _evict(self) -> None:
        """Forget the least recently changed resolved incident, else the least recently changed one."""
        victim = next(iter(self._resolved)) if self._resolved else next(iter(self._incidents))
        del self._incidents[victim]
        self._resolved.pop(victim, None)

    # -- silences -------------------------------------------------------------------------------

    def apply_command(self, command: Command) -> None:
        """Fold one command in; only ``silence`` and ``unsilence`` matter here."""
        if command.kind == CommandKind.SILENCE and command.silence is not None:
            silence_id = command.silence_id or silence_id_for(command.domain, command.id)
            if silence_id in self._silences:
                return  # a fanned-out copy
            spec = command.silence
            silence = Silence(
                id=silence_id,
                matchers=tuple(spec.matchers),
                starts_at=spec.starts_at,
                ends_at=spec.ends_at,
                comment=spec.comment,
                created_by=command.actor,
                created_at=command.ts,
            )
            early = self._early_ends.pop(silence.id, None)
            self._silences[silence.id] = changed = _ended(silence, *early) if early else silence
        elif command.kind == CommandKind.UNSILENCE and command.silence_id:
            existing = self._silences.get(command.silence_id)
            if existing is None:
                self._early_ends.setdefault(command.silence_id, (command.ts, command.actor))
                return
            if existing.ended_by is not None:
                return
            self._silences[existing.id] = changed = _ended(existing, command.ts, command.actor)
        else:
            return
        for listener in list(self._silence_listeners):
            listener(changed)

    def silence(self, silence_id: str) -> Silence | None:
        return self._silences.get(silence_id)

    def silences(self, now: float, *, include_expired: bool = False) -> list[Silence]:
        """Active silences (ending soonest first), then pending, then, if asked, expired (latest first)."""
        self._forget_old(now)
        order = {"active": 0, "pending": 1, "expired": 2}
        shown = [s for s in self._silences.values() if include_expired or s.state(now) != "expired"]
        return sorted(
            shown,
            key=lambda s: (order[s.state(now)], -s.ends_at if s.state(now) == "expired" else s.ends_at, s.id),
        )

    def _forget_old(self, now: float) -> None:
        horizon = now - self.silence_retention
        for sid in [sid for sid, s in self._silences.items() if s.ends_at < horizon]:
            del self._silences[sid]
        for sid in [sid for sid, (ts, _) in self._early_ends.items() if ts < horizon]:
            del self._early_ends[sid]


def _listen(listeners: list[Callable[[T], None]], listener: Callable[[T], None]) -> Callable[[], None]:
    listeners.append(listener)

    def unsubscribe() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return unsubscribe


def _ended(silence: Silence, ts: float, actor: str) -> Silence:
    return Silence(
        id=silence.id,
        matchers=silence.matchers,
        starts_at=silence.starts_at,
        ends_at=min(silence.ends_at, ts),
        comment=silence.comment,
        created_by=silence.created_by,
        created_at=silence.created_at,
        ended_by=actor,
    )


def _matches(snapshot: IncidentSnapshot, query: IncidentQuery) -> bool:
    if query.statuses and snapshot.status not in query.statuses:
        return False
    if query.severities and snapshot.severity not in query.severities:
        return False
    if query.services and not any(s in query.services for s in snapshot.services):
        return False
    if query.since is not None and snapshot.opened_at < query.since:
        return False
    return query.until is None or snapshot.opened_at < query.until
