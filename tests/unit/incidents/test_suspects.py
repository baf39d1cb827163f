"""Change correlation: deploys and config changes shortly before an incident are its suspects."""

from __future__ import annotations

from .factories import T0, alert, book, change, kinds


def test_a_recent_deploy_of_the_service_is_a_suspect_at_opening() -> None:
    incidents = book()
    assert incidents.on_change(change("advisor-api", "1.4.2", -180), T0 - 170) == []
    (opened,) = incidents.on_alert(alert("ApiErrors", "advisor-api"), T0)
    (suspect,) = opened.incident.suspects
    assert suspect.summary == "advisor-api 1.4.2 deployed 3 min before the incident"
    assert (suspect.id, suspect.author, suspect.ts) == ("advisor-api-1.4.2", "bruno@example.com", T0 - 180)
    assert str(suspect.link) == "https://ci.example.com/advisor-api/1.4.2"
    assert "suspect: advisor-api 1.4.2 deployed 3 min before the incident" in opened.incident.timeline[0].text


def test_changes_to_upstreams_count_but_not_to_downstreams_or_strangers() -> None:
    incidents = book()
    incidents.on_change(change("postgres", "16.4", -600, kind="config"), T0 - 600)
    incidents.on_change(change("advisor-api", "1.4.2", -60), T0 - 60)  # downstream of postgres
    incidents.on_change(change("whatsapp-gateway", "2.0", -60), T0 - 60)
    (opened,) = incidents.on_alert(alert("PostgresDown", "postgres"), T0)
    assert [s.summary for s in opened.incident.suspects] == ["postgres config 16.4 applied 10 min before the incident"]
    (joined,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=120), T0 + 120)
    assert [s.summary for s in joined.incident.suspects] == [
        "advisor-api 1.4.2 deployed 3 min before advisor-api alerted",
        "postgres config 16.4 applied 10 min before the incident",
    ]


def test_changes_older_than_the_change_window_are_not_suspects() -> None:
    incidents = book(change_window=1800)
    incidents.on_change(change("advisor-api", "1.4.1", -1801), T0)
    incidents.on_change(change("advisor-api", "1.4.2", -1800), T0)
    (opened,) = incidents.on_alert(alert("ApiErrors", "advisor-api"), T0)
    assert [s.version for s in opened.incident.suspects] == ["1.4.2"]


def test_a_change_reported_after_opening_is_added_as_a_suspect() -> None:
    incidents = book()
    incidents.on_alert(alert("ApiErrors", "advisor-api"), T0)
    (event,) = incidents.on_change(change("postgres", "16.4", -60), T0 + 30)
    assert event.event == "suspect_added" and event.notify
    assert event.incident.timeline[-1].text == (
        "suspect: postgres 16.4 deployed 1 min before the incident (by bruno@example.com)"
    )
    assert incidents.on_change(change("postgres", "16.4", -60), T0 + 31) == []  # same id again


def test_a_change_during_the_incident_is_observed_not_suspected() -> None:
    incidents = book()
    incidents.on_alert(alert("ApiErrors", "advisor-api"), T0)
    (event,) = incidents.on_change(change("advisor-api", "1.4.1", 240, author="ana@example.com"), T0 + 240)
    assert event.event == "change_observed" and event.incident.suspects == []
    assert event.incident.timeline[-1].text == (
        "advisor-api 1.4.1 deployed by ana@example.com during the incident, 4 min after it began"
    )
    assert incidents.on_change(change("whatsapp-gateway", "9", 250), T0 + 250) == []


def test_a_change_before_an_alert_that_joins_later_becomes_its_suspect() -> None:
    incidents = book()
    incidents.on_alert(alert("PostgresDown", "postgres"), T0)
    incidents.on_change(change("advisor-api", "1.4.2", 60), T0 + 60)  # advisor-api is not in the incident yet
    (joined,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=120), T0 + 120)
    assert [s.summary for s in joined.incident.suspects] == [
        "advisor-api 1.4.2 deployed 1 min before advisor-api alerted"
    ]


def test_suspects_are_newest_first_and_bounded() -> None:
    incidents = book()
    for n in range(15):
        incidents.on_change(change("advisor-api", f"1.0.{n}", -900 + n * 60), T0)
    (opened,) = incidents.on_alert(alert("ApiErrors", "advisor-api"), T0)
    assert [s.version for s in opened.incident.suspects] == [f"1.0.{n}" for n in range(14, 4, -1)]


def test_old_changes_are_forgotten_by_the_tick() -> None:
    incidents = book(change_window=600, correlation_window=300)
    incidents.on_change(change("advisor-api", "1.4.2", 0), T0)
    incidents.tick(T0 + 901)
    (opened,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=0), T0 + 902)  # a very late alert
    assert opened.incident.suspects == []
    assert kinds([opened]) == ["opened"]
