"""Vigil's own health, as Prometheus metrics.

One registry per worker (not the process-global one) so several apps can
live in one test process and so /metrics shows exactly Vigil's series.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["WorkerMetrics"]


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
        self.events_late = Counter(
            "vigil_events_late", "Events that arrived after their window closed (dropped, counted here)", registry=r
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
        self.alerts_out = Counter("vigil_alert_transitions", "Alert transitions produced", ["status"], registry=r)
        self.active_alerts = Gauge("vigil_active_alerts", "Alerts currently firing", ["severity"], registry=r)
        self.watermark = Gauge("vigil_watermark_seconds", "Event-time watermark of the rule engine", registry=r)
        self.series = Gauge("vigil_series", "Series held in open windows", registry=r)
