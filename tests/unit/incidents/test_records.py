"""What the book publishes is always a valid `incidents` record under the size limit."""

from __future__ import annotations

from schemas import MAX_RECORD_BYTES, IncidentEvent, decode, encode

from .factories import T0, alert, book, command, resolved


def test_huge_incidents_are_cut_to_fit_the_record_limit() -> None:
    incidents = book()
    events = []
    wide = {f"label{i:02d}": "v" * 100 for i in range(25)}
    for n in range(400):
        events += incidents.on_alert(
            alert(f"Rule{n}", "advisor-api", starts=n, summary="s" * 400, **wide, shard=str(n)), T0 + n
        )
    incident_id = events[0].incident_id
    for n in range(150):
        events += incidents.on_command(
            command("comment", 500 + n, incident_id=incident_id, note="n" * 2000), T0 + 500
        ).events
    last = events[-1]
    raw = encode(last)
    assert len(raw) <= MAX_RECORD_BYTES
    assert decode(IncidentEvent, raw) == last
    snapshot = last.incident
    assert len(snapshot.alerts) == 400 and 0 < len(snapshot.alert_details) < 200
    assert snapshot.timeline[-1].kind == "comment"  # the newest entries are kept
    assert all(len(encode(e)) <= MAX_RECORD_BYTES for e in events[::50])


def test_the_book_keeps_the_last_100_timeline_entries() -> None:
    incidents = book()
    first = alert("ApiErrors", "advisor-api")
    incidents.on_alert(first, T0)
    for n in range(60):
        incidents.on_alert(resolved(alert("ApiErrors", "advisor-api", starts=2 * n), 2 * n + 1), T0 + 2 * n + 1)
        incidents.on_alert(alert("ApiErrors", "advisor-api", starts=2 * n + 2), T0 + 2 * n + 2)
    (snapshot,) = incidents.incidents()
    assert len(snapshot.timeline) == 100


def test_firing_alerts_come_first_in_the_details() -> None:
    incidents = book()
    a = alert("A", "advisor-api")
    incidents.on_alert(a, T0)
    incidents.on_alert(alert("B", "advisor-api", starts=1), T0 + 1)
    (event,) = incidents.on_alert(resolved(a, 2), T0 + 2)
    assert [d.alertname for d in event.incident.alert_details] == ["B", "A"]
    assert event.incident.alerts == [d.fingerprint for d in event.incident.alert_details]


def test_overlong_label_values_cannot_make_a_record_invalid() -> None:
    incidents = book()
    name = "s" * 1000
    events = incidents.on_alert(alert("R" * 300, name, summary="x" * 5000, shard="y" * 1000), T0)
    (raw,) = [encode(e) for e in events]
    snapshot = decode(IncidentEvent, raw).incident
    assert len(snapshot.services[0]) == 128 and len(snapshot.alert_details[0].alertname) == 200
    assert len(snapshot.title) == 512
