"""Signed generic webhooks, and the verification function receivers use."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import msgspec
import pytest

from notifiers.base import NotifierConfigError
from notifiers.registry import build_notifier
from notifiers.webhook import WebhookNotifier, body_for, sign, verify_signature
from schemas import IncidentSnapshot
from tests.fakes import FakeWebhook, message

SECRET = "whsec-0123456789abcdef"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def notifier(url: str, **options: Any) -> WebhookNotifier:
    return WebhookNotifier.from_options(
        "hook", {"url": url, **options}, {"HOOK_SECRET": SECRET, "API_TOKEN": "tok-98765"}
    )


async def test_body_and_headers(http: aiohttp.ClientSession) -> None:
    msg = message("escalated", level=1, actor="vigil", note="no ack in 5 min")
    async with FakeWebhook(secret=SECRET) as hook:
        before = int(time.time())
        outcome = await notifier(hook.url, secret="${HOOK_SECRET}", headers={"X-Team": "api"}).send(msg, http)
        after = int(time.time())
    assert outcome.delivered and outcome.detail == "200 OK"
    [sent] = hook.requests
    assert sent.json == {
        "version": "1",
        "key": "inc-e6e0d480d7f6:escalated:0:oncall",
        "receiver": "oncall",
        "event": "escalated",
        "ts": msg.ts,
        "level": 1,
        "actor": "vigil",
        "note": "no ack in 5 min",
        "link": "https://vigil.example.com/incidents/inc-e6e0d480d7f6",
        "incident": msgspec.to_builtins(msg.incident),
    }
    assert sent.body == body_for(msg)
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["Idempotency-Key"] == msg.key
    assert sent.headers["X-Team"] == "api"
    timestamp = sent.headers["X-Vigil-Timestamp"]
    assert before <= int(timestamp) <= after
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + sent.body, hashlib.sha256).hexdigest()
    assert sent.headers["X-Vigil-Signature"] == f"sha256={expected}"
    assert verify_signature(SECRET, timestamp, sent.body, sent.headers["X-Vigil-Signature"], now=time.time())


async def test_the_snapshot_round_trips(http: aiohttp.ClientSession) -> None:
    msg = message()
    async with FakeWebhook() as hook:
        await notifier(hook.url).send(msg, http)
    assert msgspec.convert(hook.requests[0].json["incident"], IncidentSnapshot) == msg.incident


async def test_without_secret_there_is_no_signature(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        assert (await notifier(hook.url).send(message(), http)).delivered
    assert "X-Vigil-Signature" not in hook.requests[0].headers
    assert "X-Vigil-Timestamp" in hook.requests[0].headers


async def test_a_receiver_with_another_secret_refuses_it(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook(secret="another-secret-entirely") as hook:
        outcome = await notifier(hook.url, secret="${HOOK_SECRET}").send(message(), http)
    assert (outcome.delivered, outcome.retryable, outcome.status) == (False, False, 401)


async def test_failures(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        sender = notifier(hook.url, timeout=0.2)
        hook.fail_next(502)
        hook.fail_next(429, retry_after=4)
        hook.delay_next(5)
        hook.fail_next(422, body={"error": "unsupported version"})
        outcomes = [await sender.send(message(), http) for _ in range(4)]
    assert [(o.retryable, o.retry_after, o.status) for o in outcomes] == [
        (True, None, 502),
        (True, 4.0, 429),
        (True, None, None),
        (False, None, 422),
    ]
    assert outcomes[3].detail == '422 Unprocessable Entity: {"error":"unsupported version"}'


async def test_secrets_never_show(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        sender = notifier(
            hook.url + "?token=${API_TOKEN}", secret="${HOOK_SECRET}", headers={"Authorization": "Bearer ${API_TOKEN}"}
        )
        hook.fail_next(400, body=f"bad: secret={SECRET} auth=Bearer tok-98765")
        outcome = await sender.send(message(), http)
    assert hook.requests[0].headers["Authorization"] == "Bearer tok-98765"
    assert hook.requests[0].query == {"token": "tok-98765"}
    assert SECRET not in outcome.detail and "tok-98765" not in outcome.detail
    assert SECRET not in repr(sender) and "tok-98765" not in repr(sender)


# verify_signature.

BODY = b'{"version":"1"}'
NOW = 1_767_225_600


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "header", "now", "ok"),
    [
        (SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY), NOW, True),
        (SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY), NOW + 300, True),
        (SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY), NOW + 301, False),  # replayed 5 min later
        (SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY), NOW - 301, False),  # from the future
        (SECRET, str(NOW), BODY + b" ", sign(SECRET, NOW, BODY), NOW, False),  # body tampered
        (SECRET, str(NOW + 1), BODY, sign(SECRET, NOW, BODY), NOW, False),  # timestamp swapped
        ("other", str(NOW), BODY, sign(SECRET, NOW, BODY), NOW, False),
        (SECRET, "", BODY, sign(SECRET, NOW, BODY), NOW, False),
        (SECRET, "12ab", BODY, sign(SECRET, NOW, BODY), NOW, False),
        (SECRET, str(NOW), BODY, "", NOW, False),
        (SECRET, str(NOW), BODY, sign(SECRET, NOW, BODY).removeprefix("sha256="), NOW, False),
        (SECRET, str(NOW), BODY, f"{sign('old', NOW, BODY)}, {sign(SECRET, NOW, BODY)}", NOW, True),  # rotation
        (SECRET.encode(), str(NOW), BODY, sign(SECRET, NOW, BODY), NOW, True),
    ],
)
def test_verify_signature(secret: str | bytes, timestamp: str, body: bytes, header: str, now: float, ok: bool) -> None:
    assert verify_signature(secret, timestamp, body, header, now) is ok


def test_verify_signature_tolerance_is_adjustable() -> None:
    header = sign(SECRET, NOW, BODY)
    assert not verify_signature(SECRET, str(NOW), BODY, header, NOW + 61, tolerance=60)
    assert verify_signature(SECRET, str(NOW), BODY, header, NOW + 59, tolerance=60)


def test_sign_known_vector() -> None:
    expected = hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("key", 1700000000, b"{}") == f"sha256={expected}"


# Options.


@pytest.mark.parametrize(
    ("options", "option", "problem"),
    [
        ({}, "url", "is required"),
        ({"url": "file:///etc/passwd"}, "url", "http:// or https://"),
        ({"url": "https://h.example", "secret": "${NOPE}"}, "secret", "NOPE is not set"),
        ({"url": "https://h.example", "headers": ["X-A: b"]}, "headers", "must be a mapping"),
        (
            {"url": "https://h.example", "headers": {"Bad Name": "x"}},
            "headers.Bad Name",
            "not a valid HTTP header name",
        ),
        (
            {"url": "https://h.example", "headers": {"X-Vigil-Signature": "x"}},
            "headers.X-Vigil-Signature",
            "set by Vigil",
        ),
        (
            {"url": "https://h.example", "headers": {"content-type": "text/plain"}},
            "headers.content-type",
            "set by Vigil",
        ),
        ({"url": "https://h.example", "headers": {"X-A": 1}}, "headers.X-A", "must be a string"),
        ({"url": "https://h.example", "headers": {"X-A": "${MISSING}"}}, "headers.X-A", "MISSING is not set"),
        ({"url": "https://h.example", "headers": {"X-A": "a\r\nX-B: b"}}, "headers.X-A", "one line"),
        ({"url": "https://h.example", "method": "PUT"}, "method", "unknown option"),
    ],
)
def test_config_errors(options: dict[str, Any], option: str, problem: str) -> None:
    with pytest.raises(NotifierConfigError, match=problem) as caught:
        WebhookNotifier.from_options("hook", options, {})
    assert caught.value.option == option


def test_registered_under_webhook_with_its_rate() -> None:
    hook = build_notifier("hook", "webhook", {"url": "https://h.example/in"}, {})
    assert isinstance(hook, WebhookNotifier)
    assert (hook.kind, hook.default_rate_per_second, hook.secret) == ("webhook", 10.0, None)
