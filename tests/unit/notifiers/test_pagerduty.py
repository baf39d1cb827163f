"""PagerDuty Events API v2, against a local server that validates events like PagerDuty does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from notifiers.base import NotifierConfigError
from notifiers.pagerduty import PagerDutyNotifier, event_action, event_body
from notifiers.registry import build_notifier
from schemas.enums import IncidentEventType
from tests.fakes import FakePagerDuty, incident, message

KEY = "R0UT1NGKEY0123456789abcdef012345"  # 32 characters, like a real integration key


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def pd() -> AsyncIterator[FakePagerDuty]:
    async with FakePagerDuty() as fake:
        yield fake


def notifier(pd: FakePagerDuty, key: str = KEY, **options: Any) -> PagerDutyNotifier:
    return PagerDutyNotifier.from_options(
        "pager", {"routing_key": "${PD_KEY}", "events_url": pd.url, **options}, {"PD_KEY": key}
    )


@pytest.mark.parametrize(
    ("event", "action"),
    [
        (IncidentEventType.OPENED, "trigger"),
        (IncidentEventType.ALERT_ADDED, "trigger"),
        (IncidentEventType.ALERT_RESOLVED, "trigger"),
        (IncidentEventType.SEVERITY_CHANGED, "trigger"),
        (IncidentEventType.ACKNOWLEDGED, "acknowledge"),
        (IncidentEventType.ESCALATED, "trigger"),
        (IncidentEventType.RESOLVED, "resolve"),
        (IncidentEventType.REOPENED, "trigger"),
        (IncidentEventType.COMMENT, "trigger"),
    ],
)
def test_event_action(event: IncidentEventType, action: str) -> None:
    assert event_action(event) == action


async def test_trigger_body(http: aiohttp.ClientSession, pd: FakePagerDuty) -> None:
    msg = message(note="rolling back", actor="ana")
    outcome = await notifier(pd).send(msg, http)
    assert outcome.delivered and outcome.status == 202 and outcome.detail == "202 Accepted"
    assert outcome.extra == {"dedup_key": "inc-e6e0d480d7f6"}
    sent = pd.requests[0].json
    details = sent["payload"].pop("custom_details")
    assert sent == {
        "routing_key": KEY,
        "event_action": "trigger",
        "dedup_key": "inc-e6e0d480d7f6",
        "payload": {
            "summary": "[CRITICAL] OPENED by ana: advisor-api P95 1.9 s > 1 s",
            "source": "postgres",
            "severity": "critical",
            "timestamp": "2026-01-01T00:12:00.000Z",
            "component": "postgres",
            "group": "advisory",
            "class": "ApiLatencyP95High",
        },
        "client": "Vigil",
        "client_url": "https://vigil.example.com/incidents/inc-e6e0d480d7f6",
        "links": [
            {
                "href": "https://vigil.example.com/incidents/inc-e6e0d480d7f6",
                "text": "Incident inc-e6e0d480d7f6 in Vigil",
            }
        ],
    }
    assert details == {
        "incident": "inc-e6e0d480d7f6",
        "event": "opened",
        "status": "triggered",
        "title": "advisor-api P95 1.9 s > 1 s",
        "services": ["advisor-api", "postgres"],
        "root_cause": "postgres",
        "opened_at": "2026-01-01T00:00:00.000Z",
        "alerts_total": 2,
        "alerts": [
            {
                "alertname": "ApiLatencyP95High",
                "status": "firing",
                "severity": "critical",
                "service": "advisor-api",
                "summary": "advisor-api P95 latency 1.9s exceeds 1s",
            },
            {
                "alertname": "PostgresLockWaits",
                "status": "resolved",
                "severity": "high",
                "service": "postgres",
                "summary": None,
            },
        ],
        "suspects": ["postgres 16.2 deployed 3 min before the incident"],
        "reasons": ["advisor-api depends on postgres"],
        "timeline": [
            "2026-01-01T00:00:00.000Z opened: opened by ApiLatencyP95High on advisor-api",
            "2026-01-01T00:01:00.000Z alert_added: PostgresLockWaits on postgres joined",
        ],
        "actor": "ana",
        "note": "rolling back",
    }
    assert pd.alerts == {"inc-e6e0d480d7f6": "triggered"}


@pytest.mark.parametrize(
    ("severity", "expected"), [("critical", "critical"), ("high", "error"), ("medium", "warning"), ("low", "info")]
)
async def test_severity_mapping(http: aiohttp.ClientSession, pd: FakePagerDuty, severity: str, expected: str) -> None:
    outcome = await notifier(pd).send(message(snapshot=incident(severity=severity)), http)
    assert outcome.delivered
    assert pd.requests[0].json["payload"]["severity"] == expected


async def test_lifecycle_acknowledge_and_resolve_carry_only_the_keys(
    http: aiohttp.ClientSession, pd: FakePagerDuty
) -> None:
    pager = notifier(pd)
    for event in ("opened", "escalated", "acknowledged", "resolved"):
        outcome = await pager.send(message(event, level=1), http)
        assert outcome.delivered, outcome.detail
    assert [r.json["event_action"] for r in pd.requests] == ["trigger", "trigger", "acknowledge", "resolve"]
    assert pd.requests[1].json["payload"]["custom_details"]["escalation_level"] == 1
    for request in pd.requests[2:]:
        assert request.json == {
            "routing_key": KEY,
            "event_action": request.json["event_action"],
            "dedup_key": "inc-e6e0d480d7f6",
        }
    assert pd.alerts == {"inc-e6e0d480d7f6": "resolved"}


def test_source_option_and_fallbacks() -> None:
    msg = message(snapshot=incident(root_cause=None, domain=None, alert_details=[]), link=None)
    body = event_body(msg, routing_key=KEY)
    assert body["payload"]["source"] == "advisor-api"
    assert {"component", "group", "class"}.isdisjoint(body["payload"])
    assert {"links", "client_url"}.isdisjoint(body)
    assert event_body(msg, routing_key=KEY, source="prod-eu")["payload"]["source"] == "prod-eu"
    assert (
        event_body(message(snapshot=incident(services=[], root_cause=None)), routing_key=KEY)["payload"]["source"]
        == "vigil"
    )


def test_summary_is_cut_to_1024_characters() -> None:
    msg = message(snapshot=incident(title="t" * 2000))  # constructors do not check lengths; decoders would
    summary = event_body(msg, routing_key=KEY)["payload"]["summary"]
    assert len(summary) == 1024 and summary.startswith("[CRITICAL] OPENED: ttt") and summary.endswith("t…")


async def test_invalid_event_is_permanent_and_the_key_is_redacted(
    http: aiohttp.ClientSession, pd: FakePagerDuty
) -> None:
    short = "shortkey0123456789"
    outcome = await notifier(pd, key=short).send(message(), http)
    assert (outcome.delivered, outcome.retryable, outcome.status) == (False, False, 400)
    assert "Length of 'routing_key' is incorrect" in outcome.detail
    pd.fail_next(400, body={"status": "invalid event", "errors": [f"unknown routing key {KEY}"]})
    outcome = await notifier(pd).send(message(), http)
    assert KEY not in outcome.detail and "unknown routing key ***" in outcome.detail


@pytest.mark.parametrize(
    ("status", "retry_after", "retryable", "wait"),
    [(500, None, True, None), (502, None, True, None), (429, "20", True, 20.0), (403, None, False, None)],
)
async def test_provider_failures(
    http: aiohttp.ClientSession,
    pd: FakePagerDuty,
    status: int,
    retry_after: str | None,
    retryable: bool,
    wait: float | None,
) -> None:
    pd.fail_next(status, retry_after=retry_after)
    outcome = await notifier(pd).send(message(), http)
    assert (outcome.delivered, outcome.retryable, outcome.retry_after, outcome.status) == (
        False,
        retryable,
        wait,
        status,
    )
    assert (await notifier(pd).send(message(), http)).delivered  # the next attempt goes through


async def test_timeout_is_retryable(http: aiohttp.ClientSession, pd: FakePagerDuty) -> None:
    pd.delay_next(5)
    outcome = await notifier(pd, timeout=0.2).send(message(), http)
    assert outcome.retryable and outcome.detail == "timed out after 0.2 s"


def test_routing_key_is_never_shown() -> None:
    pager = PagerDutyNotifier.from_options("pager", {"routing_key": KEY}, {})
    assert KEY not in repr(pager) and KEY not in str(pager)


@pytest.mark.parametrize(
    ("options", "env", "option", "problem"),
    [
        ({}, {}, "routing_key", "is required"),
        ({"routing_key": ""}, {}, "routing_key", "is required"),
        ({"routing_key": "${PD_KEY}"}, {}, "routing_key", "PD_KEY is not set"),
        ({"routing_key": "${PD_KEY}"}, {"PD_KEY": ""}, "routing_key", "is empty"),
        ({"routing_key": "abc def"}, {}, "routing_key", "whitespace"),
        (
            {"routing_key": KEY, "events_url": "events.pagerduty.com/v2/enqueue"},
            {},
            "events_url",
            "http:// or https://",
        ),
        ({"routing_key": KEY, "severity": "critical"}, {}, "severity", "unknown option"),
        ({"routing_key": KEY, "source": 3}, {}, "source", "must be a string"),
    ],
)
def test_config_errors(options: dict[str, Any], env: dict[str, str], option: str, problem: str) -> None:
    with pytest.raises(NotifierConfigError, match=problem) as caught:
        PagerDutyNotifier.from_options("pager", options, env)
    assert caught.value.option == option


def test_registered_under_pagerduty_with_its_rate() -> None:
    pager = build_notifier("pager", "pagerduty", {"routing_key": KEY}, {})
    assert isinstance(pager, PagerDutyNotifier)
    assert (pager.default_rate_per_second, pager.events_url) == (2.0, "https://events.pagerduty.com/v2/enqueue")
