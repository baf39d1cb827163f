"""Topology joins within the correlation window, their reasons, and the root-cause candidate."""

from __future__ import annotations

from correlator.incidents import Topology
from correlator.incidents.correlation import root_cause

from .factories import PLATFORM, T0, alert, book, kinds, resolved


def test_an_alert_joins_the_incident_of_its_failing_upstream() -> None:
    incidents = book()
    incidents.on_alert(alert("PostgresDown", "postgres", severity="critical"), T0)
    (event,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=40), T0 + 40)
    assert event.event == "alert_added"
    assert event.incident.reasons == ["advisor-api depends on postgres, which is alerting"]
    assert event.incident.root_cause == "postgres"
    assert event.incident.services == ["advisor-api", "postgres"]
    assert "joined: advisor-api depends on postgres, which is alerting" in event.incident.timeline[-1].text


def test_an_upstream_that_starts_alerting_later_joins_and_becomes_the_root_cause() -> None:
    incidents = book()
    incidents.on_alert(alert("ApiErrors", "advisor-api"), T0)
    events = incidents.on_alert(alert("PostgresDown", "postgres", severity="critical", starts=30), T0 + 30)
    assert kinds(events) == ["alert_added", "severity_changed"]
    incident = events[-1].incident
    assert incident.group_key == "service=advisor-api"  # the group that opened it
    assert incident.root_cause == "postgres"
    assert incident.reasons == ["advisor-api depends on postgres, and both are alerting"]
    assert "root-cause candidate is now postgres" in incident.timeline[-2].text


def test_siblings_meet_through_their_failing_upstream() -> None:
    incidents = book()
    incidents.on_alert(alert("PostgresDown", "postgres", severity="critical"), T0)
    incidents.on_alert(alert("ApiErrors", "advisor-api", starts=20), T0 + 20)
    (event,) = incidents.on_alert(alert("ReportsStale", "reports-svc", starts=50), T0 + 50)
    assert event.incident.services == ["advisor-api", "postgres", "reports-svc"]
    assert event.incident.reasons[-1] == "reports-svc depends on postgres, which is alerting"


def test_siblings_without_a_failing_upstream_stay_apart() -> None:
    incidents = book()
    a = incidents.on_alert(alert("ReportsStale", "reports-svc"), T0)
    b = incidents.on_alert(alert("ComplianceSlow", "compliance-svc", starts=10), T0 + 10)
    assert kinds(a) == kinds(b) == ["opened"]
    assert a[0].incident_id != b[0].incident_id


def test_indirect_dependencies_name_the_chain() -> None:
    incidents = book(topology=Topology({"web": ("api",), "api": ("db",)}))
    incidents.on_alert(alert("DbDown", "db"), T0)
    (event,) = incidents.on_alert(alert("WebSlow", "web", starts=5), T0 + 5)
    assert event.incident.reasons == ["web depends on db (via api), which is alerting"]


def test_unrelated_services_never_join() -> None:
    incidents = book()
    a = incidents.on_alert(alert("PostgresDown", "postgres"), T0)
    b = incidents.on_alert(alert("WhatsappDeliveryLow", "whatsapp-gateway", starts=1), T0 + 1)
    assert a[0].incident_id != b[0].incident_id


def test_the_window_bounds_joins_after_the_upstream_stopped_alerting() -> None:
    incidents = book(correlation_window=300)
    pg = alert("PostgresDown", "postgres")
    incidents.on_alert(pg, T0)
    incidents.on_alert(resolved(pg, 100), T0 + 100)
    (near,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=400), T0 + 400)  # 300 s after
    assert near.event == "alert_added"
    incidents = book(correlation_window=300)
    incidents.on_alert(pg, T0)
    incidents.on_alert(resolved(pg, 100), T0 + 100)
    (far,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=401), T0 + 401)
    assert far.event == "opened"


def test_a_downstream_alert_long_before_its_upstream_is_not_joined() -> None:
    incidents = book(correlation_window=300)
    incidents.on_alert(alert("PostgresDown", "postgres", starts=1000), T0 + 1000)
    (event,) = incidents.on_alert(alert("ApiErrors", "advisor-api", starts=600), T0 + 1001)  # arrives late
    assert event.event == "opened"


def test_another_group_on_the_same_service_joins_only_when_it_starts_together() -> None:
    incidents = book(group_by=("service", "alertname"))
    incidents.on_alert(alert("Latency", "advisor-api"), T0)
    (together,) = incidents.on_alert(alert("Errors", "advisor-api", starts=60), T0 + 60)
    assert together.event == "alert_added"
    assert together.incident.reasons == ["advisor-api is already alerting in this incident"]
    (later,) = incidents.on_alert(alert("Saturation", "advisor-api", starts=3600), T0 + 3600)
    assert later.event == "opened"


def test_the_strongest_relation_wins_then_the_oldest_incident() -> None:
    topology = Topology({"web": ("cache", "db")})
    incidents = book(topology=topology)
    cache = incidents.on_alert(alert("CacheDown", "cache"), T0)[0].incident_id
    db = incidents.on_alert(alert("DbDown", "db", starts=1), T0 + 1)[0].incident_id
    assert cache != db
    (event,) = incidents.on_alert(alert("WebSlow", "web", starts=10), T0 + 10)
    assert event.incident_id == cache  # both are failing upstreams: the older incident
    incidents = book(topology=topology, group_by=("service", "alertname"))
    web = incidents.on_alert(alert("WebSlow", "web"), T0)[0].incident_id
    db = incidents.on_alert(alert("DbDown", "db", starts=1, **{"cluster": "x"}), T0 + 1)[0].incident_id
    assert db == web  # db is upstream of web, which is alerting
    (event,) = incidents.on_alert(alert("WebErrors", "web", starts=2), T0 + 2)
    assert event.incident.reasons[-1] == "web is already alerting in this incident"


def test_root_cause_is_the_most_upstream_alerting_service() -> None:
    assert root_cause(["advisor-api", "compliance-svc", "postgres"], PLATFORM) == "postgres"
    assert root_cause(["advisor-api", "compliance-svc"], PLATFORM) == "compliance-svc"
    assert root_cause(["reports-svc"], PLATFORM) == "reports-svc"
    assert root_cause([], PLATFORM) is None
    # two independent roots: the one more services depend on wins, then the first to alert
    topology = Topology({"web": ("db",), "api": ("db",), "batch": ("queue",)})
    assert root_cause(["batch", "queue", "web", "api", "db"], topology) == "db"
    assert root_cause(["queue", "db"], topology) == "queue"
    assert root_cause(["b", "a"], Topology({"a": ("b",), "b": ("a",)})) == "b"  # a cycle: first to alert
