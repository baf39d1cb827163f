"""Dedup by fingerprint and grouping by `group_by` labels: a storm becomes one incident per group."""

from __future__ import annotations

from .factories import T0, alert, book, encoded, kinds, refresh, resolved


def test_first_alert_opens_an_incident_with_a_deterministic_id() -> None:
    first = alert("ApiLatencyP95High", "advisor-api", summary="advisor-api P95 latency 1.5s exceeds 0.5s")
    events = book().on_alert(first, T0 + 1)
    assert kinds(events) == ["opened"]
    incident = events[0].incident
    assert incident.id.startswith("inc-") and len(incident.id) == 16
    assert events[0].incident_id == incident.id and events[0].ts == T0 + 1 and events[0].notify
    assert incident.title == "advisor-api P95 latency 1.5s exceeds 0.5s"
    assert (incident.group_key, incident.labels) == ("service=advisor-api", {"service": "advisor-api"})
    assert (incident.status, incident.severity, incident.services) == ("triggered", "high", ["advisor-api"])
    assert incident.alerts == [first.fingerprint]
    assert (incident.opened_at, incident.detected_at, incident.domain) == (T0 + 1, T0, "postgres")
    assert incident.root_cause == "advisor-api"
    assert [e.kind for e in incident.timeline] == ["opened"]
    assert incident.timeline[0].text == "opened by ApiLatencyP95High on advisor-api (high)"
    assert book().on_alert(first, T0 + 1)[0].incident.id == incident.id  # same inputs, same id
    encoded(events)


def test_title_without_a_summary_names_the_alert_and_service() -> None:
    (event,) = book().on_alert(alert("PostgresDown", "postgres"), T0)
    assert event.incident.title == "PostgresDown on postgres"
    (event,) = book().on_alert(alert("Slow", "postgres", summary="queries are slow"), T0)
    assert event.incident.title == "postgres: queries are slow"


def test_a_refresh_updates_the_alert_but_publishes_nothing() -> None:
    incidents = book()
    first = alert("ApiLatencyP95High", "advisor-api")
    incidents.on_alert(first, T0)
    assert incidents.on_alert(refresh(first, 60), T0 + 60) == []
    assert incidents.on_alert(refresh(first, 60), T0 + 61) == []  # an exact duplicate: not counted
    assert incidents.on_alert(refresh(first, 120), T0 + 120) == []
    assert incidents.on_alert(first, T0 + 121) == []  # a duplicate of the first record
    (detail,) = incidents.incidents()[0].alert_details
    assert (detail.count, detail.first_seen, detail.last_seen, detail.status) == (3, T0, T0 + 120, "firing")


def test_alerts_of_one_group_share_the_incident() -> None:
    incidents = book()
    events = incidents.on_alert(alert("ApiLatencyP95High", "advisor-api"), T0)
    events += incidents.on_alert(alert("ApiErrorRate", "advisor-api", severity="medium", starts=20), T0 + 20)
    events += incidents.on_alert(alert("ApiLatencyP99", "advisor-api", route="/pay", starts=9000), T0 + 9000)
    assert kinds(events) == ["opened", "alert_added", "alert_added"]
    assert len({e.incident_id for e in events}) == 1
    final = events[-1].incident
    assert len(final.alerts) == 3 and final.severity == "high"
    assert final.reasons == ["alerts with service=advisor-api are grouped together"]
    assert final.timeline[-1].text == "ApiLatencyP99 on advisor-api (high) joined"


def test_group_by_more_labels_splits_groups() -> None:
    incidents = book(group_by=("service", "route"), topology=book().settings.topology)
    a = incidents.on_alert(alert("Latency", "checkout", route="/pay"), T0)
    b = incidents.on_alert(alert("Latency", "checkout", route="/cart", starts=10 * 3600), T0 + 10 * 3600)
    assert a[0].incident.group_key == "service=checkout,route=/pay"
    assert b[0].event == "opened" and b[0].incident_id != a[0].incident_id


def test_resolution_updates_the_alert_and_says_when_the_incident_will_resolve() -> None:
    incidents = book()
    first = alert("ApiLatencyP95High", "advisor-api")
    incidents.on_alert(first, T0)
    (event,) = incidents.on_alert(resolved(first, 200), T0 + 201)
    assert event.event == "alert_resolved" and event.notify
    (detail,) = event.incident.alert_details
    assert (detail.status, detail.ends_at) == ("resolved", T0 + 200)
    assert event.incident.status == "triggered"
    assert "resolves by itself in 5m" in event.incident.timeline[-1].text
    assert incidents.on_alert(resolved(first, 200), T0 + 202) == []  # duplicate resolution


def test_stale_records_change_nothing() -> None:
    incidents = book()
    first = alert("ApiLatencyP95High", "advisor-api")
    incidents.on_alert(first, T0)
    incidents.on_alert(resolved(first, 100), T0 + 100)
    assert incidents.on_alert(refresh(first, 60), T0 + 101) == []  # a refresh of the episode that ended
    again = alert("ApiLatencyP95High", "advisor-api", starts=150)
    assert kinds(incidents.on_alert(again, T0 + 150)) == ["alert_added"]
    assert incidents.on_alert(resolved(first, 100), T0 + 151) == []  # the end of the older episode
    assert incidents.incidents()[0].alert_details[0].status == "firing"


def test_a_resolution_for_an_unknown_alert_is_ignored() -> None:
    assert book().on_alert(resolved(alert("Nope", "advisor-api"), 10), T0 + 10) == []


def test_severity_is_the_highest_firing_and_a_rise_is_an_event() -> None:
    incidents = book()
    low = alert("Slow", "advisor-api", severity="low")
    critical = alert("Down", "advisor-api", severity="critical", starts=10)
    incidents.on_alert(low, T0)
    events = incidents.on_alert(critical, T0 + 10)
    assert kinds(events) == ["alert_added", "severity_changed"]
    assert events[1].incident.severity == "critical"
    assert events[1].incident.timeline[-1].text == "severity low → critical"
    (fall,) = incidents.on_alert(resolved(critical, 60), T0 + 60)
    assert fall.event == "alert_resolved" and fall.incident.severity == "low"
    assert "severity critical → low" in fall.incident.timeline[-1].text
