"""IncidentPager: announce after group_wait, batched updates, escalation levels, reminders, mutes, rollbacks."""

from __future__ import annotations

from datetime import time
from typing import Any

import msgspec
import pytest

from correlator.incidents.config import MaintenanceWindow
from correlator.routing import (
    EscalationLevel,
    EscalationPolicy,
    IncidentPager,
    PagerState,
    ReceiverSpec,
    Route,
    RoutingConfig,
    TimeInterval,
)
from correlator.rules import Matcher
from schemas import Notification, SuspectChange
from tests.unit.api.fixtures import T0, event

RECEIVERS = {name: ReceiverSpec(name=name, kind="console") for name in ("chat", "pager", "boss", "mail", "ci")}
POLICY = EscalationPolicy(
    name="oncall",
    levels=(EscalationLevel(("pager",), 300.0), EscalationLevel(("pager", "boss"), 600.0)),
    repeat=1,
)


def config(**root: Any) -> RoutingConfig:
    critical = Route(
        matchers=(Matcher.parse('severity="critical"'),),
        receivers=("chat",),
        escalation="oncall",
        group_wait=0.0,
        name="critical",
    )
    defaults: dict[str, Any] = {
        "receivers": ("chat",),
        "group_wait": 30.0,
        "group_interval": 300.0,
        "repeat_interval": 3600.0,
        "routes": (critical,),
    }
    defaults.update(root)
    return RoutingConfig(receivers=RECEIVERS, route=Route(**defaults), policies={"oncall": POLICY})


def sent(notes: list[Notification]) -> list[tuple[str, str]]:
    return [(n.receiver, n.key.split("/", 2)[2]) for n in notes]


def start(cfg: RoutingConfig, **changes: Any) -> IncidentPager:
    return IncidentPager.start(cfg, event(**changes).incident)


def test_a_new_incident_is_announced_once_group_wait_ends_with_what_gathered_meanwhile() -> None:
    pager = start(config())
    assert pager.on_event(event("opened"), T0) == []
    assert pager.on_event(event("alert_added", alerts=["00000000000000a1", "00000000000000a2"]), T0 + 10) == []
    assert pager.tick(T0 + 29) == []
    notes = pager.tick(T0 + 30)
    assert sent(notes) == [("chat", "opened-0")]
    assert notes[0].incident.alerts == ["00000000000000a1", "00000000000000a2"]  # the snapshot as it is when told
    assert pager.tick(T0 + 31) == []


def test_critical_pages_at_once_and_escalates_level_by_level_then_repeats_then_stops() -> None:
    pager = start(config(), severity="critical")
    first = pager.on_event(event("opened", severity="critical"), T0)
    assert sent(first) == [("chat", "opened-0"), ("pager", "escalation-0-0-0")]
    assert pager.tick(T0 + 299) == []
    level1 = pager.tick(T0 + 300)
    assert sent(level1) == [("pager", "escalation-0-0-1"), ("boss", "escalation-0-0-1")]
    assert level1[0].event == "escalated" and level1[0].level == 1 and level1[0].policy == "oncall"
    assert "not acknowledged within 5 min" in level1[0].reason
    again = pager.tick(T0 + 900)  # the list runs once more (repeat: 1)
    assert sent(again) == [("pager", "escalation-0-1-0")]
    assert sent(pager.tick(T0 + 1200)) == [("pager", "escalation-0-1-1"), ("boss", "escalation-0-1-1")]
    assert pager.tick(T0 + 1800) == []  # repeats used up: no more levels
    assert pager.next_deadline() == T0 + 3600  # only the chat reminder is left


def test_an_ack_stops_escalation_and_tells_everyone_who_was_paged() -> None:
    pager = start(config(), severity="critical")
    pager.on_event(event("opened", severity="critical"), T0)
    pager.tick(T0 + 300)  # level 1: pager and boss
    acked = pager.on_event(
        event("acknowledged", severity="critical", status="acknowledged", actor="ana", note="on it"), T0 + 320
    )
    assert sorted(sent(acked)) == [("boss", "ack-0-1"), ("chat", "ack-0-1"), ("pager", "ack-0-1")]
    assert acked[0].actor == "ana" and acked[0].note == "on it"
    assert pager.tick(T0 + 5000) == []  # no level, no reminder after an ack


def test_resolved_closes_the_incident_and_the_state_can_go() -> None:
    pager = start(config(), severity="critical")
    pager.on_event(event("opened", severity="critical"), T0)
    done = pager.on_event(event("resolved", severity="critical", status="resolved"), T0 + 60)
    assert sorted(sent(done)) == [("chat", "resolved-0"), ("pager", "resolved-0")]
    assert pager.finished
    assert pager.tick(T0 + 10_000) == []


def test_resolved_within_group_wait_tells_nobody() -> None:
    pager = start(config())
    pager.on_event(event("opened"), T0)
    assert pager.on_event(event("resolved", status="resolved"), T0 + 5) == []
    assert pager.tick(T0 + 60) == []
    assert pager.finished


def test_updates_are_batched_by_group_interval() -> None:
    pager = start(config())
    pager.on_event(event("opened"), T0)
    pager.tick(T0 + 30)  # announced at +30
    assert pager.on_event(event("alert_added", alerts=["00000000000000a1", "00000000000000a2"]), T0 + 40) == []
    assert (
        pager.on_event(
            event("comment", alerts=["00000000000000a1", "00000000000000a2", "00000000000000a3"], note="hm"), T0 + 50
        )
        == []
    )
    assert pager.tick(T0 + 329) == []
    update = pager.tick(T0 + 330)  # 300 s after the announcement: one message, latest snapshot
    assert sent(update) == [("chat", "update-0-1")]
    assert update[0].event == "comment"  # the latest change it tells of
    assert update[0].incident.alerts == ["00000000000000a1", "00000000000000a2", "00000000000000a3"]


def test_an_immediate_message_carries_the_latest_snapshot_so_a_pending_update_is_dropped() -> None:
    pager = start(config())
    pager.on_event(event("opened"), T0)
    pager.tick(T0 + 30)
    pager.on_event(event("alert_added"), T0 + 40)  # batched until T0 + 330
    assert sent(pager.on_event(event("acknowledged", status="acknowledged", actor="ana"), T0 + 50)) == [
        ("chat", "ack-0-1")
    ]
    assert pager.tick(T0 + 400) == []


def test_quiet_events_tell_nobody_and_a_never_heard_incident_is_never_announced() -> None:
    pager = start(config())
    quiet = msgspec.structs.replace(event("opened"), notify=False)
    assert pager.on_event(quiet, T0) == []
    assert pager.tick(T0 + 3600) == []
    # the first audible event (the silence ended) starts the announcement
    assert pager.on_event(event("unsilenced"), T0 + 4000) == []
    assert sent(pager.tick(T0 + 4030)) == [("chat", "opened-0")]


def test_a_severity_rise_reaches_the_new_route_at_once_and_escalates_again() -> None:
    pager = start(config())
    pager.on_event(event("opened"), T0)
    pager.tick(T0 + 30)
    rise = pager.on_event(event("severity_changed", severity="critical"), T0 + 100)
    assert sent(rise) == [("chat", "severity_changed-0-1"), ("pager", "escalation-0-0-0")]
    assert sent(pager.tick(T0 + 400)) == [("pager", "escalation-0-0-1"), ("boss", "escalation-0-0-1")]
    # rising once more (a second critical event) fires the next level at once
    pager.state.severity = "high"
    again = pager.on_event(event("severity_changed", severity="critical"), T0 + 450)
    assert ("pager", "escalation-0-1-0") in sent(again)


def test_reopen_is_announced_at_once_and_escalation_starts_over() -> None:
    pager = start(config(), severity="critical")
    pager.on_event(event("opened", severity="critical"), T0)
    pager.on_event(event("resolved", severity="critical", status="resolved"), T0 + 60)
    reopened = pager.on_event(event("reopened", severity="critical", reopen_count=1), T0 + 600)
    assert sent(reopened) == [("chat", "reopened-1"), ("pager", "escalation-1-0-0")]
    assert reopened[0].event == "reopened"


def test_reminders_repeat_while_nobody_acknowledges() -> None:
    pager = start(config())
    pager.on_event(event("opened"), T0)
    pager.tick(T0 + 30)
    assert sent(pager.tick(T0 + 3630)) == [("chat", "repeat-0-1")]
    assert sent(pager.tick(T0 + 7230)) == [("chat", "repeat-0-2")]


def test_a_mute_interval_tells_nobody_while_active() -> None:
    all_day = MaintenanceWindow(name="all-day", matchers=(), start=time(0, 0), end=time(23, 59, 59))
    base = config(mute_time_intervals=("always",))
    cfg = RoutingConfig(
        receivers=base.receivers,
        route=base.route,
        policies=base.policies,
        time_intervals={"always": TimeInterval("always", (all_day,))},
    )
    pager = start(cfg)
    pager.on_event(event("opened"), T0)
    assert pager.tick(T0 + 30) == []
    unmuted = start(base)  # the same incident on the same tree without the interval is told
    unmuted.on_event(event("opened"), T0)
    assert sent(unmuted.tick(T0 + 30)) == [("chat", "opened-0")]


def test_the_rollback_webhook_hears_each_suspect_once() -> None:
    suspect = SuspectChange(
        id="deploy-1",
        kind="deploy",
        service="advisor-api",
        version="1.4.2",
        author="bruno",
        ts=T0 - 180,
        link="https://ci.example.com/1",
        summary="advisor-api 1.4.2 deployed 3 min before the incident",
    )
    cfg = config(rollback_webhook="ci")
    pager = start(cfg, suspects=[suspect])
    pager.on_event(event("opened", suspects=[suspect]), T0)
    notes = pager.tick(T0 + 30)
    assert sent(notes) == [("chat", "opened-0"), ("ci", "rollback-deploy-1")]
    assert notes[1].reason == "rollback suggested: advisor-api 1.4.2 deployed 3 min before the incident"
    assert pager.on_event(event("comment", suspects=[suspect], note="x"), T0 + 40) == []


@pytest.mark.parametrize("cut", range(1, 7))
def test_saved_and_restored_state_carries_on_identically(cut: int) -> None:
    """The state is all there is: a worker restarting from the saved bytes decides the same."""
    steps: list[tuple[str, Any]] = [
        ("event", (event("opened", severity="critical"), T0)),
        ("tick", T0 + 300),
        (
            "event",
            (event("alert_added", severity="critical", alerts=["0000000000000001", "0000000000000002"]), T0 + 310),
        ),
        ("tick", T0 + 900),
        ("event", (event("acknowledged", severity="critical", status="acknowledged", actor="ana"), T0 + 950)),
        ("tick", T0 + 5000),
        ("event", (event("resolved", severity="critical", status="resolved"), T0 + 6000)),
    ]

    def play(pager: IncidentPager, part: list[tuple[str, Any]]) -> list[str]:
        out = []
        for kind, arg in part:
            notes = pager.on_event(*arg) if kind == "event" else pager.tick(arg)
            out += [n.key for n in notes]
        return out

    cfg = config()
    straight = play(start(cfg, severity="critical"), steps)
    first = start(cfg, severity="critical")
    head = play(first, steps[:cut])
    saved = msgspec.json.encode(first.state)
    restored = IncidentPager(cfg, msgspec.json.decode(saved, type=PagerState))
    assert head + play(restored, steps[cut:]) == straight
