"""Notifications on the real broker: an alert pages through a signed webhook, escalates, survives a crash.

A worker is killed (SIGKILL, no goodbye) between escalation levels and a new
one started in its place: the next level must come from the recovered
table, once, not before its deadline and within about a tick after it.
Receivers are real local HTTP servers (tests/fakes) that verify the
HMAC signature the way a user's endpoint would.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import yaml
from aiokafka import AIOKafkaProducer

from correlator.alerts import fingerprint
from schemas import Alert, IncidentEvent, Notification, NotificationResult, decode, encode
from tests.fakes.providers import FakeWebhook
from tests.integration.records import read_until
from tests.integration.waiting import eventually
from tests.integration.worker import running_worker

SECRET = "whsec-integration-0123456789"
ESCALATE_AFTER = 25.0  #: long enough for a killed worker's replacement to recover its tables first
TICK = 1.0


def pack_for(chat: FakeWebhook, pager: FakeWebhook) -> dict[str, object]:
    return {
        "receivers": [
            {"name": "chat", "kind": "webhook", "url": chat.url},
            {"name": "pager", "kind": "webhook", "url": pager.url, "secret": "${HOOK_SECRET}"},
        ],
        "escalation_policies": [
            {
                "name": "oncall",
                "levels": [
                    {"notify": ["pager"], "escalate_after": f"{ESCALATE_AFTER:g}s"},
                    {"notify": ["pager"], "escalate_after": "1h"},
                ],
            }
        ],
        "route": {"receivers": ["chat"], "group_wait": "0s", "escalation": "oncall"},
    }


def firing(service: str, now: float) -> Alert:
    labels = {"service": service, "alertname": "ApiErrorRateHigh"}
    return Alert(
        fingerprint=fingerprint("ApiErrorRateHigh", labels),
        rule="ApiErrorRateHigh",
        status="firing",
        severity="critical",
        labels=labels,
        annotations={"summary": f"{service} error rate 7% exceeds 5%"},
        value=0.07,
        threshold=0.05,
        starts_at=now,
        event_ts=now,
        emitted_at=now,
    )


def keys(server: FakeWebhook) -> list[str]:
    return [r.headers.get("Idempotency-Key", "") for r in server.requests if r.path == "/hook"]


async def test_escalation_survives_a_killed_worker_and_fires_the_next_level_once_on_time(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    async with FakeWebhook() as chat, FakeWebhook(secret=SECRET) as pager:
        pack = tmp_path / "pack.yaml"
        pack.write_text(yaml.safe_dump(pack_for(chat, pager)), encoding="utf-8")
        chat.fail_next(500, times=1)  # the first announcement is retried: results show it
        tag = uuid.uuid4().hex[:8]
        env = {"VIGIL_CONFIG": str(pack), "HOOK_SECRET": SECRET}
        with running_worker(kafka_bootstrap, tmp_path, tag=tag, **env) as worker:
            producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
            await producer.start()
            try:
                now = time.time()
                await producer.send_and_wait(
                    worker.topics.alerts, encode(firing("advisor-api", now)), key=b"advisor-api"
                )
            finally:
                await producer.stop()
            await eventually(lambda: any(k.endswith("/escalation-0-0-0") for k in keys(pager)), "level 0", 60)
            await eventually(lambda: any(k.endswith("/opened-0") for k in keys(chat)), "the announcement", 30)
            # The worker dies without a goodbye between the levels.
            worker_proc_killed = worker.kill()
            assert worker_proc_killed
        level0 = next(k for k in keys(pager) if k.endswith("/escalation-0-0-0"))
        incident_id = level0.split("/", 1)[0]
        with running_worker(kafka_bootstrap, tmp_path, tag=tag, **env) as again:
            await eventually(
                lambda: any(k.endswith("/escalation-0-0-1") for k in keys(pager)), "level 1", ESCALATE_AFTER + 60
            )
            await asyncio.sleep(3 * TICK)  # a second firing would have come by now
            notifications = [
                decode(Notification, r.value)
                for r in await read_until(kafka_bootstrap, again.topics.notifications, lambda rs: False, timeout=3)
            ]
            results = [
                decode(NotificationResult, r.value)
                for r in await read_until(
                    kafka_bootstrap, again.topics.notification_results, lambda rs: False, timeout=3
                )
            ]
            incident_events = [
                decode(IncidentEvent, r.value)
                for r in await read_until(
                    kafka_bootstrap,
                    again.topics.incidents,
                    lambda rs: any(decode(IncidentEvent, r.value).event == "escalated" for r in rs),
                    timeout=30,
                )
            ]
            delivered_metric = again.metric("vigil_notifications_total", receiver="pager", outcome="delivered")

    # Once: one request and one decision for level 1, from the replacement worker.
    assert [k for k in keys(pager) if k.endswith("/escalation-0-0-1")] == [f"{incident_id}/pager/escalation-0-0-1"]
    decided = {n.key: n for n in notifications}
    first, second = decided[level0], decided[f"{incident_id}/pager/escalation-0-0-1"]
    assert sum(1 for n in notifications if n.key == second.key) == 1
    assert second.level == 1 and second.event == "escalated" and second.policy == "oncall"
    # On time: not before the deadline, and within about a tick after it (the clock ticks every second).
    deadline = first.ts + ESCALATE_AFTER
    assert second.ts >= deadline
    assert second.ts - deadline < 2.5 * TICK, f"level 1 decided {second.ts - deadline:.2f}s after its deadline"
    # Every request to the pager carried a signature its endpoint verified (the fake answers 401 otherwise).
    assert all(r.headers.get("X-Vigil-Signature", "").startswith("sha256=") for r in pager.requests)
    # The failed first attempt at chat is on the results topic, then its retry's success.
    opened = f"{incident_id}/chat/opened-0"
    outcomes = [(r.outcome, r.attempt, r.status) for r in results if r.key == opened]
    assert outcomes[:2] == [("retrying", 1, 500), ("delivered", 2, 200)]
    # If the kill came before the dispatcher's offset was committed, the replacement reads the record
    # again: it must recognise the key, not send it a second time.
    assert all(outcome == ("duplicate", 0, None) for outcome in outcomes[2:]), outcomes
    assert [k for k in keys(chat) if k == opened] == [opened, opened]  # the 500, then the one delivery
    # The incident's timeline says who was paged and why; the restarted worker counts its deliveries.
    escalated = [e for e in incident_events if e.event == "escalated"]
    assert escalated and "paged pager" in (escalated[-1].incident.timeline[-1].text)
    assert not escalated[-1].notify
    assert delivered_metric >= 1
