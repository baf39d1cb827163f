"""Incidents to people: the `page` agent decides, the `dispatch` agent delivers.

Two steps with the `notifications` topic (an outbox) between them:

- `page` reads `incidents` and keeps one `IncidentPager` per open incident in
  a changelog-backed table keyed by incident id, so escalation deadlines
  survive a restart: the worker that owns the partition after a crash or a
  rebalance recovers the table and its 1 s clock fires what is due, once.
- `dispatch` reads `notifications` (keyed by incident id, so one incident's
  messages stay in order) and remembers, per incident, the keys it has
  delivered in a second table. A notification redelivered after a crash, or
  decided twice, is recognised by its key and not sent again. Every attempt
  lands on `notifications.results` and in /metrics.

Delivery itself (rate limits, retries, breaker, fallback) is
`notifiers.delivery.Dispatcher`; this module only moves records.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import aiohttp
import faust
import mode
import msgspec
import orjson
from aiokafka.partitioner import murmur2

from correlator.alerts import fingerprint
from correlator.routing import IncidentPager, PagerState, RoutingConfig
from notifiers.base import Message, Notifier
from notifiers.delivery import Delivery, Dispatcher, ReceiverPolicy
from schemas import (
    Alert,
    AlertStatus,
    Command,
    CommandKind,
    IncidentEvent,
    IncidentEventType,
    Notification,
    NotificationOutcome,
    NotificationResult,
    SchemaError,
    Severity,
    decode,
    encode,
)
from streams.settings import Settings
from streams.tables import partitioner_ready

__all__ = ["escalation_commands", "install_notifications", "receiver_failing_alert"]

log = logging.getLogger("vigil.notify")

_BATCH = 64
_KEEP_DELIVERED = 7 * 86400.0  #: forget an incident's delivered keys this long after its last delivery


def install_notifications(
    app: faust.App,
    settings: Settings,
    routing: RoutingConfig,
    receivers: Mapping[str, Notifier],
    *,
    disabled: Mapping[str, str] | None = None,
    metrics: Any = None,
    alert_key: Any = None,
) -> None:
    """Wire the page and dispatch agents; `receivers` are the built channels, `disabled` the optional
    receivers left out (name → why), `alert_key(labels)` the alerts topic key for Vigil's own alerts."""
    topics = settings.topics
    raw = {"key_serializer": "raw", "value_serializer": "raw"}
    incidents = app.topic(topics.incidents, **raw)
    outbox = app.topic(topics.notifications, partitions=settings.partitions, **raw)
    results = app.topic(topics.notification_results, **raw)
    alerts = app.topic(topics.alerts, **raw)
    commands = app.topic(topics.commands, **raw)
    pagers = app.Table(
        f"{topics.prefix}pagers", key_type=bytes, value_type=bytes, partitions=settings.partitions, use_partitioner=True
    )
    delivered = app.Table(
        f"{topics.prefix}delivered",
        key_type=bytes,
        value_type=bytes,
        partitions=settings.partitions,
        use_partitioner=True,
    )
    ready = partitioner_ready(app, pagers, delivered)
    disabled = dict(disabled or {})
    pending_alerts: list[Alert] = []

    # -- deciding -------------------------------------------------------------

    def load(incident_id: str) -> IncidentPager | None:
        saved = pagers.get(incident_id.encode())
        if saved is None:
            return None
        return IncidentPager(routing, msgspec.json.decode(saved, type=PagerState))

    #: The next deadline of every pager this worker owns, so the clock need not decode them all each second.
    deadlines: dict[bytes, float] = {}
    index: dict[str, Any] = {"owned": None, "at": 0.0}

    def save(pager: IncidentPager) -> None:
        key = pager.state.incident_id.encode()
        deadline = None if pager.finished else pager.next_deadline()
        if pager.finished:
            pagers.pop(key, None)
        else:
            pagers[key] = msgspec.json.encode(pager.state)
        if deadline is None:
            deadlines.pop(key, None)
        else:
            deadlines[key] = deadline

    def reindex(mine: set[int], now: float) -> None:
        """Rebuild the deadline index from the table: at start, after a rebalance, and once a minute."""
        deadlines.clear()
        for key, saved in list(pagers.items()):
            # Standby copies of other workers' partitions live in the table too: only owners act.
            if _partition(key, settings.partitions) in mine:
                deadline = IncidentPager(routing, msgspec.json.decode(saved, type=PagerState)).next_deadline()
                if deadline is not None:
                    deadlines[key] = deadline
        index["owned"], index["at"] = mine, now

    async def enqueue(notes: list[Notification]) -> None:
        for note in notes:
            await outbox.send(key=note.incident_id.encode(), value=encode(note))
            log.info("notify %s %s → %s (%s)", note.incident_id, note.event, note.receiver, note.reason)
        for command in escalation_commands(notes):
            await commands.send(key=command.domain.encode(), value=encode(command))

    @app.agent(incidents, name="page")
    async def page(stream: Any) -> None:
        await ready.wait()
        async for event in stream.events():
            try:
                change = decode(IncidentEvent, event.value)
            except SchemaError as exc:
                log.warning("ignoring a malformed incident record: %s", exc)
                continue
            pager = load(change.incident_id) or IncidentPager.start(routing, change.incident)
            now = event.message.timestamp or time.time()
            await enqueue(pager.on_event(change, now))
            save(pager)

    def owned_here(topic: str) -> set[int]:
        """Partitions of `topic` this worker actively owns (its tables also hold standby copies of others)."""
        return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}

    @app.timer(interval=1.0)
    async def page_clock() -> None:
        """Escalation levels, announcements after group_wait, batched updates and reminders fall due here."""
        if not ready.is_set():
            return
        now = time.time()
        mine = owned_here(topics.incidents)
        if app.tables.recovery.completed.is_set() and (mine != index["owned"] or now - index["at"] >= 60.0):
            reindex(mine, now)
        for key in [k for k, deadline in deadlines.items() if deadline <= now]:
            saved = pagers.get(key)
            if saved is None or _partition(key, settings.partitions) not in mine:
                deadlines.pop(key, None)
                continue
            pager = IncidentPager(routing, msgspec.json.decode(saved, type=PagerState))
            await enqueue(pager.tick(now))
            save(pager)

    # -- delivering -----------------------------------------------------------

    failing_since: dict[str, float] = {}

    def on_failing(receiver: str, reason: str) -> None:
        failing_since[receiver] = time.time()
        pending_alerts.append(receiver_failing_alert(receiver, reason, since=failing_since[receiver]))

    def on_recovered(receiver: str) -> None:
        since = failing_since.pop(receiver, time.time())
        pending_alerts.append(receiver_failing_alert(receiver, "delivering again", since=since, ended=time.time()))

    state: dict[str, Any] = {}

    def fallback_chain(name: str) -> list[Notifier]:
        """The receiver's fallback, its fallback's fallback…: the pack's loader has refused cycles."""
        chain: list[Notifier] = []
        spec = routing.receivers.get(name)
        while spec is not None and spec.fallback and spec.fallback not in (name, *(n.name for n in chain)):
            if spec.fallback in receivers:
                chain.append(receivers[spec.fallback])
            spec = routing.receivers.get(spec.fallback)
        return chain

    def policies() -> dict[str, ReceiverPolicy]:
        """Each receiver's rate limit: its kind's default unless the pack overrides it."""
        out = {}
        for name, notifier in receivers.items():
            spec = routing.receivers.get(name)
            overrides = {"rate_per_second": spec.rate_per_second, "burst": spec.burst} if spec else {}
            out[name] = ReceiverPolicy.for_kind(type(notifier), overrides)
        return out

    http = _HttpSession()

    @app.task
    async def open_dispatcher() -> None:
        await app.add_runtime_dependency(http)  # started now, closed when the worker stops
        state["dispatcher"] = Dispatcher(
            http.session,
            policies=policies(),
            on_receiver_failing=on_failing,
            on_receiver_recovered=on_recovered,
        )

    async def publish_results(delivery: Delivery) -> None:
        """One result per attempt (retrying, then delivered / failed / fallback), breaker skips included."""
        for record in delivery.attempts:
            result = record.to_result()
            await _publish(results, result)
            _count(metrics, result.receiver, result.outcome, record.duration if record.attempt else None)

    async def deliver(incident_id: bytes, notes: list[Notification]) -> None:
        """One incident's notifications, in order; the incident's delivered keys are saved once after."""
        memory = orjson.loads(delivered[incident_id]) if incident_id in delivered else {"keys": {}, "refs": {}}
        dispatcher: Dispatcher = state["dispatcher"]
        for note in notes:
            if note.key in memory["keys"]:
                await _publish(results, _result(note, NotificationOutcome.DUPLICATE, detail="already delivered"))
                _count(metrics, note.receiver, NotificationOutcome.DUPLICATE)
                continue
            notifier = receivers.get(note.receiver)
            if notifier is None:
                why = disabled.get(note.receiver, "no such receiver in the pack")
                await _publish(results, _result(note, NotificationOutcome.SKIPPED, detail=why))
                _count(metrics, note.receiver, NotificationOutcome.SKIPPED)
                memory["keys"][note.key] = time.time()
                continue
            fallback = fallback_chain(note.receiver)
            message = Message(
                key=note.key,
                receiver=note.receiver,
                event=note.event,
                incident=note.incident,
                ts=note.ts,
                level=note.level,
                actor=note.actor,
                note=note.note,
                link=routing.link_for(note.incident_id),
                reference=memory["refs"].get(note.receiver),
            )
            delivery = await dispatcher.deliver(message, notifier, fallback)
            await publish_results(delivery)
            memory["keys"][note.key] = time.time()
            if delivery.reference and delivery.delivered_by == note.receiver:
                memory["refs"][note.receiver] = delivery.reference
        delivered[incident_id] = orjson.dumps(memory)

    @app.agent(outbox, name="dispatch")
    async def dispatch(stream: Any) -> None:
        await ready.wait()
        while "dispatcher" not in state:
            await asyncio.sleep(0.05)
        # A short window: a lone notification waits at most 10 ms for company (50 ms cost ~40 ms of p50).
        async for batch in stream.take_events(_BATCH, within=0.01):
            by_incident: dict[bytes, list[Notification]] = defaultdict(list)
            for event in batch:
                try:
                    note = decode(Notification, event.value)
                except SchemaError as exc:
                    log.warning("ignoring a malformed notification record: %s", exc)
                    continue
                by_incident[note.incident_id.encode()].append(note)
            # Incidents in parallel (a slow receiver delays only its own incidents), each one in order.
            await asyncio.gather(*(deliver(key, notes) for key, notes in by_incident.items()))
            while pending_alerts:
                alert = pending_alerts.pop(0)
                key = alert_key(alert.labels) if alert_key is not None else b"vigil"
                await alerts.send(key=key, value=encode(alert))

    @app.timer(interval=3600.0)
    async def forget_old_deliveries() -> None:
        """Delivered keys are kept a week: long past any redelivery, short enough to bound the table."""
        if not ready.is_set():
            return
        cutoff = time.time() - _KEEP_DELIVERED
        mine = owned_here(topics.notifications)
        for key, saved in list(delivered.items()):
            if _partition(key, settings.partitions) in mine:
                memory = orjson.loads(saved)
                if max(memory["keys"].values(), default=0) < cutoff:
                    delivered.pop(key, None)


class _HttpSession(mode.Service):
    """The notifiers' one HTTP connection pool, opened and closed with the worker."""

    session: aiohttp.ClientSession

    async def on_start(self) -> None:
        self.session = aiohttp.ClientSession()

    async def on_stop(self) -> None:
        await self.session.close()


def escalation_commands(notes: list[Notification]) -> list[Command]:
    """An `escalate` command per escalation step, so the incident's timeline says who was paged and why.

    The id is the step's own (incident, epoch, cycle, level): the correlator applies it once even if the
    pager decides the step again after a restart.
    """
    steps: dict[str, list[Notification]] = {}
    for note in notes:
        if note.event == IncidentEventType.ESCALATED and note.incident.domain:
            steps.setdefault(f"{note.incident_id}/{note.key.rsplit('/', 1)[-1]}", []).append(note)
    out = []
    for step_id, step in steps.items():
        first = step[0]
        who = ", ".join(n.receiver for n in step)
        out.append(
            Command(
                id=step_id,
                kind=CommandKind.ESCALATE,
                domain=first.incident.domain or "",
                incident_id=first.incident_id,
                actor="vigil",
                ts=first.ts,
                note=f"{first.reason}; paged {who}" + (f" (policy {first.policy})" if first.policy else ""),
            )
        )
    return out


def _partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives `key` (the one the table and topic both use)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


async def _publish(topic: Any, result: NotificationResult) -> None:
    await topic.send(key=result.key.encode(), value=encode(result))


def _result(note: Notification, outcome: NotificationOutcome, *, detail: str) -> NotificationResult:
    return NotificationResult(
        key=note.key,
        receiver=note.receiver,
        incident_id=note.incident_id,
        outcome=outcome,
        attempt=0,
        ts=time.time(),
        detail=detail[:1024],
    )


def _count(metrics: Any, receiver: str, outcome: NotificationOutcome, seconds: float | None = None) -> None:
    if metrics is None:
        return
    metrics.notifications.labels(receiver, str(outcome)).inc()
    if seconds is not None:
        metrics.notification_seconds.labels(receiver).observe(seconds)


def receiver_failing_alert(receiver: str, reason: str, *, since: float, ended: float | None = None) -> Alert:
    """Vigil's own alert about a receiver that keeps failing: it correlates and routes like any other."""
    labels = {"alertname": "VigilReceiverFailing", "service": "vigil", "receiver": receiver}
    now = time.time()
    return Alert(
        fingerprint=fingerprint("VigilReceiverFailing", labels),
        rule="VigilReceiverFailing",
        status=AlertStatus.FIRING if ended is None else AlertStatus.RESOLVED,
        severity=Severity.HIGH,
        labels=labels,
        annotations={"summary": f"notifications to {receiver} keep failing: {reason}"[:512]},
        value=None,
        threshold=0.0,
        starts_at=since,
        ends_at=ended,
        event_ts=now,
        emitted_at=now,
    )
