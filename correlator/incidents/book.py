"""One domain's incidents, and the single place where every decision about them is made.

`IncidentBook` takes alerts, changes, commands and ticks, each with the
current time, and returns the incident changes to publish: real
`schemas.IncidentEvent` records carrying the whole incident. Nothing here
reads a clock or does I/O, and every choice (ids, orders, texts) is a
function of the inputs, so the live agent, a replay and the tests get
byte-identical events. `to_wire`/`from_wire` carry the book through the
worker's changelog-backed table.

Two clocks, on purpose:

- How alerts relate to each other (the correlation window, flap counting,
  suspects) is judged on the alerts' own event times, so it does not
  depend on how late or in which order they arrive.
- When the incident changed (event `ts`, timeline, `opened_at`,
  `acknowledged_at`, `resolved_at`) and how long something has lasted
  (resolve timeout, reopen window, flap stabilisation, silence expiry) is
  the `now` passed in. For a replay to reproduce the live events, the
  worker should pass the input record's (Kafka) timestamp with inputs and
  the clock only with ticks.

Lifecycle: triggered → acknowledged → resolved (by a person, or by itself
once no alert has fired for `resolve_timeout`); a resolved incident whose
groups fire again within `reopen_window` is reopened (the same id);
after that window it is closed and forgotten, and its groups start
afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import msgspec

from correlator.durations import format_duration
from correlator.incidents.commands import CommandOutcome, command_problem
from correlator.incidents.config import CorrelationSettings, parse_matchers
from correlator.incidents.correlation import find_join, root_cause
from correlator.incidents.labels import group_key, group_labels, service_of
from correlator.incidents.muting import Inhibitions, Silence, silence_id_for, silencer_of
from correlator.incidents.snapshot import build_event, build_snapshot
from correlator.incidents.state import WIRE_VERSION, BookState, IncidentState, TrackedAlert
from correlator.incidents.suspects import concerns, suspect_of, with_suspect
from correlator.incidents.text import ago, alert_name, change_words, clip, title_for
from schemas import (
    Alert,
    AlertStatus,
    Change,
    Command,
    CommandKind,
    IncidentEvent,
    IncidentEventType,
    IncidentSnapshot,
    IncidentStatus,
    SuspectChange,
    TimelineEntry,
)
from schemas.incident import MAX_INCIDENT_REASONS, MAX_INCIDENT_TIMELINE

__all__ = ["IncidentBook", "IncidentChange"]

IncidentChange = IncidentEvent
"""What the book returns: the record to publish on `incidents`, keyed by its `incident_id`."""

E = IncidentEventType
_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
_MAX_CHANGES = 500  #: recent changes kept to find suspects of incidents that open later
_MAX_COMMANDS = 1000  #: recent command ids kept to apply each command once
_MAX_SEEN_CHANGES = 100
_MAX_NAMES = 5


class IncidentBook:
    """The incidents of one correlation domain, with the silences and recent changes that bear on them."""

    def __init__(self, settings: CorrelationSettings, domain: str) -> None:
        self.settings = settings
        self.domain = domain
        self._incidents: dict[str, IncidentState] = {}  #: by id, in the order they opened
        self._by_fingerprint: dict[str, str] = {}
        self._by_group: dict[str, str] = {}
        self._silences: dict[str, Silence] = {}
        self._changes: dict[str, Change] = {}
        self._commands: dict[str, None] = {}

    # -- reading ----------------------------------------------------------------

    def incidents(self) -> list[IncidentSnapshot]:
        """Every incident the book still holds (open, or resolved within the reopen window), oldest first."""
        return [build_snapshot(incident) for incident in self._incidents.values()]

    def incident(self, incident_id: str) -> IncidentSnapshot | None:
        incident = self._incidents.get(incident_id)
        return build_snapshot(incident) if incident is not None else None

    def incident_for_group(self, key: str) -> IncidentSnapshot | None:
        """The incident holding the alerts of group `key` (e.g. `service=postgres`), if any."""
        incident_id = self._by_group.get(key)
        return self.incident(incident_id) if incident_id is not None else None

    def silences(self) -> list[Silence]:
        """Silences created and not yet expired or removed (some may start later)."""
        return list(self._silences.values())

    # -- alerts -------------------------------------------------------------------

    def on_alert(self, alert: Alert, now: float) -> list[IncidentChange]:
        """Fold one alert record in. A refresh, a duplicate or a stale record changes nothing visible."""
        out: list[IncidentEvent] = []
        if alert.status == AlertStatus.FIRING:
            self._on_firing(alert, now, out)
        else:
            self._on_resolved(alert, now, out)
        if out and self.settings.inhibit_rules:  # the set of firing alerts changed: inhibition may have too
            self._recheck_mutes(now, out, silences=False)
        return out

    def _on_firing(self, alert: Alert, now: float, out: list[IncidentEvent]) -> None:
        incident = self._incident_of(alert.fingerprint)
        if incident is not None:
            tracked = incident.alerts[alert.fingerprint]
            if alert.starts_at == tracked.starts_at:
                if tracked.firing and alert.event_ts > tracked.last_seen:  # a refresh: still firing
                    tracked.last_seen = alert.event_ts
                    tracked.count += 1
                return  # a refresh, a duplicate, or a late record of an episode that has ended
            if alert.starts_at < tracked.starts_at:
                return  # a late record of an older episode
            if incident.is_open:
                self._refire(incident, tracked, alert, now, out)
                return
            if self._may_reopen(incident, now):
                self._reopen(incident, alert, now, out)
                return
            self._close(incident)
        key = group_key(alert.labels, self.settings.group_by)
        incident_id = self._by_group.get(key)
        if incident_id is not None:
            incident = self._incidents[incident_id]
            if incident.is_open:
                self._join(incident, alert, now, out, reason=None)
                return
            if self._may_reopen(incident, now):
                self._reopen(incident, alert, now, out)
                return
            self._close(incident)
        join = find_join(
            self._incidents.values(),
            service_of(alert.labels),
            alert.starts_at,
            self.settings.topology,
            self.settings.correlation_window,
        )
        if join is not None:
            self._join(join.incident, alert, now, out, reason=join.reason)
        else:
            self._open(alert, now, out)

    def _open(self, alert: Alert, now: float, out: list[IncidentEvent]) -> None:
        key = group_key(alert.labels, self.settings.group_by)
        service = service_of(alert.labels)
        name = _alertname(alert)
        incident = IncidentState(
            id=self._new_id(key, now),
            domain=self.domain,
            group_key=key,
            labels=group_labels(alert.labels, self.settings.group_by),
            title=title_for(name, service, alert.annotations.get("summary")),
            opened_at=now,
            status=IncidentStatus.TRIGGERED,
            severity=str(alert.severity),
            detected_at=alert.starts_at,
        )
        self._incidents[incident.id] = incident
        tracked = self._track(incident, alert)
        self._mute(tracked, now)
        self._flip(incident, tracked, alert.event_ts, now)
        found = self._find_suspects(incident)
        text = f"opened by {alert_name(tracked)} ({tracked.severity}){self._mute_words(tracked)}{_suspect_words(found)}"
        self._commit(incident, now, out, E.OPENED, text, notify=not tracked.muted)

    def _join(
        self, incident: IncidentState, alert: Alert, now: float, out: list[IncidentEvent], reason: str | None
    ) -> None:
        tracked = self._track(incident, alert)
        because = f": {reason}" if reason else ""
        if reason is None and sum(1 for a in incident.alerts.values() if a.group_key == tracked.group_key) == 2:
            reason = f"alerts with {tracked.group_key} are grouped together"
        if reason is not None and reason not in incident.reasons and len(incident.reasons) < MAX_INCIDENT_REASONS:
            incident.reasons.append(clip(reason, 300))
        incident.quiet_since = None
        self._mute(tracked, now)
        flapped = self._flip(incident, tracked, alert.event_ts, now)
        found = self._find_suspects(incident)
        text = f"{alert_name(tracked)} ({tracked.severity}) joined{because}{self._mute_words(tracked)}"
        self._commit(
            incident, now, out, E.ALERT_ADDED, text + _suspect_words(found), notify=not tracked.muted, flapped=flapped
        )

    def _refire(
        self, incident: IncidentState, tracked: TrackedAlert, alert: Alert, now: float, out: list[IncidentEvent]
    ) -> None:
        self._restart(tracked, alert)
        incident.quiet_since = None
        self._mute(tracked, now)
        flapped = self._flip(incident, tracked, alert.event_ts, now)
        found = self._find_suspects(incident)
        text = f"{alert_name(tracked)} fired again ({tracked.severity}){self._mute_words(tracked)}"
        self._commit(
            incident, now, out, E.ALERT_ADDED, text + _suspect_words(found), notify=not tracked.muted, flapped=flapped
        )

    def _reopen(self, incident: IncidentState, alert: Alert, now: float, out: list[IncidentEvent]) -> None:
        tracked = incident.alerts.get(alert.fingerprint)
        if tracked is None:
            tracked = self._track(incident, alert)
        else:
            self._restart(tracked, alert)
        assert incident.resolved_at is not None
        since = now - incident.resolved_at
        incident.status = IncidentStatus.TRIGGERED
        incident.reopen_count += 1
        incident.time_to_resolve = None
        incident.quiet_since = None
        self._mute(tracked, now)
        flapped = self._flip(incident, tracked, alert.event_ts, now)
        found = self._find_suspects(incident)
        text = (
            f"reopened: {alert_name(tracked)} ({tracked.severity}) fired {ago(since)} after it was resolved"
            f"{self._mute_words(tracked)}{_suspect_words(found)}"
        )
        self._commit(incident, now, out, E.REOPENED, text, notify=not tracked.muted, flapped=flapped)

    def _on_resolved(self, alert: Alert, now: float, out: list[IncidentEvent]) -> None:
        incident = self._incident_of(alert.fingerprint)
        if incident is None:
            return  # never seen firing, or its incident is closed: nothing to resolve
        tracked = incident.alerts[alert.fingerprint]
        if not tracked.firing or alert.starts_at < tracked.starts_at:
            return  # a duplicate, or the end of an older episode
        tracked.status = AlertStatus.RESOLVED
        tracked.ends_at = alert.ends_at if alert.ends_at is not None else alert.event_ts
        tracked.last_seen = max(tracked.last_seen, alert.event_ts)
        flapped = self._flip(incident, tracked, alert.event_ts, now)
        text = f"{alert_name(tracked)} resolved"
        if not incident.firing():
            incident.quiet_since = now
            if incident.is_open:
                text += (
                    f"; no alert is firing, it resolves by itself in {format_duration(self.settings.resolve_timeout)}"
                    " unless one fires again"
                )
        notify = incident.is_open and not tracked.muted
        self._commit(incident, now, out, E.ALERT_RESOLVED, text, notify=notify, flapped=flapped)

    # -- changes ------------------------------------------------------------------

    def on_change(self, change: Change, now: float) -> list[IncidentChange]:
        """Remember a deploy or config change; name it on the open incidents it may explain.

        A change that precedes (by at most `change_window`) an alert of an
        open incident on a service it touched becomes a suspect
        (`suspect_added`); one made during an incident to its services
        after its alerts began is noted (`change_observed`). Changes are
        kept for a while so that incidents opening later find them too.
        """
        if change.id in self._changes:
            return []
        self._changes[change.id] = change
        while len(self._changes) > _MAX_CHANGES:
            del self._changes[next(iter(self._changes))]
        out: list[IncidentEvent] = []
        topology, window = self.settings.topology, self.settings.change_window
        for incident in list(self._incidents.values()):
            if not incident.is_open or change.id in incident.seen_changes:
                continue
            suspect = suspect_of(change, incident, topology, window)
            if suspect is not None:
                self._add_suspect(incident, suspect)
                text = f"suspect: {suspect.summary} (by {change.author})"
                self._commit(incident, now, out, E.SUSPECT_ADDED, text, notify=incident.notified)
            elif concerns(change, incident, topology) and change.ts >= incident.detected_at:
                _remember(incident.seen_changes, change.id)
                text = (
                    f"{change_words(change)} by {change.author} during the incident,"
                    f" {ago(change.ts - incident.detected_at)} after it began"
                )
                self._commit(incident, now, out, E.CHANGE_OBSERVED, text, notify=incident.notified)
        return out

    def _find_suspects(self, incident: IncidentState) -> list[SuspectChange]:
        found = []
        for change in self._changes.values():
            if change.id in incident.seen_changes:
                continue
            suspect = suspect_of(change, incident, self.settings.topology, self.settings.change_window)
            if suspect is not None:
                self._add_suspect(incident, suspect)
                found.append(suspect)
        return found

    @staticmethod
    def _add_suspect(incident: IncidentState, suspect: SuspectChange) -> None:
        incident.suspects = with_suspect(incident.suspects, suspect)
        _remember(incident.seen_changes, suspect.id)

    # -- commands -----------------------------------------------------------------

    def on_command(self, command: Command, now: float) -> CommandOutcome:
        """Apply a person's command once (by id); a command that cannot apply is rejected, in words."""
        if command.id in self._commands:
            return CommandOutcome(command.id, True, f"command {command.id} was already applied", duplicate=True)
        problem = command_problem(command)
        if problem is not None:
            return CommandOutcome(command.id, False, problem)
        if command.kind == CommandKind.SILENCE:
            outcome = self._silence(command, now)
        elif command.kind == CommandKind.UNSILENCE:
            outcome = self._unsilence(command, now)
        else:
            outcome = self._incident_command(command, now)
        if outcome.accepted:
            self._commands[command.id] = None
            while len(self._commands) > _MAX_COMMANDS:
                del self._commands[next(iter(self._commands))]
        return outcome

    def _incident_command(self, command: Command, now: float) -> CommandOutcome:
        assert command.incident_id is not None
        incident = self._incidents.get(command.incident_id)
        if incident is None:
            return CommandOutcome(
                command.id,
                False,
                f"unknown incident {command.incident_id} in domain {self.domain}: it never opened here,"
                f" or it was resolved more than {format_duration(self.settings.reopen_window)} ago",
            )
        actor, note = command.actor, command.note
        said = f": {note}" if note else ""
        out: list[IncidentEvent] = []
        if command.kind == CommandKind.COMMENT:
            notify = incident.notified
            self._commit(incident, now, out, E.COMMENT, f"{actor}{said}", actor=actor, note=note, notify=notify)
            return CommandOutcome(command.id, True, f"comment added to {incident.id}", tuple(out))
        if incident.status == IncidentStatus.RESOLVED:
            return CommandOutcome(command.id, False, f"{incident.id} is resolved")
        if command.kind == CommandKind.ESCALATE:
            if incident.status != IncidentStatus.TRIGGERED:
                return CommandOutcome(command.id, False, f"{incident.id} is {incident.status}: not escalated")
            # Recorded for the timeline only: the pager that escalated has already told the people.
            self._commit(incident, now, out, E.ESCALATED, note or "escalated", actor=actor, notify=False)
            return CommandOutcome(command.id, True, f"{incident.id} escalated", tuple(out))
        if command.kind == CommandKind.ACK:
            if incident.status == IncidentStatus.ACKNOWLEDGED:
                return CommandOutcome(
                    command.id, False, f"{incident.id} is already acknowledged by {incident.acknowledged_by}"
                )
            incident.status = IncidentStatus.ACKNOWLEDGED
            incident.acknowledged_at = now
            incident.acknowledged_by = actor
            if incident.time_to_acknowledge is None:
                incident.time_to_acknowledge = max(0.0, now - incident.detected_at)
            text = f"acknowledged by {actor}{said}"
            self._commit(incident, now, out, E.ACKNOWLEDGED, text, actor=actor, note=note, notify=incident.notified)
            return CommandOutcome(command.id, True, f"{incident.id} acknowledged", tuple(out))
        firing = len(incident.firing())
        self._resolve(incident, now)
        still = f" ({firing} alert{'s' if firing != 1 else ''} still firing)" if firing else ""
        text = f"resolved by {actor}{said}{still}"
        self._commit(incident, now, out, E.RESOLVED, text, actor=actor, note=note, notify=incident.notified)
        return CommandOutcome(command.id, True, f"{incident.id} resolved", tuple(out))

    def _silence(self, command: Command, now: float) -> CommandOutcome:
        spec = command.silence
        assert spec is not None
        if spec.ends_at <= now:
            return CommandOutcome(command.id, False, "the silence would already have ended")
        silence = Silence(
            id=silence_id_for(command.domain, command.id),  # the same id in every book a broadcast reaches
            matchers=parse_matchers(spec.matchers, "silence.matchers"),
            starts_at=spec.starts_at,
            ends_at=spec.ends_at,
            created_by=command.actor,
            comment=spec.comment,
        )
        self._silences[silence.id] = silence
        out: list[IncidentEvent] = []
        self._recheck_mutes(now, out, actor=command.actor)
        return CommandOutcome(command.id, True, f"silence {silence.id} created", tuple(out), silence_id=silence.id)

    def _unsilence(self, command: Command, now: float) -> CommandOutcome:
        assert command.silence_id is not None
        if self._silences.pop(command.silence_id, None) is None:
            return CommandOutcome(
                command.id, False, f"unknown silence {command.silence_id} in domain {self.domain} (expired or removed?)"
            )
        out: list[IncidentEvent] = []
        self._recheck_mutes(now, out, actor=command.actor, ended={command.silence_id: f"removed by {command.actor}"})
        return CommandOutcome(command.id, True, f"silence {command.silence_id} removed", tuple(out))

    # -- time ---------------------------------------------------------------------

    def tick(self, now: float) -> list[IncidentChange]:
        """Let time pass: silences start and expire, maintenance windows open and close, quiet
        incidents resolve by themselves, flapping ones settle, and old resolved ones are forgotten.
        """
        out: list[IncidentEvent] = []
        ended = {sid: "expired" for sid, silence in self._silences.items() if silence.ends_at <= now}
        for sid in ended:
            del self._silences[sid]
        self._recheck_mutes(now, out, ended=ended)
        settings = self.settings
        for incident in list(self._incidents.values()):
            if (
                incident.is_open
                and incident.quiet_since is not None
                and not incident.firing()
                and now - incident.quiet_since >= settings.resolve_timeout
            ):
                self._resolve(incident, now)
                text = f"resolved by itself: no alert has fired for {format_duration(settings.resolve_timeout)}"
                self._commit(incident, now, out, E.RESOLVED, text, notify=incident.notified)
            if (
                incident.flapping
                and incident.last_flip_at is not None
                and now - incident.last_flip_at >= settings.flap_window
            ):
                incident.flapping = False
                firing = len(incident.firing())
                state = f"{firing} alert{'s' if firing != 1 else ''} firing" if firing else "no alert firing"
                text = f"stable: no alert changed state for {format_duration(settings.flap_window)}; {state}"
                self._commit(incident, now, out, E.STABLE, text, notify=incident.notified or _audible(incident))
            resolved_at = incident.resolved_at
            if not incident.is_open and resolved_at is not None and now - resolved_at > settings.reopen_window:
                self._close(incident)
        horizon = now - settings.change_window - settings.correlation_window
        for change_id in [cid for cid, change in self._changes.items() if change.ts < horizon]:
            del self._changes[change_id]
        return out

    # -- muting ---------------------------------------------------------------------

    def _mute(self, tracked: TrackedAlert, now: float) -> None:
        """Judge one firing alert's silences and inhibition before its own event goes out."""
        tracked.silenced_by = silencer_of(tracked.labels, self._silences.values(), self.settings.maintenance, now)
        tracked.inhibited_by = self._inhibitions().of(tracked.fingerprint, tracked.labels)

    def _inhibitions(self) -> Inhibitions:
        firing = [(a.fingerprint, a.labels) for i in self._incidents.values() for a in i.alerts.values() if a.firing]
        return Inhibitions(self.settings.inhibit_rules, firing)

    def _recheck_mutes(
        self,
        now: float,
        out: list[IncidentEvent],
        *,
        actor: str | None = None,
        ended: dict[str, str] | None = None,
        silences: bool = True,
    ) -> None:
        """Re-judge every firing alert's muting at `now`; one event per incident and kind of change.

        With `silences` False only inhibition is judged (after an alert, when
        only the set of firing alerts changed; silences move with time, and
        the tick judges them).
        """
        judge_silences = silences and bool(self._silences or self.settings.maintenance or ended)
        if not judge_silences and not self.settings.inhibit_rules:
            return
        inhibitions = self._inhibitions()
        for incident in list(self._incidents.values()):
            changed: dict[IncidentEventType, list[tuple[TrackedAlert, str | None, str | None]]] = {}
            for tracked in incident.alerts.values():
                if tracked.status != AlertStatus.FIRING:
                    continue
                silenced = (
                    silencer_of(tracked.labels, self._silences.values(), self.settings.maintenance, now)
                    if judge_silences
                    else tracked.silenced_by
                )
                inhibited = inhibitions.of(tracked.fingerprint, tracked.labels)
                if silenced != tracked.silenced_by:
                    kind = E.SILENCED if silenced else E.UNSILENCED
                    changed.setdefault(kind, []).append((tracked, tracked.silenced_by, silenced))
                if inhibited != tracked.inhibited_by:
                    kind = E.INHIBITED if inhibited else E.UNINHIBITED
                    changed.setdefault(kind, []).append((tracked, tracked.inhibited_by, inhibited))
                tracked.silenced_by, tracked.inhibited_by = silenced, inhibited
            for kind in (E.SILENCED, E.INHIBITED, E.UNSILENCED, E.UNINHIBITED):
                items = changed.get(kind)
                if not items:
                    continue
                text = self._mute_text(kind, items, ended or {})
                audible = kind in (E.UNSILENCED, E.UNINHIBITED) and any(not a.muted for a, _, _ in items)
                self._commit(incident, now, out, kind, text, actor=actor, notify=audible and incident.is_open)

    def _mute_text(
        self, kind: IncidentEventType, items: list[tuple[TrackedAlert, str | None, str | None]], ended: dict[str, str]
    ) -> str:
        by_cause: dict[str, list[TrackedAlert]] = {}
        for tracked, old, new in items:
            cause = new if kind in (E.SILENCED, E.INHIBITED) else old
            by_cause.setdefault(cause or "", []).append(tracked)
        parts = []
        for cause, alerts in by_cause.items():
            names = _names(alerts)
            if kind is E.SILENCED:
                parts.append(f"{names} silenced by {self._silencer_words(cause)}")
            elif kind is E.UNSILENCED:
                why = f" ({ended[cause]})" if cause in ended else ""
                parts.append(f"{names} no longer silenced by {cause}{why}")
            elif kind is E.INHIBITED:
                parts.append(f"{names} inhibited by {self._alert_words(cause)}, which is firing")
            else:
                parts.append(f"{names} no longer inhibited by {self._alert_words(cause)}")
        return "; ".join(parts)

    def _mute_words(self, tracked: TrackedAlert) -> str:
        if tracked.silenced_by:
            return f"; silenced by {self._silencer_words(tracked.silenced_by)}"
        if tracked.inhibited_by:
            return f"; inhibited by {self._alert_words(tracked.inhibited_by)}, which is firing"
        return ""

    def _silencer_words(self, silencer: str) -> str:
        if silencer.startswith("maintenance:"):
            return f"maintenance window {silencer.removeprefix('maintenance:')}"
        silence = self._silences.get(silencer)
        return silence.describe() if silence is not None else silencer

    def _alert_words(self, fingerprint: str) -> str:
        incident = self._incident_of(fingerprint)
        if incident is None:
            return fingerprint
        return alert_name(incident.alerts[fingerprint])

    # -- shared -------------------------------------------------------------------

    def _commit(
        self,
        incident: IncidentState,
        now: float,
        out: list[IncidentEvent],
        kind: IncidentEventType,
        text: str,
        *,
        actor: str | None = None,
        note: str | None = None,
        notify: bool = True,
        flapped: TrackedAlert | None = None,
    ) -> None:
        """Settle the derived fields (severity, root cause), then publish `kind` and what follows from it.

        A rise in severity is its own event after the cause; a fall is told
        in the cause's own entry. An alert that has just started flapping
        is followed by the `flapping` event.
        """
        old_severity, old_root = incident.severity, incident.root_cause
        incident.severity = _severity(incident)
        services = [a.service for a in incident.alerts.values()]
        incident.root_cause = root_cause(services, self.settings.topology)
        rose = _RANK[incident.severity] > _RANK[old_severity]
        separate = rose and kind not in (E.OPENED, E.REOPENED)
        notes = []
        if incident.severity != old_severity and not separate:
            notes.append(f"severity {old_severity} → {incident.severity}")
        if incident.root_cause != old_root and old_root is not None:
            notes.append(f"root-cause candidate is now {incident.root_cause}")
        full = "; ".join([text, *notes])
        out.append(self._emit(incident, now, kind, full, actor=actor, note=note, notify=notify))
        if separate:
            text = f"severity {old_severity} → {incident.severity}"
            out.append(self._emit(incident, now, E.SEVERITY_CHANGED, text, notify=_audible(incident)))
        if flapped is not None:
            window = format_duration(self.settings.flap_window)
            text = (
                f"flapping: {alert_name(flapped)} changed state {len(flapped.flips)} times within {window};"
                f" notifications are held until no alert changes state for {window}"
            )
            out.append(self._emit(incident, now, E.FLAPPING, text, notify=False))

    def _emit(
        self,
        incident: IncidentState,
        now: float,
        kind: IncidentEventType,
        text: str,
        *,
        actor: str | None = None,
        note: str | None = None,
        notify: bool = True,
    ) -> IncidentEvent:
        notify = notify and not incident.flapping
        incident.timeline.append(TimelineEntry(ts=now, kind=kind, text=clip(text), actor=actor))
        del incident.timeline[:-MAX_INCIDENT_TIMELINE]
        if notify:
            incident.notified = True
        return build_event(incident, kind, now, actor=actor, note=clip(note, 16384) if note else None, notify=notify)

    def _track(self, incident: IncidentState, alert: Alert) -> TrackedAlert:
        key = group_key(alert.labels, self.settings.group_by)
        summary = alert.annotations.get("summary")
        tracked = TrackedAlert(
            fingerprint=alert.fingerprint,
            alertname=_alertname(alert),
            service=service_of(alert.labels),
            group_key=key,
            status=AlertStatus.FIRING,
            severity=str(alert.severity),
            labels=dict(alert.labels),
            summary=clip(" ".join(summary.split()), 512) if summary else None,
            first_seen=alert.starts_at,
            starts_at=alert.starts_at,
            last_seen=alert.event_ts,
        )
        incident.alerts[alert.fingerprint] = tracked
        incident.detected_at = min(incident.detected_at, alert.starts_at)
        if key not in incident.groups:
            incident.groups.append(key)
        self._by_fingerprint[alert.fingerprint] = incident.id
        self._by_group[key] = incident.id
        return tracked

    @staticmethod
    def _restart(tracked: TrackedAlert, alert: Alert) -> None:
        """A known alert fires again: a new episode."""
        tracked.status = AlertStatus.FIRING
        tracked.starts_at = alert.starts_at
        tracked.ends_at = None
        tracked.last_seen = max(tracked.last_seen, alert.event_ts)
        tracked.count += 1
        tracked.severity = str(alert.severity)

    def _flip(self, incident: IncidentState, tracked: TrackedAlert, at: float, now: float) -> TrackedAlert | None:
        """Record a state change of `tracked`; returns it when this change makes the incident flapping."""
        limit = self.settings.flap_changes + 1
        tracked.flips.append(at)
        newest = max(tracked.flips)
        tracked.flips = [t for t in tracked.flips if t >= newest - self.settings.flap_window][-limit:]
        incident.last_flip_at = now
        if not incident.flapping and len(tracked.flips) >= limit:
            incident.flapping = True
            return tracked
        return None

    @staticmethod
    def _resolve(incident: IncidentState, now: float) -> None:
        incident.status = IncidentStatus.RESOLVED
        incident.resolved_at = now
        incident.time_to_resolve = max(0.0, now - incident.detected_at)

    def _may_reopen(self, incident: IncidentState, now: float) -> bool:
        return incident.resolved_at is not None and now - incident.resolved_at <= self.settings.reopen_window

    def _close(self, incident: IncidentState) -> None:
        """Forget a resolved incident that can no longer reopen."""
        del self._incidents[incident.id]
        for fingerprint in incident.alerts:
            if self._by_fingerprint.get(fingerprint) == incident.id:
                del self._by_fingerprint[fingerprint]
        for key in incident.groups:
            if self._by_group.get(key) == incident.id:
                del self._by_group[key]

    def _incident_of(self, fingerprint: str) -> IncidentState | None:
        incident_id = self._by_fingerprint.get(fingerprint)
        return self._incidents[incident_id] if incident_id is not None else None

    def _new_id(self, key: str, opened_at: float) -> str:
        """`inc-` + 12 hex digits of a hash of the domain, the group and the opening time: the same in a replay."""
        salt = 0
        while True:
            text = f"{self.domain}\x00{key}\x00{opened_at!r}" + (f"\x00{salt}" if salt else "")
            incident_id = "inc-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
            if incident_id not in self._incidents:
                return incident_id
            salt += 1

    # -- persistence --------------------------------------------------------------

    def to_wire(self) -> dict[str, Any]:
        """The whole book as JSON-able data, for the worker's changelog-backed table."""
        state = BookState(
            domain=self.domain,
            incidents=list(self._incidents.values()),
            silences=[silence.to_wire() for silence in self._silences.values()],
            changes=list(self._changes.values()),
            commands=list(self._commands),
        )
        wire: dict[str, Any] = msgspec.to_builtins(state)
        return wire

    @classmethod
    def from_wire(cls, settings: CorrelationSettings, wire: dict[str, Any]) -> IncidentBook:
        """A book restored from `to_wire` output; it carries on exactly as the saved one would have."""
        if wire.get("v") != WIRE_VERSION:
            raise ValueError(f"unsupported incident book version {wire.get('v')!r}; this Vigil reads {WIRE_VERSION}")
        state = msgspec.convert(wire, BookState)
        book = cls(settings, state.domain)
        for incident in state.incidents:
            book._incidents[incident.id] = incident
            for fingerprint in incident.alerts:
                book._by_fingerprint[fingerprint] = incident.id
            for key in incident.groups:
                book._by_group[key] = incident.id
        book._silences = {s["id"]: Silence.from_wire(s) for s in state.silences}
        book._changes = {change.id: change for change in state.changes}
        book._commands = dict.fromkeys(state.commands)
        return book


def _alertname(alert: Alert) -> str:
    return alert.labels.get("alertname") or alert.rule


def _severity(incident: IncidentState) -> str:
    """Highest severity of the firing alerts that notify (of all firing ones when all are muted)."""
    firing = incident.firing()
    pool = [a for a in firing if not a.muted] or firing
    if not pool:
        return incident.severity
    return max(pool, key=lambda a: _RANK[a.severity]).severity


def _audible(incident: IncidentState) -> bool:
    return incident.is_open and any(a.firing and not a.muted for a in incident.alerts.values())


def _names(alerts: Iterable[TrackedAlert]) -> str:
    alerts = list(alerts)
    names = ", ".join(alert_name(a) for a in alerts[:_MAX_NAMES])
    return names + (f" and {len(alerts) - _MAX_NAMES} more" if len(alerts) > _MAX_NAMES else "")


def _suspect_words(found: list[SuspectChange]) -> str:
    return "".join(f"; suspect: {s.summary}" for s in found)


def _remember(ids: list[str], item: str) -> None:
    ids.append(item)
    del ids[:-_MAX_SEEN_CHANGES]
