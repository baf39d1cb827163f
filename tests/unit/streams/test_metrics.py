"""`vigil_incidents`: open incidents by severity and status, counted from the read model at scrape time."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from schemas import IncidentEvent, decode, encode
from streams.api import IncidentReadModel
from streams.metrics import WorkerMetrics
from tests.unit.api.fixtures import T0, event

SEVERITIES = ("critical", "high", "medium", "low")
OPEN = ("triggered", "acknowledged")


def wire(e: IncidentEvent) -> IncidentEvent:
    """The event as the follower reads it off the incidents topic (enums decoded, schema checked)."""
    return decode(IncidentEvent, encode(e))


def model(*events: IncidentEvent, **kwargs: int) -> IncidentReadModel:
    read_model = IncidentReadModel(**kwargs)
    for e in events:
        read_model.apply(wire(e))
    return read_model


def scraped(metrics: WorkerMetrics) -> dict[tuple[str, str], float]:
    """vigil_incidents as /metrics shows it, parsed back from the exposition text: (severity, status) → value."""
    text = generate_latest(metrics.registry).decode()
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "vigil_incidents"]
    assert family.type == "gauge"
    assert "max()" in family.documentation  # every worker holds every incident
    return {(s.labels["severity"], s.labels["status"]): s.value for s in family.samples}


def watching(read_model: IncidentReadModel) -> WorkerMetrics:
    metrics = WorkerMetrics()
    metrics.watch_incidents(read_model)
    return metrics


def zeros() -> dict[tuple[str, str], float]:
    return {(severity, status): 0.0 for severity in SEVERITIES for status in OPEN}


def test_every_severity_and_open_status_is_reported_even_with_no_incident() -> None:
    assert scraped(watching(model())) == zeros()


def test_counts_open_incidents_by_latest_severity_and_status() -> None:
    opened = event("opened", incident_id="a", severity="critical")
    read_model = model(
        opened,
        opened,  # redelivered: still one incident
        event("opened", incident_id="b", severity="high"),
        event("acknowledged", incident_id="b", severity="high", status="acknowledged", ts=T0 + 60, actor="ana"),
        event("opened", incident_id="c", severity="high"),
        event("opened", incident_id="d", severity="low"),
        event("resolved", incident_id="d", severity="low", status="resolved", ts=T0 + 120),
        event("opened", incident_id="e", severity="medium"),
        event("severity_changed", incident_id="e", severity="critical", ts=T0 + 30),
    )
    assert read_model.open_counts() == {
        ("critical", "triggered"): 2,
        ("high", "acknowledged"): 1,
        ("high", "triggered"): 1,
    }
    assert scraped(watching(read_model)) == zeros() | {
        ("critical", "triggered"): 2,
        ("high", "acknowledged"): 1,
        ("high", "triggered"): 1,
    }


def test_each_scrape_reads_the_read_model_as_it_is_then() -> None:
    read_model = model(event("opened", incident_id="a", severity="critical"))
    metrics = watching(read_model)
    assert scraped(metrics)["critical", "triggered"] == 1
    read_model.apply(
        wire(event("acknowledged", incident_id="a", severity="critical", status="acknowledged", ts=T0 + 60))
    )
    assert scraped(metrics)["critical", "triggered"] == 0
    assert scraped(metrics)["critical", "acknowledged"] == 1
    read_model.apply(wire(event("resolved", incident_id="a", severity="critical", status="resolved", ts=T0 + 120)))
    assert scraped(metrics) == zeros()
    read_model.apply(wire(event("reopened", incident_id="a", severity="critical", ts=T0 + 180)))
    assert scraped(metrics) == zeros() | {("critical", "triggered"): 1}


def test_only_incidents_the_read_model_still_holds_are_counted() -> None:
    read_model = model(
        event("opened", incident_id="a", severity="low"),
        event("opened", incident_id="b", severity="low"),
        event("opened", incident_id="c", severity="low"),
        max_incidents=2,
    )
    assert len(read_model) == 2
    assert read_model.open_counts() == {("low", "triggered"): 2}


def test_dashboard_streams_are_read_at_each_scrape() -> None:
    metrics = WorkerMetrics()
    open_now = [0]
    metrics.watch_dashboard(lambda: open_now[0])
    assert metrics.registry.get_sample_value("vigil_dashboard_streams") == 0
    open_now[0] = 3
    assert metrics.registry.get_sample_value("vigil_dashboard_streams") == 3
