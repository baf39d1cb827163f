"""One incident's notifications over its life: announce, update, escalate, remind, close.

`IncidentPager` is fed the incident's events (`on_event`) and the clock
(`tick`) and answers with the `Notification`s to send now; time is passed
in, so the live agent, replay and tests get the same answers. Its whole
state is a msgspec struct, saved after every change: deadlines survive a
restart, and a worker that takes over resumes where the old one stopped.

Each route the incident reaches is a *lane* with its own receivers, timers
and escalation policy:

- **announce**: the first audible event starts `group_wait`; when it ends the
  lane's receivers and the policy's level 0 are told about the incident as
  it is by then (alerts that arrived meanwhile are in the same message).
- **updates** (alerts added or resolved, comments, suspects…) go to the
  lane's receivers at most once per `group_interval`, carrying the latest
  snapshot; **acknowledged**, **resolved**, **reopened** and a **severity
  rise** go out at once.
- **escalation**: while nobody acknowledges, level *i+1* is told
  `escalate_after` after level *i*; after the last level the list starts over
  `repeat` times. An ack or resolve stops it; a severity rise fires the next
  level at once (or starts the policy of the route the incident now reaches).
- **reminders**: an announced incident still unacknowledged after
  `repeat_interval` is sent again to the lane's receivers.
- **mute time intervals**: a lane tells nobody while one of its intervals is
  active (its timers still run).
- **rollback webhook**: a lane with one tells it once per suspect change.

Keys are `<incident>/<receiver>/<cause>` built from counters, never from the
clock, so replaying the same events gives the same keys and the dispatcher's
memory of sent keys makes a redelivery harmless.
"""

from __future__ import annotations

import msgspec

from correlator.routing.model import RoutingConfig
from correlator.routing.tree import RouteMatch, match_routes, route_at, routing_labels
from schemas import IncidentEvent, IncidentEventType, IncidentSnapshot, IncidentStatus, Notification
from schemas.enums import Severity

__all__ = ["IncidentPager", "PagerState"]

_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}
#: Told at once rather than batched by group_interval.
_IMMEDIATE = frozenset(
    {
        IncidentEventType.ACKNOWLEDGED,
        IncidentEventType.RESOLVED,
        IncidentEventType.REOPENED,
        IncidentEventType.SEVERITY_CHANGED,
    }
)


class LaneState(msgspec.Struct, kw_only=True):
    path: str
    announce_at: float | None = None  #: when group_wait ends; None once announced (or never)
    announced: bool = False
    closed: bool = False  #: resolved (or acked before anyone was told): tells nobody more
    last_sent: float | None = None  #: last message to the lane's receivers (group_interval counts from it)
    update_due: float | None = None  #: a batched update waits until then
    update_kind: str = "alert_added"  #: the latest audible change the pending update tells of
    remind_at: float | None = None
    reminders: int = 0
    # escalation
    policy: str | None = None
    cycle: int = 0
    level: int = -1  #: the last level told; -1 before level 0
    escalate_at: float | None = None
    told: list[str] = []  #: escalation targets told so far (they hear the ack and the resolve too)
    rollbacks: list[str] = []  #: suspect change ids the rollback webhook was told about


class PagerState(msgspec.Struct, kw_only=True):
    incident_id: str
    snapshot: IncidentSnapshot
    epoch: int = 0  #: bumped on reopen: the reopened incident is announced and escalated afresh
    updates: int = 0  #: counter for update keys
    acks: int = 0
    severity: str = ""
    lanes: list[LaneState] = []
    heard: bool = False  #: an audible event has arrived (a quiet incident is never announced)


class IncidentPager:
    """Notification decisions for one incident; the owner saves `state` after each call."""

    def __init__(self, config: RoutingConfig, state: PagerState) -> None:
        self.config = config
        self.state = state

    @classmethod
    def start(cls, config: RoutingConfig, snapshot: IncidentSnapshot) -> IncidentPager:
        return cls(config, PagerState(incident_id=snapshot.id, snapshot=snapshot, severity=str(snapshot.severity)))

    @property
    def finished(self) -> bool:
        """Nothing more can ever be sent: the state may be dropped."""
        return self.state.snapshot.status == IncidentStatus.RESOLVED and all(
            lane.closed or not lane.announced for lane in self.state.lanes
        )

    def next_deadline(self) -> float | None:
        times = [
            t
            for lane in self.state.lanes
            if not lane.closed
            for t in (lane.announce_at, lane.update_due, lane.remind_at, lane.escalate_at)
            if t is not None
        ]
        return min(times) if times else None

    # -- events ---------------------------------------------------------------

    def on_event(self, event: IncidentEvent, now: float) -> list[Notification]:
        """What to send now because of `event` (plus anything already due); each receiver hears once."""
        return _once_per_receiver(self._on_event(event, now))

    def _on_event(self, event: IncidentEvent, now: float) -> list[Notification]:
        state = self.state
        state.snapshot = event.incident
        if not event.notify:
            return []
        kind = event.event
        if kind == IncidentEventType.RESOLVED and not state.heard:
            return []  # over before anyone was told
        if kind == IncidentEventType.REOPENED or not state.heard:
            reopened = state.heard
            if reopened:
                state.epoch += 1
            state.heard = True
            state.severity = str(event.incident.severity)
            state.lanes = [self._new_lane(match, now, at_once=reopened) for match in self._matches()]
            return self._tick(now, cause=event)
        out: list[Notification] = []
        for lane in state.lanes:
            if lane.closed:
                continue
            if not lane.announced:
                if kind in (IncidentEventType.ACKNOWLEDGED, IncidentEventType.RESOLVED):
                    lane.closed, lane.announce_at = True, None  # known or over before anyone had to be told
                continue
            out += self._lane_event(lane, event, now)
        if kind == IncidentEventType.SEVERITY_CHANGED and _RANK.get(event.incident.severity, 0) > _RANK.get(
            state.severity, 0
        ):
            state.severity = str(event.incident.severity)
            self._on_severity_rise(now)
        return out + self._tick(now)

    def _on_severity_rise(self, now: float) -> None:
        """Escalate again: re-route, start new lanes' policies at once, bring existing lanes' next level forward."""
        known = {lane.path: lane for lane in self.state.lanes}
        for match in self._matches():
            lane = known.get(match.path)
            if lane is None:
                self.state.lanes.append(self._new_lane(match, now, at_once=True))
            elif lane.announced and not lane.closed and lane.policy and lane.escalate_at is not None:
                lane.escalate_at = now

    def _lane_event(self, lane: LaneState, event: IncidentEvent, now: float) -> list[Notification]:
        match = self._match_for(lane)
        kind = event.event
        if kind in _IMMEDIATE:
            key_cause = self._cause_for(kind)
            targets = list(match.receivers) if match else []
            if kind in (IncidentEventType.ACKNOWLEDGED, IncidentEventType.RESOLVED):
                targets += [t for t in lane.told if t not in targets]
                lane.escalate_at = None
                lane.remind_at = None
                lane.update_due = None
                if kind == IncidentEventType.RESOLVED:
                    lane.closed = True
            lane.last_sent = now
            lane.update_due = None  # this message carries the latest snapshot: a pending update would repeat it
            return self._send(lane, targets, event.event, key_cause, event.note or str(kind), now, event=event)
        # a batched update
        if match is None or not match.receivers:
            return []
        due = now if lane.last_sent is None else lane.last_sent + match.group_interval
        lane.update_kind = str(kind)
        lane.update_due = due if lane.update_due is None else min(lane.update_due, due)
        return []

    def _cause_for(self, kind: IncidentEventType) -> str:
        state = self.state
        if kind == IncidentEventType.ACKNOWLEDGED:
            state.acks += 1
            return f"ack-{state.epoch}-{state.acks}"
        if kind == IncidentEventType.RESOLVED:
            return f"resolved-{state.epoch}"
        state.updates += 1
        return f"{kind}-{state.epoch}-{state.updates}"

    # -- the clock ------------------------------------------------------------

    def tick(self, now: float, cause: IncidentEvent | None = None) -> list[Notification]:
        """What is due by `now`: announcements, batched updates, escalation levels, reminders, rollbacks."""
        return _once_per_receiver(self._tick(now, cause))

    def _tick(self, now: float, cause: IncidentEvent | None = None) -> list[Notification]:
        out: list[Notification] = []
        snapshot = self.state.snapshot
        for lane in self.state.lanes:
            if lane.closed:
                continue
            match = self._match_for(lane)
            if match is None:
                continue
            if lane.announce_at is not None and lane.announce_at <= now:
                out += self._announce(lane, match, now, cause)
            if not lane.announced:
                continue
            if lane.update_due is not None and lane.update_due <= now:
                lane.update_due = None
                self.state.updates += 1
                lane.last_sent = now
                out += self._send(
                    lane,
                    list(match.receivers),
                    IncidentEventType(lane.update_kind),
                    f"update-{self.state.epoch}-{self.state.updates}",
                    "update",
                    now,
                )
            acked = snapshot.status != IncidentStatus.TRIGGERED
            if lane.escalate_at is not None and lane.escalate_at <= now and not acked:
                out += self._escalate(lane, now)
            if lane.remind_at is not None and lane.remind_at <= now and not acked:
                lane.reminders += 1
                lane.remind_at = now + match.repeat_interval
                lane.last_sent = now
                out += self._send(
                    lane,
                    list(match.receivers),
                    snapshot.timeline[-1].kind if snapshot.timeline else IncidentEventType.OPENED,
                    f"repeat-{self.state.epoch}-{lane.reminders}",
                    f"reminder {lane.reminders}: still not acknowledged",
                    now,
                )
            out += self._rollbacks(lane, match, now)
        return out

    def _announce(
        self, lane: LaneState, match: RouteMatch, now: float, cause: IncidentEvent | None
    ) -> list[Notification]:
        lane.announce_at = None
        lane.announced = True
        lane.last_sent = now
        lane.remind_at = now + match.repeat_interval
        kind = IncidentEventType.REOPENED if self.state.epoch else IncidentEventType.OPENED
        out = self._send(lane, list(match.receivers), kind, f"{kind}-{self.state.epoch}", str(kind), now, event=cause)
        if (
            lane.policy
            and self.config.policies.get(lane.policy)
            and self.state.snapshot.status == IncidentStatus.TRIGGERED
        ):
            lane.cycle, lane.level = 0, -1
            lane.escalate_at = now
            out += self._escalate(lane, now)
        return out

    def _escalate(self, lane: LaneState, now: float) -> list[Notification]:
        policy = self.config.policies.get(lane.policy or "")
        if policy is None or not policy.levels:
            lane.escalate_at = None
            return []
        level = lane.level + 1
        if level >= len(policy.levels):
            if lane.cycle >= policy.repeat:
                lane.escalate_at = None
                return []
            lane.cycle += 1
            level = 0
        lane.level = level
        step = policy.levels[level]
        lane.escalate_at = now + step.escalate_after
        for target in step.targets:
            if target not in lane.told:
                lane.told.append(target)
        kind = (
            IncidentEventType.ESCALATED
            if (level or lane.cycle)
            else (IncidentEventType.REOPENED if self.state.epoch else IncidentEventType.OPENED)
        )
        reason = f"escalation level {level}" + (f", repeat {lane.cycle}" if lane.cycle else "")
        if level or lane.cycle:
            waited = policy.levels[level - 1].escalate_after if level else policy.levels[-1].escalate_after
            reason += f": not acknowledged within {_words(waited)}"
        return self._send(
            lane,
            list(step.targets),
            kind,
            f"escalation-{self.state.epoch}-{lane.cycle}-{level}",
            reason,
            now,
            policy=policy.name,
            level=level,
        )

    def _rollbacks(self, lane: LaneState, match: RouteMatch, now: float) -> list[Notification]:
        if not match.rollback_webhook:
            return []
        out: list[Notification] = []
        for suspect in self.state.snapshot.suspects:
            if suspect.id in lane.rollbacks:
                continue
            lane.rollbacks.append(suspect.id)
            out += self._send(
                lane,
                [match.rollback_webhook],
                IncidentEventType.SUSPECT_ADDED,
                f"rollback-{suspect.id}",
                f"rollback suggested: {suspect.summary}",
                now,
            )
        return out

    # -- helpers --------------------------------------------------------------

    def _matches(self) -> list[RouteMatch]:
        return match_routes(self.config, routing_labels(self.state.snapshot))

    def _match_for(self, lane: LaneState) -> RouteMatch | None:
        """The lane's route: a lane keeps its route even if the incident's labels no longer reach it."""
        return route_at(self.config, lane.path)

    def _new_lane(self, match: RouteMatch, now: float, *, at_once: bool) -> LaneState:
        wait = 0.0 if at_once else match.group_wait
        return LaneState(path=match.path, announce_at=now + wait, policy=match.escalation)

    def _send(
        self,
        lane: LaneState,
        receivers: list[str],
        kind: IncidentEventType,
        cause: str,
        reason: str,
        now: float,
        *,
        event: IncidentEvent | None = None,
        policy: str | None = None,
        level: int = 0,
    ) -> list[Notification]:
        match = route_at(self.config, lane.path)
        if match is not None and any(
            (interval := self.config.time_intervals.get(name)) is not None and interval.active(now)
            for name in match.mute_time_intervals
        ):
            return []
        incident = self.state.snapshot
        return [
            Notification(
                key=f"{incident.id}/{receiver}/{cause}",
                receiver=receiver,
                incident_id=incident.id,
                event=kind,
                ts=now,
                reason=reason[:256],
                policy=policy,
                level=level,
                actor=event.actor if event else None,
                note=event.note if event else None,
                incident=incident,
            )
            for receiver in dict.fromkeys(receivers)
            if receiver in self.config.receivers
        ]


def _once_per_receiver(notes: list[Notification]) -> list[Notification]:
    """One message per receiver per decision: an escalation target that is also a route's receiver,
    or a route reached anew on a severity rise, would otherwise hear the same news twice."""
    seen: set[str] = set()
    out = []
    for note in notes:
        if note.receiver not in seen:
            seen.add(note.receiver)
            out.append(note)
    return out


def _words(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"
