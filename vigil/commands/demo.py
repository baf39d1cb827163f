"""`vigil demo` (what `make run` runs): the whole system on one machine.

Starts (unless KAFKA_BOOTSTRAP_SERVERS names a cluster) a local Kafka
broker whose data survives restarts, a worker process, and live traffic
from a small financial-advisory platform with an API latency fault about
30 s in; then prints every alert transition as it lands on `alerts`.
Ctrl-C stops everything; children are also tied to this process's life,
so none outlives it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from vigil.children import die_with_parent, stop_child
from vigil.scrape import metric_total

__all__ = ["demo"]


def demo(args: argparse.Namespace) -> int:
    from streams.settings import Topics
    from streams.topics import ensure_topics
    from vigil.broker.launcher import LocalKafka, bootstrap_from_env
    from vigil.commands.run import default_pack_path

    # Client retries during startup are expected; keep the demo console for what matters.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    console = Console(highlight=False)
    data = Path(args.data_dir).resolve()
    started = time.monotonic()
    bootstrap = bootstrap_from_env()
    broker: LocalKafka | None = None
    worker: subprocess.Popen[bytes] | None = None
    log = data / "worker.log"
    try:
        if not args.keep:
            log.unlink(missing_ok=True)
        if bootstrap is None and not args.keep:
            # Each demo tells its story from the start: last run's open incident, its silent services
            # (absence alerts after the pause) and its burn rates would otherwise be the first thing shown.
            for stale in (data / "kafka", data / "worker"):
                shutil.rmtree(stale, ignore_errors=True)
        if bootstrap is None:
            console.print(f"[bold]▶ starting Kafka[/] (data in {data / 'kafka'})")
            broker = LocalKafka(data_dir=data / "kafka", port=args.kafka_port)
            bootstrap = broker.start()
        console.print(f"[bold]▶ Kafka ready[/] at {bootstrap}")
        asyncio.run(ensure_topics(bootstrap, Topics().all(), configs=Topics().configs()))
        config = Path(args.config) if args.config else default_pack_path().with_name("demo.yaml")
        worker = _start_worker(bootstrap, data, log, args.web_port, config)
        console.print(
            f"[bold]▶ worker started[/] (pid {worker.pid}) — dashboard: http://127.0.0.1:{args.web_port}/ , /metrics , "
            f"/health ; rules: {config} ; log: {log}"
        )
        if os.environ.get("VIGIL_TOKEN"):
            console.print(
                f"[bold]▶ sign in[/] to the dashboard with the responder token [bold]{os.environ['VIGIL_TOKEN']}[/]"
            )
        console.print(
            f"[bold]▶ postmortem[/] of what you are about to see, from another terminal while this runs: "
            f"[bold]vigil replay --from -1h --config {config} --out var/replay[/] (then open var/replay/report.html)"
        )
        asyncio.run(_traffic_and_alerts(bootstrap, console, started, worker, args.web_port, log))
    except KeyboardInterrupt:
        pass
    finally:
        console.print("[bold]■ stopping[/]")
        if worker is not None:
            stop_child(worker, 15)
        if broker is not None:
            broker.stop()
    return 0


def _start_worker(bootstrap: str, data: Path, log: Path, web_port: int, config: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "VIGIL_API_TOKENS": _tokens()}
    cmd = [
        sys.executable,
        "-m",
        "vigil.cli",
        "run",
        "--bootstrap",
        bootstrap,
        "--web-port",
        str(web_port),
        "--data-dir",
        str(data / "worker"),
        "--config",
        str(config),
    ]
    return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, preexec_fn=die_with_parent())


async def _traffic_and_alerts(
    bootstrap: str, console: Console, started: float, worker: subprocess.Popen[bytes], web_port: int, log: Path
) -> None:
    from vigil.demo.producer import run_demo_traffic

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    console.print(
        "[bold]▶ demo traffic[/]: advisor-api, compliance-svc, whatsapp-gateway, postgres (API latency fault in ~30 s)"
    )
    tasks = [
        asyncio.create_task(run_demo_traffic(bootstrap, stop=stop, console=console)),
        asyncio.create_task(_print_alerts(bootstrap, console, started, stop)),
        asyncio.create_task(_print_incidents(bootstrap, console, started, web_port)),
        asyncio.create_task(_print_notifications(bootstrap, console, started)),
        asyncio.create_task(_watch(worker, stop, console, log)),
        asyncio.create_task(_heartbeat(web_port, console, started)),
    ]
    await stop.wait()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _watch(worker: subprocess.Popen[bytes], stop: asyncio.Event, console: Console, log: Path) -> None:
    """A worker that dies (bad config, a token too short, a taken port) ends the demo with its own last words."""
    while worker.poll() is None:
        await asyncio.sleep(0.5)
    console.print(f"[bold red]worker exited with code {worker.returncode}[/]; the end of {log}:")
    for line in _tail(log):
        console.print(f"  [red]{escape(line)}[/]")
    stop.set()


def _tail(path: Path, lines: int = 8, max_bytes: int = 8192) -> list[str]:
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - max_bytes))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()][-lines:]


async def _heartbeat(web_port: int, console: Console, started: float, every: float = 15.0) -> None:
    """A progress line now and then, read from the worker's own /metrics."""
    import aiohttp

    last = 0.0
    async with aiohttp.ClientSession() as session:
        while True:
            await asyncio.sleep(every)
            try:
                async with session.get(f"http://127.0.0.1:{web_port}/metrics") as resp:
                    text = await resp.text()
            except aiohttp.ClientError:
                continue
            totals = {
                name: metric_total(text, name)
                for name in ("vigil_events_in_total", "vigil_active_alerts", "vigil_events_invalid_total")
            }
            ingested = totals.get("vigil_events_in_total", 0.0)
            console.print(
                f"[dim]· +{time.monotonic() - started:.0f}s  ingested {ingested:,.0f} events "
                f"({(ingested - last) / every:,.0f}/s), {totals.get('vigil_events_invalid_total', 0):,.0f} invalid, "
                f"{totals.get('vigil_active_alerts', 0):.0f} alerts firing[/]"
            )
            last = ingested


def _tokens() -> str:
    """API tokens for this demo run: the user's VIGIL_API_TOKENS, else a responder token made up now."""
    if os.environ.get("VIGIL_API_TOKENS"):
        return os.environ["VIGIL_API_TOKENS"]
    os.environ.setdefault("VIGIL_TOKEN", "demo-" + secrets.token_hex(12))
    return f"{os.environ['VIGIL_TOKEN']}:responder:you"


async def _print_incidents(bootstrap: str, console: Console, started: float, web_port: int) -> None:
    """Each change of an incident, as the people on call would see it."""
    from aiokafka import AIOKafkaConsumer

    from schemas import IncidentEvent, SchemaError, decode

    consumer = AIOKafkaConsumer(
        "incidents", bootstrap_servers=bootstrap, auto_offset_reset="latest", isolation_level="read_committed"
    )
    await consumer.start()
    token = os.environ.get("VIGIL_TOKEN", "<your token>")
    try:
        async for record in consumer:
            try:
                event = decode(IncidentEvent, record.value)
            except SchemaError as exc:
                console.print(f"[yellow]unreadable incident record: {exc}[/]")
                continue
            incident = event.incident
            alerts = f"{len(incident.alerts)} alert{'s' if len(incident.alerts) != 1 else ''}"
            root = f", root cause: [bold]{escape(incident.root_cause)}[/]" if incident.root_cause else ""
            console.print(
                f"[bold magenta]▲ INCIDENT {event.event.upper()}[/] {incident.id} {escape(f'[{incident.severity}]')} "
                f"{escape(incident.title)} ({alerts}{root}, {incident.status})  "
                f"[dim](+{time.monotonic() - started:.0f}s)[/]"
            )
            if event.event == "opened":
                console.print(
                    f"  ack it: [bold]VIGIL_TOKEN={token} vigil incidents ack {incident.id}[/]  or  "
                    f"curl -X POST -H 'Authorization: Bearer {token}' "
                    f"http://127.0.0.1:{web_port}/api/incidents/{incident.id}/ack"
                )
    finally:
        await consumer.stop()


async def _print_notifications(bootstrap: str, console: Console, started: float) -> None:
    """Who was told what, and whether it reached them: the outbox and its delivery results."""
    from aiokafka import AIOKafkaConsumer

    from schemas import Notification, NotificationResult, SchemaError, decode

    consumer = AIOKafkaConsumer(
        "notifications",
        "notifications.results",
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        isolation_level="read_committed",
    )
    await consumer.start()
    decided: dict[str, Notification] = {}
    try:
        async for record in consumer:
            try:
                if record.topic == "notifications":
                    note = decode(Notification, record.value)
                    decided[note.key] = note
                    continue
                result = decode(NotificationResult, record.value)
            except SchemaError as exc:
                console.print(f"[yellow]unreadable notification record: {exc}[/]")
                continue
            if result.outcome == "retrying":
                continue
            note = decided.pop(result.key, None)
            what = f"{str(note.event).upper()} {note.incident_id} — {note.reason}" if note else result.key
            style = "bold cyan" if result.outcome == "delivered" else "bold red"
            console.print(
                f"[{style}]✉ NOTIFY {escape(result.receiver)}[/] {escape(what)} → {result.outcome}"
                f"{'' if result.outcome == 'delivered' else ': ' + escape(result.detail)}  "
                f"[dim](+{time.monotonic() - started:.0f}s)[/]"
            )
    finally:
        await consumer.stop()


async def _print_alerts(bootstrap: str, console: Console, started: float, stop: asyncio.Event) -> None:
    from aiokafka import AIOKafkaConsumer

    from schemas import Alert, SchemaError, decode
    from streams.alerts_out import alert_line

    consumer = AIOKafkaConsumer(
        "alerts",
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        shown: dict[str, float] = {}  # fingerprint → starts_at of the firing alert already printed
        async for record in consumer:
            try:
                alert = decode(Alert, record.value)
            except SchemaError as exc:
                console.print(f"[yellow]unreadable alert record: {exc}[/]")
                continue
            if alert.status == "firing":
                if shown.get(alert.fingerprint) == alert.starts_at:
                    continue  # a periodic refresh of an alert already on screen
                shown[alert.fingerprint] = alert.starts_at
            else:
                shown.pop(alert.fingerprint, None)
            style = "bold red" if alert.status == "firing" else "bold green"
            console.print(f"[{style}]{escape(alert_line(alert))}[/]  [dim](+{time.monotonic() - started:.0f}s)[/]")
    finally:
        await consumer.stop()
