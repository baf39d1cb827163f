"""Wiring: the Faust app, its topics, the ingest service and the rules agent.

Agents stay thin: they move records between topics and the core; every
decision is made in correlator/.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import faust
import orjson
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from correlator import AlertTransition, RuleEngine, RulePack, default_rules, from_wire
from schemas import encode
from streams.alerts_out import alert_line, alert_record
from streams.ingest import IngestLoop
from streams.metrics import WorkerMetrics
from streams.settings import Settings

__all__ = ["create_app"]

log = logging.getLogger("vigil.alerts")

# aiohttp sets the charset itself and refuses one inside content_type.
_METRICS_CONTENT_TYPE = ";".join(p for p in CONTENT_TYPE_LATEST.split(";") if "charset" not in p)


def create_app(settings: Settings, pack: RulePack | None = None) -> faust.App:
    """A fully wired worker app; nothing connects until the worker starts it."""
    pack = pack if pack is not None else RulePack(rules=tuple(default_rules()))
    brokers = ";".join(b.strip() for b in settings.bootstrap.split(","))
    app = faust.App(
        settings.app_id,
        broker=f"vigil-kafka://{brokers}",
        datadir=str(settings.data_dir),
        web_host=settings.web_host,
        web_port=settings.web_port,
        web_in_thread=False,
        topic_partitions=settings.partitions,
        consumer_auto_offset_reset="earliest",
        stream_wait_empty=False,
    )
    metrics = WorkerMetrics()
    engine = RuleEngine(pack)
    metrics.watch(engine)
    app.vigil_metrics = metrics  # type: ignore[attr-defined]
    app.vigil_engine = engine  # type: ignore[attr-defined]

    partials = app.topic(settings.topics.partials, key_serializer="raw", value_serializer="raw")
    alerts = app.topic(settings.topics.alerts, key_serializer="raw", value_serializer="raw")

    async def publish(transitions: list[AlertTransition]) -> None:
        for transition in transitions:
            record = alert_record(transition, emitted_at=time.time())
            await alerts.send(key=transition.labels.get("service", "").encode(), value=encode(record))
            metrics.alerts_out.labels("refresh" if transition.refresh else record.status).inc()
            if transition.refresh:
                log.debug("%s (refresh)", alert_line(record))
            else:
                log.warning("%s", alert_line(record))

    @app.agent(partials, name="evaluate")
    async def evaluate(stream: Any) -> None:
        async for batch in stream.take(2000, within=0.25):
            late_before = engine.late_events
            engine.add_all(from_wire(orjson.loads(raw)) for raw in batch)
            metrics.events_late.inc(engine.late_events - late_before)
            started = time.perf_counter()
            transitions = engine.advance()
            metrics.evaluation_seconds.observe(time.perf_counter() - started)
            await publish(transitions)

    @app.timer(interval=1.0)
    async def wall_clock_rules() -> None:
        """Absence rules are judged by wall clock: a dead service sends no event time."""
        await publish(engine.tick(time.time()))

    @app.task
    async def start_ingest() -> None:
        await app.add_runtime_dependency(IngestLoop(settings=settings, metrics=metrics, loop=app.loop))

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "watermark": engine.watermark, "late_events": engine.late_events})

    @app.page("/metrics")
    async def prometheus_metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(metrics.registry), content_type=_METRICS_CONTENT_TYPE)

    return app
