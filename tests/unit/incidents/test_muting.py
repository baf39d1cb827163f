"""Inhibition, silences and maintenance windows: recorded on the incident, notifying nobody."""

from __future__ import annotations

from datetime import time

from correlator.incidents import InhibitRule, MaintenanceWindow, parse_matchers

from .factories import T0, alert, book, command, kinds, refresh, resolved, silence

CRITICAL_MUTES_LESSER = InhibitRule(
    source=parse_matchers(['severity="critical"'], "source"),
    target=parse_matchers(['severity=~"medium|low"'], "target"),
    equal=("service",),
)


def test_an_inhibited_alert_is_recorded_quietly_and_does_not_raise_severity() -> None:
    incidents = book(inhibit_rules=(CRITICAL_MUTES_LESSER,))
    down = alert("PostgresDown", "postgres", severity="critical")
    incidents.on_alert(down, T0)
    (event,) = incidents.on_alert(alert("ReplicationLag", "postgres", severity="medium", starts=5), T0 + 5)
    assert event.event == "alert_added" and not event.notify
    lag = event.incident.alert_details[1]
    assert lag.inhibited_by == down.fingerprint and lag.silenced_by is None
    assert "inhibited by PostgresDown on postgres, which is firing" in event.incident.timeline[-1].text


def test_an_inhibited_alert_never_raises_severity() -> None:
    rule = InhibitRule(source=parse_matchers(['alertname="Maintenance"'], "s"), target=(), equal=("service",))
    incidents = book(inhibit_rules=(rule,))
    incidents.on_alert(alert("Maintenance", "postgres", severity="low"), T0)
    events = incidents.on_alert(alert("PostgresDown", "postgres", severity="critical", starts=5), T0 + 5)
    assert kinds(events) == ["alert_added"] and not events[0].notify
    assert events[0].incident.severity == "low"


def test_the_target_is_uninhibited_when_the_source_resolves() -> None:
    incidents = book(inhibit_rules=(CRITICAL_MUTES_LESSER,))
    down = alert("PostgresDown", "postgres", severity="critical")
    incidents.on_alert(down, T0)
    incidents.on_alert(alert("ReplicationLag", "postgres", severity="medium", starts=5), T0 + 5)
    events = incidents.on_alert(resolved(down, 60), T0 + 60)
    assert kinds(events) == ["alert_resolved", "uninhibited"]
    assert events[1].notify and events[1].incident.severity == "medium"
    assert events[1].incident.alert_details[1].inhibited_by is None


def test_a_source_that_fires_later_inhibits_alerts_already_firing() -> None:
    incidents = book(inhibit_rules=(CRITICAL_MUTES_LESSER,))
    incidents.on_alert(alert("ReplicationLag", "postgres", severity="medium"), T0)
    events = incidents.on_alert(alert("PostgresDown", "postgres", severity="critical", starts=5), T0 + 5)
    assert kinds(events) == ["alert_added", "severity_changed", "inhibited"]
    assert not events[2].notify


def test_an_alert_never_inhibits_itself_and_equal_labels_must_agree() -> None:
    everything = InhibitRule(source=(), target=(), equal=("service",))
    incidents = book(inhibit_rules=(everything,))
    (first,) = incidents.on_alert(alert("PostgresDown", "postgres"), T0)
    assert first.notify and first.incident.alert_details[0].inhibited_by is None
    (other,) = incidents.on_alert(alert("WhatsappDown", "whatsapp-gateway", starts=1), T0 + 1)
    assert other.notify  # different service: not inhibited


def test_a_silence_mutes_matching_alerts_until_it_expires() -> None:
    incidents = book()
    outcome = incidents.on_command(silence(['service="postgres"'], 0, 600), T0)
    assert outcome.accepted and outcome.silence_id and outcome.silence_id.startswith("sil-")
    (opened,) = incidents.on_alert(alert("PostgresDown", "postgres"), T0 + 10)
    assert not opened.notify and opened.incident.alert_details[0].silenced_by == outcome.silence_id
    assert outcome.silence_id in opened.incident.timeline[-1].text
    assert incidents.tick(T0 + 599) == []
    (unsilenced,) = incidents.tick(T0 + 600)
    assert unsilenced.event == "unsilenced" and unsilenced.notify
    assert unsilenced.incident.alert_details[0].silenced_by is None
    assert "(expired)" in unsilenced.incident.timeline[-1].text
    assert incidents.silences() == []


def test_a_silence_applies_to_alerts_already_firing_and_can_start_later() -> None:
    incidents = book()
    incidents.on_alert(alert("PostgresDown", "postgres"), T0)
    outcome = incidents.on_command(silence(['alertname="PostgresDown"'], 100, 200, at=50), T0 + 50)
    assert outcome.accepted and outcome.events == ()
    (silenced,) = incidents.tick(T0 + 100)
    assert silenced.event == "silenced" and not silenced.notify
    assert silenced.actor is None


def test_creating_a_silence_announces_it_on_the_incidents_it_mutes() -> None:
    incidents = book()
    incidents.on_alert(alert("PostgresDown", "postgres"), T0)
    outcome = incidents.on_command(silence(['service="postgres"'], 10, 600), T0 + 10)
    (event,) = outcome.events
    assert event.event == "silenced" and event.actor == "ana@example.com" and not event.notify


def test_unsilence_removes_the_silence() -> None:
    incidents = book()
    created = incidents.on_command(silence(['service="postgres"'], 0, 600), T0)
    incidents.on_alert(alert("PostgresDown", "postgres"), T0 + 10)
    removed = incidents.on_command(command("unsilence", 20, silence_id=created.silence_id), T0 + 20)
    assert removed.accepted
    (event,) = removed.events
    assert event.event == "unsilenced" and event.notify
    assert "removed by ana@example.com" in event.incident.timeline[-1].text
    again = incidents.on_command(command("unsilence", 21, silence_id=created.silence_id), T0 + 21)
    assert not again.accepted and "unknown silence" in again.reason


def test_bad_silences_are_rejected() -> None:
    incidents = book()
    ended = incidents.on_command(silence(['service="postgres"'], 0, 10, at=20), T0 + 20)
    assert not ended.accepted and "already have ended" in ended.reason
    bad = incidents.on_command(silence(['service=~"("'], 0, 100), T0)
    assert not bad.accepted and "silence.matchers[0]" in bad.reason


def test_maintenance_window_silences_and_lets_go_by_itself() -> None:
    backup = MaintenanceWindow("backup", parse_matchers(['service="postgres"'], "m"), start=time(2), end=time(3))
    incidents = book(maintenance=(backup,))
    (opened,) = incidents.on_alert(alert("PostgresSlow", "postgres", starts=7800), T0 + 7800)  # 02:10
    assert not opened.notify and opened.incident.alert_details[0].silenced_by == "maintenance:backup"
    assert "maintenance window backup" in opened.incident.timeline[-1].text
    assert incidents.tick(T0 + 10799) == []
    (event,) = incidents.tick(T0 + 10800)  # 03:00
    assert event.event == "unsilenced" and event.notify


def test_a_silenced_incident_that_resolves_tells_nobody() -> None:
    incidents = book()
    incidents.on_command(silence(['service="postgres"'], 0, 3600), T0)
    down = alert("PostgresDown", "postgres", starts=10)
    events = incidents.on_alert(down, T0 + 10)
    events += incidents.on_alert(refresh(down, 70), T0 + 70)
    events += incidents.on_alert(resolved(down, 100), T0 + 100)
    events += incidents.tick(T0 + 400)
    assert kinds(events) == ["opened", "alert_resolved", "resolved"]
    assert not any(e.notify for e in events)


def test_severity_ignores_muted_alerts_unless_all_are_muted() -> None:
    incidents = book()
    incidents.on_command(silence(['severity="critical"'], 0, 3600), T0)
    (opened,) = incidents.on_alert(alert("PostgresDown", "postgres", severity="critical"), T0)
    assert opened.incident.severity == "critical"  # every alert muted: the muted ones count
    (added,) = incidents.on_alert(alert("PostgresSlow", "postgres", severity="low", starts=5), T0 + 5)
    assert added.incident.severity == "low" and added.notify
    assert "severity critical → low" in added.incident.timeline[-1].text
