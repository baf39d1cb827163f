"""triggered → acknowledged → resolved, auto-resolve, reopen, and people's commands."""

from __future__ import annotations

import pytest

from correlator.incidents import command_problem
from schemas import SilenceSpec

from .factories import T0, alert, book, command, kinds, refresh, resolved


def opened(incidents, **kw) -> str:
    return incidents.on_alert(alert("ApiErrors", "advisor-api", **kw), T0)[0].incident_id


def test_ack_records_who_and_the_time_to_acknowledge() -> None:
    incidents = book()
    incident_id = opened(incidents)
    outcome = incidents.on_command(command("ack", 120, incident_id=incident_id, note="on it"), T0 + 125)
    assert outcome.accepted and outcome.reason == f"{incident_id} acknowledged"
    (event,) = outcome.events
    assert (event.event, event.actor, event.note, event.ts) == ("acknowledged", "ana@example.com", "on it", T0 + 125)
    incident = event.incident
    assert (incident.status, incident.acknowledged_by, incident.acknowledged_at) == (
        "acknowledged",
        "ana@example.com",
        T0 + 125,
    )
    assert incident.time_to_acknowledge == 125.0
    assert incident.timeline[-1].text == "acknowledged by ana@example.com: on it"
    assert incident.timeline[-1].actor == "ana@example.com"


def test_an_acknowledged_incident_stays_acknowledged_when_alerts_join() -> None:
    incidents = book()
    incident_id = opened(incidents)
    incidents.on_command(command("ack", 10, incident_id=incident_id), T0 + 10)
    (event,) = incidents.on_alert(alert("ApiSlow", "advisor-api", starts=20), T0 + 20)
    assert event.incident.status == "acknowledged"


def test_resolve_by_hand_even_while_alerts_fire() -> None:
    incidents = book()
    incident_id = opened(incidents)
    outcome = incidents.on_command(command("resolve", 600, incident_id=incident_id, note="fixed"), T0 + 600)
    (event,) = outcome.events
    assert event.incident.status == "resolved" and event.incident.resolved_at == T0 + 600
    assert event.incident.time_to_resolve == 600.0
    assert event.incident.timeline[-1].text == "resolved by ana@example.com: fixed (1 alert still firing)"
    first = alert("ApiErrors", "advisor-api")
    assert incidents.on_alert(refresh(first, 660), T0 + 660) == []  # still the same episode: no reopen


def test_comment_on_any_incident_still_held() -> None:
    incidents = book()
    incident_id = opened(incidents)
    incidents.on_command(command("resolve", 10, incident_id=incident_id), T0 + 10)
    outcome = incidents.on_command(
        command("comment", 20, incident_id=incident_id, note="postmortem on Monday"), T0 + 20
    )
    (event,) = outcome.events
    assert event.event == "comment" and event.note == "postmortem on Monday"
    assert event.incident.timeline[-1].text == "ana@example.com: postmortem on Monday"


@pytest.mark.parametrize(
    ("kind", "fields", "reason"),
    [
        ("ack", {}, "ack needs incident_id"),
        ("comment", {"incident_id": "inc-x"}, "comment needs a note"),
        ("silence", {}, "silence needs `silence`"),
        ("unsilence", {}, "unsilence needs silence_id"),
        ("ack", {"incident_id": "inc-nope"}, "unknown incident inc-nope in domain postgres"),
        ("resolve", {"incident_id": "inc-nope"}, "or it was resolved more than 30m ago"),
    ],
)
def test_commands_that_cannot_apply_are_rejected_in_words(kind: str, fields: dict, reason: str) -> None:
    outcome = book().on_command(command(kind, 10, **fields), T0 + 10)
    assert not outcome.accepted and reason in outcome.reason and outcome.events == ()


def test_command_problem_checks_each_kind_before_publishing() -> None:
    spec = SilenceSpec(matchers=['service="x"'], starts_at=T0, ends_at=T0, comment="c")
    assert command_problem(command("silence", 0, silence=spec)) == "silence ends_at must be after starts_at"
    assert command_problem(command("ack", 0, incident_id="inc-1")) is None


def test_ack_and_resolve_follow_the_lifecycle() -> None:
    incidents = book()
    incident_id = opened(incidents)
    assert incidents.on_command(command("ack", 1, incident_id=incident_id), T0 + 1).accepted
    twice = incidents.on_command(command("ack", 2, incident_id=incident_id), T0 + 2)
    assert not twice.accepted and twice.reason == f"{incident_id} is already acknowledged by ana@example.com"
    assert incidents.on_command(command("resolve", 3, incident_id=incident_id), T0 + 3).accepted
    late = incidents.on_command(command("ack", 4, incident_id=incident_id), T0 + 4)
    assert not late.accepted and late.reason == f"{incident_id} is resolved"


def test_a_command_is_applied_once_by_id() -> None:
    incidents = book()
    incident_id = opened(incidents)
    ack = command("comment", 5, id="cmd-1", incident_id=incident_id, note="hi")
    assert len(incidents.on_command(ack, T0 + 5).events) == 1
    again = incidents.on_command(ack, T0 + 6)
    assert again.accepted and again.duplicate and again.events == ()


def test_the_incident_resolves_by_itself_after_resolve_timeout() -> None:
    incidents = book(resolve_timeout=300)
    first = alert("ApiErrors", "advisor-api")
    incidents.on_alert(first, T0)
    incidents.on_alert(resolved(first, 100), T0 + 100)
    assert incidents.tick(T0 + 399) == []
    (event,) = incidents.tick(T0 + 400)
    assert event.event == "resolved" and event.actor is None and event.notify
    assert event.incident.timeline[-1].text == "resolved by itself: no alert has fired for 5m"
    assert event.incident.time_to_resolve == 400.0
    assert incidents.tick(T0 + 500) == []


def test_an_alert_firing_again_before_the_timeout_keeps_it_open() -> None:
    incidents = book(resolve_timeout=300)
    first = alert("ApiErrors", "advisor-api")
    incidents.on_alert(first, T0)
    incidents.on_alert(resolved(first, 100), T0 + 100)
    (again,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=200), T0 + 200)
    assert again.event == "alert_added" and "fired again" in again.incident.timeline[-1].text
    assert incidents.tick(T0 + 600) == []
    assert again.incident.alert_details[0].count == 2


def test_the_same_incident_reopens_within_the_reopen_window() -> None:
    incidents = book(resolve_timeout=300, reopen_window=1800)
    first = alert("ApiErrors", "advisor-api")
    incident_id = incidents.on_alert(first, T0)[0].incident_id
    incidents.on_alert(resolved(first, 100), T0 + 100)
    incidents.tick(T0 + 400)
    (event,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=1000), T0 + 1000)
    assert (event.event, event.incident_id, event.incident.status) == ("reopened", incident_id, "triggered")
    assert event.incident.reopen_count == 1 and event.incident.time_to_resolve is None
    assert event.incident.resolved_at == T0 + 400  # when it was last resolved
    assert (
        event.incident.timeline[-1].text
        == "reopened: ApiErrors on advisor-api (high) fired 10 min after it was resolved"
    )


def test_another_alert_of_the_group_also_reopens_it() -> None:
    incidents = book()
    incident_id = opened(incidents)
    incidents.on_command(command("resolve", 10, incident_id=incident_id), T0 + 10)
    (event,) = incidents.on_alert(alert("ApiSlow", "advisor-api", starts=60), T0 + 60)
    assert (event.event, event.incident_id) == ("reopened", incident_id)


def test_after_the_reopen_window_a_new_incident_opens_and_the_old_one_is_forgotten() -> None:
    incidents = book(resolve_timeout=300, reopen_window=1800)
    first = alert("ApiErrors", "advisor-api")
    old = incidents.on_alert(first, T0)[0].incident_id
    incidents.on_alert(resolved(first, 100), T0 + 100)
    incidents.tick(T0 + 400)
    incidents.tick(T0 + 2201)
    assert incidents.incident(old) is None
    (event,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=2300), T0 + 2300)
    assert event.event == "opened" and event.incident_id != old
    late = incidents.on_command(command("ack", 2301, incident_id=old), T0 + 2301)
    assert not late.accepted and "unknown incident" in late.reason


def test_without_a_tick_the_reopen_window_still_holds() -> None:
    incidents = book(reopen_window=600)
    incident_id = opened(incidents)
    incidents.on_command(command("resolve", 10, incident_id=incident_id), T0 + 10)
    (event,) = incidents.on_alert(alert("ApiSlow", "advisor-api", starts=700), T0 + 700)
    assert event.event == "opened" and event.incident_id != incident_id


def test_reads() -> None:
    incidents = book()
    incident_id = opened(incidents)
    assert [i.id for i in incidents.incidents()] == [incident_id]
    snapshot = incidents.incident_for_group("service=advisor-api")
    assert snapshot is not None and snapshot.id == incident_id
    assert incidents.incident_for_group("service=nope") is None
    assert kinds([]) == []
