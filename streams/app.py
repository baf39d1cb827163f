"""Wiring: the Faust app, its topics, the ingest service and the rules agent.

Agents stay thin: they move records between topics and the core; every
decision is made in correlator/.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import faust
import orjson
from faust.web import View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from correlator import AlertTransition, RuleEngine, RulePack, ServiceShard, from_wire
from correlator.state import shard_from_wire, shard_to_wire
from notifiers.base import Notifier
from schemas import Alert, Command, encode
from streams.alerts_out import alert_line, alert_record
from streams.api import ALL_DOMAINS, ApiTokens, IncidentFollower, IncidentReadModel, register_api
from streams.correlate import install_correlation
from streams.dashboard import register_dashboard
from streams.ingest import IngestLoop
from streams.intake import IntakeError, from_v2_alerts, from_webhook_v4
from streams.intake.auth import IntakeTokens
from streams.intake.handlers import accepted_response, error_response, read_body
from streams.metrics import WorkerMetrics
from streams.notify import install_notifications
from streams.settings import Settings
from streams.tables import partitioner_ready

__all__ = ["create_app"]

log = logging.getLogger("vigil.alerts")

# aiohttp sets the charset itself and refuses one inside content_type.
_METRICS_CONTENT_TYPE = ";".join(p for p in CONTENT_TYPE_LATEST.split(";") if "charset" not in p)


def create_app(
    settings: Settings,
    pack: RulePack,
    *,
    tokens: ApiTokens | None = None,
    receivers: Mapping[str, Notifier] | None = None,
    disabled_receivers: Mapping[str, str] | None = None,
) -> faust.App:
    """A fully wired worker app; nothing connects until the worker starts it.

    `receivers` are the pack's channels, built and validated by the caller
    (secrets come from its environment); without them nothing is sent and
    each notification is recorded as skipped.
    """
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
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=min(3.0, settings.session_timeout / 3),
    )
    metrics = WorkerMetrics()
    engine = RuleEngine(pack)
    metrics.watch(engine, {family: topic for topic, family in settings.topics.sources().items()})
    app.vigil_metrics = metrics  # type: ignore[attr-defined]
    app.vigil_engine = engine  # type: ignore[attr-defined]

    topology = pack.correlation.topology

    def domain_key(labels: Mapping[str, str]) -> bytes:
        """Alerts that may correlate share a key, so they meet in one partition and one agent."""
        return topology.domain(labels.get("service", "")).encode()

    partials = app.topic(settings.topics.partials, key_serializer="raw", value_serializer="raw")
    # Each service's shard, saved after every batch that touched it; co-partitioned with
    # the partials topic (same key, same partitioner) so a shard recovers where its partials go.
    saved_shards = app.Table(
        f"{settings.topics.prefix}engine-state",
        key_type=bytes,
        value_type=bytes,
        partitions=settings.partitions,
        use_partitioner=True,
    )

    def restore(service: str) -> ServiceShard | None:
        raw = saved_shards.get(service.encode())
        return shard_from_wire(engine, orjson.loads(raw)) if raw is not None else None

    engine.restore = restore
    ready = partitioner_ready(app, saved_shards)
    restored_all = False
    alerts = app.topic(settings.topics.alerts, key_serializer="raw", value_serializer="raw")

    async def publish(transitions: list[AlertTransition]) -> None:
        for transition in transitions:
            record = alert_record(transition, emitted_at=time.time())
            await alerts.send(key=domain_key(transition.labels), value=encode(record))
            metrics.alerts_out.labels("refresh" if transition.refresh else record.status).inc()
            if transition.refresh:
                log.debug("%s (refresh)", alert_line(record))
            else:
                log.warning("%s", alert_line(record))

    @app.agent(partials, name="evaluate")
    async def evaluate(stream: Any) -> None:
        await ready.wait()
        async for events in stream.take_events(2000, within=0.25):
            for event in events:
                engine.add(from_wire(orjson.loads(event.value)), event.message.offset)
            touched = engine.touched()
            started = time.perf_counter()
            transitions = engine.advance()
            metrics.evaluation_seconds.observe(time.perf_counter() - started)
            for service in touched:  # reassigned, never mutated in place: only that reaches the changelog
                saved_shards[service.encode()] = orjson.dumps(shard_to_wire(engine.shards[service]))
            await publish(transitions)

    @app.timer(interval=1.0)
    async def wall_clock_rules() -> None:
        """Absence rules are judged by wall clock: a dead service sends no event time."""
        nonlocal restored_all
        if not restored_all and app.tables.recovery.completed.is_set():
            # A dead service sends no partial that would restore its shard: load them all.
            for key in list(saved_shards.keys()):
                engine.shard(key.decode())
            restored_all = True
        await publish(engine.tick(time.time()))

    @app.task
    async def start_ingest() -> None:
        ingest = IngestLoop(settings=settings, metrics=metrics, pack=pack, worker_id=settings.worker, loop=app.loop)
        await app.add_runtime_dependency(ingest)

    intake_tokens = IntakeTokens.from_env()
    if intake_tokens.open:
        log.warning("alert intake (/api/v2/alerts, /api/v1/alertmanager-webhook) is open: set VIGIL_INTAKE_TOKENS")

    async def intake(request: Any, convert: Callable[..., list[Alert]]) -> Any:
        """Alerts from Prometheus or an Alertmanager join Vigil's own on the alerts topic."""
        try:
            intake_tokens.check(request)
            received = convert(await read_body(request), now=time.time())
        except IntakeError as exc:
            return error_response(exc)
        for alert in received:
            await alerts.send(key=domain_key(alert.labels), value=encode(alert))
        return accepted_response(len(received))

    @app.page("/api/v2/alerts")
    class PrometheusAlerts(View):
        """Where Prometheus sends alerts when Vigil is configured as its Alertmanager."""

        async def post(self, request: Any) -> Any:
            return await intake(request, from_v2_alerts)

    @app.page("/api/v1/alertmanager-webhook")
    class AlertmanagerWebhook(View):
        """An Alertmanager webhook receiver (payload version 4) pointing at Vigil."""

        async def post(self, request: Any) -> Any:
            return await intake(request, from_webhook_v4)

    read_model = IncidentReadModel()
    metrics.watch_incidents(read_model)  # vigil_incidents, counted at scrape time
    commands = app.topic(settings.topics.commands, key_serializer="raw", value_serializer="raw")

    async def send_command(command: Command) -> None:
        """Produce one command and wait until Kafka has it; a silence (domain "*") goes to every partition."""
        raw = encode(command)
        if command.domain == ALL_DOMAINS:
            sent = [await commands.send(key=b"*", value=raw, partition=p) for p in range(settings.partitions)]
        else:
            sent = [await commands.send(key=command.domain.encode(), value=raw)]
        for delivered in sent:
            await delivered

    api_tokens = tokens if tokens is not None else ApiTokens.from_env()
    register_api(app, read_model=read_model, send_command=send_command, tokens=api_tokens)
    dashboard = register_dashboard(
        app,
        engine=engine,
        read_model=read_model,
        tokens=api_tokens,
        board_topic=settings.topics.board,
        bootstrap=settings.bootstrap,
        worker=settings.worker,
    )
    metrics.watch_dashboard(lambda: dashboard.streams_open)

    @app.task
    async def follow_incidents() -> None:
        await app.add_runtime_dependency(
            IncidentFollower(
                bootstrap=settings.bootstrap,
                read_model=read_model,
                incidents_topic=settings.topics.incidents,
                commands_topic=settings.topics.commands,
                loop=app.loop,
            )
        )

    install_correlation(app, settings, pack.correlation, alerts_topic=settings.topics.alerts)
    install_notifications(
        app,
        settings,
        pack.routing,
        receivers or {},
        disabled=disabled_receivers,
        metrics=metrics,
        alert_key=domain_key,
    )

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "watermark": engine.watermark, "late_events": engine.late_events})

    @app.page("/metrics")
    async def prometheus_metrics(web: Any, request: Any) -> Any:
        return web.bytes(generate_latest(metrics.registry), content_type=_METRICS_CONTENT_TYPE)

    return app
