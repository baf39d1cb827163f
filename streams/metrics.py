"""Vigil's own health, as Prometheus metrics.

One registry per worker (not the process-global one) so several apps can
live in one test process and so /metrics shows exactly Vigil's series.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from correlator import RuleEngine
from schemas import IncidentStatus, Severity

if TYPE_CHECKING:
    from streams.api.readmodel import IncidentReadModel

__all__ = ["EngineCollector", "IncidentCollector", "WorkerMetrics"]


class WorkerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.events_in = Counter("vigil_events_in", "Events read from a source topic", ["topic"], registry=r)
        self.events_invalid = Counter(
            "vigil_events_invalid",
            "Events rejected by the schema and sent to the dead-letter topic",
            ["topic"],
            registry=r,
        )
        self.consumer_lag = Gauge(
            "vigil_consumer_lag",
            "Records not yet read by ingest, per source partition",
            ["topic", "partition"],
            registry=r,
        )
        self.partials_out = Counter("vigil_partials_out", "Partial aggregates handed downstream", registry=r)
        self.flush_seconds = Histogram(
            "vigil_ingest_flush_seconds",
            "Time to commit one ingest transaction",
            registry=r,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.evaluation_seconds = Histogram(
            "vigil_rule_evaluation_seconds",
            "Time to evaluate all rules for one batch of closed windows",
            registry=r,
            buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1),
        )
        self.alerts_out = Counter(
            "vigil_alert_records",
            "Alert records produced, by status (firing, resolved, refresh)",
            ["status"],
            registry=r,
        )

        self.notifications = Counter(
            "vigil_notifications",
            "Notification attempts and outcomes by receiver"
            " (delivered, retrying, failed, fallback, duplicate, circuit_open, skipped)",
            ["receiver", "outcome"],
            registry=r,
        )
        self.notification_seconds = Histogram(
            "vigil_notification_attempt_seconds",
            "Time one delivery attempt took, by receiver",
            ["receiver"],
            registry=r,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    def watch(self, engine: RuleEngine, topics: Mapping[str, str]) -> None:
        """Report the engine's SLIs and state, read fresh at every scrape (`topics`: family → topic name)."""
        self.registry.register(EngineCollector(engine, topics))

    def watch_incidents(self, read_model: IncidentReadModel) -> None:
        """Report the open incidents the worker's read model holds, counted fresh at every scrape."""
        self.registry.register(IncidentCollector(read_model))

    def watch_dashboard(self, streams_open: Callable[[], int]) -> None:
        """Report how many dashboard pages follow this worker's live stream, read at every scrape."""
        gauge = Gauge(
            "vigil_dashboard_streams",
            "Open /api/stream connections (dashboard pages following this worker live)",
            registry=self.registry,
        )
        gauge.set_function(streams_open)


class EngineCollector(Collector):
    """Gauges computed from the engine at scrape time, so they are never stale or orphaned."""

    def __init__(self, engine: RuleEngine, topics: Mapping[str, str]) -> None:
        self.engine = engine
        self.topics = topics

    def collect(self) -> Iterator[Metric]:
        engine = self.engine
        values = GaugeMetricFamily(
            "vigil_rule_value",
            "Last evaluated value of each threshold rule per group (the SLI it watches: P95, ratio, ...)",
            labels=["rule", "service", "group"],
        )
        budget = GaugeMetricFamily(
            "vigil_slo_error_budget_remaining",
            "Fraction of the SLO's error budget left over its period (1 untouched, 0 spent, <0 overspent)",
            labels=["slo", "service", "group"],
        )
        burn = GaugeMetricFamily(
            "vigil_slo_burn_rate",
            "Error-budget burn rate over each alert window",
            labels=["slo", "service", "group", "window"],
        )
        active = {severity: 0 for severity in ("critical", "high", "medium", "low")}
        for service in sorted(engine.shards):
            shard = engine.shards[service]
            for (rule, group), value in sorted(shard.rule_values.items()):
                values.add_metric([rule, service, _rest(group)], value)
            for (slo, group), status in sorted(shard.slo_status.items()):
                if status.budget_remaining is not None:
                    budget.add_metric([slo, service, _rest(group)], status.budget_remaining)
                for window, rate in sorted(status.burn_rates.items()):
                    burn.add_metric([slo, service, _rest(group), window], rate)
            for alert in shard.firing.values():
                active[alert.severity] = active.get(alert.severity, 0) + 1
        firing = GaugeMetricFamily("vigil_active_alerts", "Alerts currently firing", labels=["severity"])
        for severity, count in active.items():
            firing.add_metric([severity], count)
        late = CounterMetricFamily(
            "vigil_events_late",
            "Events that arrived after their window closed (dropped, counted here)",
            labels=["topic"],
        )
        for source, count in sorted(engine.late_by_source.items()):
            late.add_metric([self.topics.get(source, source)], count)
        yield late
        yield values
        yield budget
        yield burn
        yield firing
        if engine.watermark is not None:
            yield GaugeMetricFamily(
                "vigil_watermark_seconds", "Lowest event-time watermark over services", engine.watermark
            )
        yield GaugeMetricFamily("vigil_series", "Series held in open windows", engine.series_count())


#: what `vigil_incidents` always reports, 0 when none: every severity, every status but resolved
INCIDENT_SEVERITIES = tuple(str(s) for s in Severity)
OPEN_STATUSES = tuple(str(s) for s in IncidentStatus if s != IncidentStatus.RESOLVED)


class IncidentCollector(Collector):
    """`vigil_incidents`, counted from the read model at scrape time, so it is never stale."""

    def __init__(self, read_model: IncidentReadModel) -> None:
        self.read_model = read_model

    def collect(self) -> Iterator[Metric]:
        counts = dict.fromkeys(((sev, st) for sev in INCIDENT_SEVERITIES for st in OPEN_STATUSES), 0)
        counts.update(self.read_model.open_counts())
        family = GaugeMetricFamily(
            "vigil_incidents",
            "Incidents not resolved, by severity and status, in this worker's read model; every worker"
            " follows the whole incidents topic, so aggregate over instances with max(), not sum()",
            labels=["severity", "status"],
        )
        for (severity, status), count in counts.items():
            family.add_metric([severity, status], count)
        yield family


def _rest(group: tuple[tuple[str, str], ...]) -> str:
    """Group labels other than service, as k=v pairs (empty when grouped by service alone)."""
    return ",".join(f"{k}={v}" for k, v in group if k != "service")
