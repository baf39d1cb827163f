"""Flap detection: too many state changes hold notifications until the incident is stable again."""

from __future__ import annotations

from .factories import T0, alert, book, kinds, resolved


def flap(incidents, changes: int, every: float = 60.0) -> list:
    """Fire and resolve one alert `changes` times (a change each `every` seconds)."""
    events = []
    for n in range(changes):
        at = n * every
        firing = alert("DeliveryLow", "whatsapp-gateway", starts=at - (n % 2) * every)
        events += incidents.on_alert(firing if n % 2 == 0 else resolved(firing, at), T0 + at)
    return events


def test_the_change_after_flap_changes_marks_the_incident_flapping() -> None:
    incidents = book(flap_changes=4, flap_window=600)
    events = flap(incidents, 4)
    assert not any(e.incident.flapping for e in events) and all(e.notify for e in events)
    events = flap(book(flap_changes=4, flap_window=600), 5)
    assert kinds(events)[-2:] == ["alert_added", "flapping"]
    assert [e.notify for e in events[-2:]] == [False, False]
    assert events[-1].incident.flapping
    assert "changed state 5 times within 10m" in events[-1].incident.timeline[-1].text


def test_changes_spread_wider_than_the_window_are_not_flapping() -> None:
    events = flap(book(flap_changes=4, flap_window=600), 8, every=200)
    assert "flapping" not in kinds(events)


def test_flapping_holds_notifications_until_stable_for_the_window() -> None:
    incidents = book(flap_changes=4, flap_window=600)
    flap(incidents, 5)  # the last change at 240 s, firing
    assert all(not e.notify for e in flap_more(incidents))
    assert incidents.tick(T0 + 899) == []
    (stable,) = incidents.tick(T0 + 900)
    assert stable.event == "stable" and stable.notify and not stable.incident.flapping
    assert stable.incident.timeline[-1].text == "stable: no alert changed state for 10m; 1 alert firing"


def flap_more(incidents) -> list:
    firing = alert("DeliveryLow", "whatsapp-gateway", starts=240)
    events = incidents.on_alert(resolved(firing, 280), T0 + 280)
    events += incidents.on_alert(alert("DeliveryLow", "whatsapp-gateway", starts=300), T0 + 300)
    return events


def test_a_flapping_incident_that_resolves_tells_nobody_until_stable() -> None:
    incidents = book(flap_changes=4, flap_window=600, resolve_timeout=300)
    flap(incidents, 6)  # ends resolved at 300 s
    (resolved_event,) = incidents.tick(T0 + 600)
    assert resolved_event.event == "resolved" and not resolved_event.notify
    (stable,) = incidents.tick(T0 + 900)
    assert stable.event == "stable" and stable.notify and stable.incident.status == "resolved"
