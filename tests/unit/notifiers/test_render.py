"""The words every channel uses for an incident change."""

from __future__ import annotations

import pytest

from notifiers.render import details, event_words, headline, plain_text, status_words
from tests.fakes import T0, incident, message


@pytest.mark.parametrize(
    ("event", "changes", "expected"),
    [
        ("opened", {}, "[CRITICAL] OPENED: advisor-api P95 1.9 s > 1 s"),
        ("acknowledged", {"actor": "ana"}, "[CRITICAL] ACKNOWLEDGED by ana: advisor-api P95 1.9 s > 1 s"),
        ("resolved", {"actor": "bo"}, "[CRITICAL] RESOLVED by bo: advisor-api P95 1.9 s > 1 s"),
        ("resolved", {"actor": "vigil"}, "[CRITICAL] RESOLVED: advisor-api P95 1.9 s > 1 s"),
        ("resolved", {}, "[CRITICAL] RESOLVED: advisor-api P95 1.9 s > 1 s"),
        ("escalated", {"level": 1}, "[CRITICAL] ESCALATED to level 2: advisor-api P95 1.9 s > 1 s"),
        ("severity_changed", {}, "[CRITICAL] SEVERITY RAISED to critical: advisor-api P95 1.9 s > 1 s"),
        ("reopened", {}, "[CRITICAL] REOPENED: advisor-api P95 1.9 s > 1 s"),
        ("alert_added", {}, "[CRITICAL] ALERT ADDED: advisor-api P95 1.9 s > 1 s"),
        ("comment", {"actor": "cy"}, "[CRITICAL] COMMENT by cy: advisor-api P95 1.9 s > 1 s"),
        ("suspect_added", {}, "[CRITICAL] SUSPECT CHANGE: advisor-api P95 1.9 s > 1 s"),
        ("unsilenced", {}, "[CRITICAL] UNSILENCED: advisor-api P95 1.9 s > 1 s"),
    ],
)
def test_headline_per_event(event: str, changes: dict[str, object], expected: str) -> None:
    assert headline(message(event, **changes)) == expected


def test_acknowledged_names_who_acknowledged_when_the_event_has_no_actor() -> None:
    assert event_words(message("acknowledged", snapshot=incident(status="acknowledged", acknowledged_by="dee"))) == (
        "ACKNOWLEDGED by dee"
    )


def test_headline_shows_the_incident_severity() -> None:
    assert headline(message(snapshot=incident(severity="low"))).startswith("[LOW] OPENED: ")


@pytest.mark.parametrize(
    ("snapshot_changes", "expected"),
    [
        ({}, "triggered, open for 12 min"),
        ({"status": "acknowledged", "acknowledged_by": "ana"}, "acknowledged by ana, open for 12 min"),
        ({"status": "resolved", "time_to_resolve": 2400.0}, "resolved after 40 min"),
        ({"status": "resolved", "resolved_at": T0 + 570}, "resolved after 10 min"),  # from detected_at = T0 - 30
    ],
)
def test_status_words(snapshot_changes: dict[str, object], expected: str) -> None:
    assert status_words(incident(**snapshot_changes), T0 + 720) == expected


def test_details_lines() -> None:
    lines = details(message(note="rolling back 16.2"))
    assert lines == [
        "Severity: critical | Status: triggered, open for 12 min",
        "Root cause candidate: postgres",
        "Services: advisor-api, postgres",
        "Suspect: postgres 16.2 deployed 3 min before the incident",
        "Note: rolling back 16.2",
        "Alerts: 1 firing, 1 resolved | Incident: inc-e6e0d480d7f6",
        "Link: https://vigil.example.com/incidents/inc-e6e0d480d7f6",
    ]


def test_details_leave_out_what_is_unknown() -> None:
    bare = incident(root_cause=None, suspects=[], alert_details=[], services=[], alerts=["8c1d2e3f4a5b6c7d"])
    assert details(message(snapshot=bare, link=None)) == [
        "Severity: critical | Status: triggered, open for 12 min",
        "Alerts: 1 | Incident: inc-e6e0d480d7f6",
    ]


def test_many_services_are_summarised() -> None:
    services = [f"svc-{n}" for n in range(8)]
    lines = details(message(snapshot=incident(services=services)))
    assert "Services: svc-0, svc-1, svc-2, svc-3, svc-4 and 3 more" in lines


def test_plain_text_is_headline_then_details() -> None:
    msg = message("escalated", level=2)
    text = plain_text(msg)
    assert text.splitlines()[0] == "[CRITICAL] ESCALATED to level 3: advisor-api P95 1.9 s > 1 s"
    assert text.splitlines()[1:] == details(msg)
