"""The shared HTTP helper: how answers and failures become Outcomes, against a real local server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime

import aiohttp
import pytest

from notifiers.base import NotifierConfigError
from notifiers.http import (
    MAX_SNIPPET,
    basic_auth,
    check_options,
    classify,
    parse_retry_after,
    post_form,
    post_json,
    secret_url_option,
    snippet,
    timeout_option,
    url_option,
)
from notifiers.secrets import Secret
from tests.fakes import FakeWebhook
from vigil.children import free_port

NOW = 1_767_225_600.0


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.mark.parametrize(
    ("status", "delivered", "retryable"),
    [
        (200, True, False),
        (201, True, False),
        (202, True, False),
        (204, True, False),
        (400, False, False),
        (401, False, False),
        (403, False, False),
        (404, False, False),
        (408, False, True),
        (410, False, False),
        (422, False, False),
        (429, False, True),
        (500, False, True),
        (502, False, True),
        (503, False, True),
        (504, False, True),
    ],
)
def test_classify_statuses(status: int, delivered: bool, retryable: bool) -> None:
    outcome = classify(status, None, b"", None, now=NOW)
    assert (outcome.delivered, outcome.retryable, outcome.status) == (delivered, retryable, status)


def test_classify_detail_names_the_status_and_quotes_the_provider() -> None:
    assert classify(202, "Accepted", b"{}", None, now=NOW).detail == "202 Accepted"
    outcome = classify(400, "Bad Request", b'{"error":\n  "no such channel"}', None, now=NOW)
    assert outcome.detail == '400 Bad Request: {"error": "no such channel"}'


def test_classify_reads_retry_after_only_when_a_retry_makes_sense() -> None:
    assert classify(429, "Too Many Requests", b"", "7", now=NOW).retry_after == 7.0
    assert classify(503, "Service Unavailable", b"", "120", now=NOW).retry_after == 120.0
    assert classify(400, "Bad Request", b"", "7", now=NOW).retry_after is None


def test_snippet_is_redacted_before_it_is_cut() -> None:
    token = "xoxb-" + "9" * 300
    text = snippet(f"bad token {token} for channel", [Secret(token)])
    assert text == "bad token *** for channel"
    long = snippet("x" * 500)
    assert len(long) == MAX_SNIPPET and long.endswith("…")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("30", 30.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        (format_datetime(datetime.fromtimestamp(NOW + 90, UTC), usegmt=True), 90.0),
        ("Thu, 01 Jan 2026 00:02:00 GMT", 120.0),
        ("Thu, 01 Jan 2026 00:02:00 -0000", 120.0),
        ("Wed, 31 Dec 2025 23:00:00 GMT", 0.0),  # a date already past: retry now
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_basic_auth_header() -> None:
    assert basic_auth("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


# Against a real server.


async def test_2xx_is_delivered_and_the_body_is_kept(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        reply = await post_json(http, hook.url, {"a": 1}, headers={"X-Test": "yes"})
    assert reply.outcome.delivered and reply.outcome.detail == "200 OK"
    assert reply.json() == {"received": True}
    sent = hook.requests[0]
    assert sent.json == {"a": 1}
    assert sent.headers["Content-Type"] == "application/json; charset=utf-8"
    assert sent.headers["X-Test"] == "yes"


async def test_form_posts_are_form_encoded(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        await post_form(http, hook.url, {"Body": "a b&c=d", "To": "+14155550100"})
    assert hook.requests[0].form == {"Body": "a b&c=d", "To": "+14155550100"}
    assert hook.requests[0].headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_500_is_retryable(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        hook.fail_next(500, body="database on fire")
        outcome = (await post_json(http, hook.url, {})).outcome
    assert not outcome.delivered and outcome.retryable and outcome.status == 500
    assert outcome.detail == "500 Internal Server Error: database on fire"


async def test_429_carries_retry_after(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        hook.fail_next(429, retry_after=17)
        outcome = (await post_json(http, hook.url, {})).outcome
    assert outcome.retryable and outcome.retry_after == 17.0 and outcome.status == 429


async def test_503_with_an_http_date(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        hook.fail_next(503, retry_after="Thu, 01 Jan 2026 00:01:00 GMT")
        outcome = (await post_json(http, hook.url, {}, now=lambda: NOW)).outcome
    assert outcome.retryable and outcome.retry_after == 60.0


async def test_400_is_permanent_with_a_short_redacted_snippet(http: aiohttp.ClientSession) -> None:
    secret = Secret("s3cr3t-api-key-value")
    async with FakeWebhook() as hook:
        hook.fail_next(400, body={"error": "invalid key s3cr3t-api-key-value", "padding": "z" * 1000})
        outcome = (await post_json(http, hook.url, {}, secrets=[secret])).outcome
    assert not outcome.retryable and outcome.status == 400
    assert "s3cr3t" not in outcome.detail and "invalid key ***" in outcome.detail
    assert outcome.detail.startswith("400 Bad Request: ")
    assert len(outcome.detail) <= len("400 Bad Request: ") + MAX_SNIPPET


async def test_timeout_is_retryable(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        hook.delay_next(5)
        outcome = (await post_json(http, hook.url, {}, timeout=0.2)).outcome
    assert not outcome.delivered and outcome.retryable and outcome.status is None
    assert outcome.detail == "timed out after 0.2 s"


async def test_connection_refused_is_retryable(http: aiohttp.ClientSession) -> None:
    port = free_port()
    outcome = (await post_json(http, f"http://127.0.0.1:{port}/hook", {})).outcome
    assert not outcome.delivered and outcome.retryable and outcome.status is None
    assert outcome.detail.startswith(f"cannot connect to 127.0.0.1:{port}: ")
    assert "refused" in outcome.detail


async def test_a_dropped_connection_is_retryable(http: aiohttp.ClientSession) -> None:
    async with FakeWebhook() as hook:
        hook.disconnect_next()
        outcome = (await post_json(http, hook.url, {})).outcome
        assert (await post_json(http, hook.url, {})).outcome.delivered  # the fault was used up
    assert outcome.retryable and not outcome.delivered
    assert outcome.detail == "server disconnected without answering"


async def test_redirects_are_not_followed(http: aiohttp.ClientSession) -> None:
    """A 3xx is not delivery: following it could send the signed body somewhere else."""
    async with FakeWebhook() as hook:
        hook.fail_next(302, headers={"Location": "http://127.0.0.1:1/elsewhere"})
        outcome = (await post_json(http, hook.url, {})).outcome
    assert not outcome.delivered and not outcome.retryable and outcome.status == 302


# Options.


def test_unknown_options_are_named() -> None:
    with pytest.raises(NotifierConfigError) as caught:
        check_options({"url": "x", "retires": 3, "timout": 1}, ["url", "timeout"])
    assert caught.value.option == "retires"
    assert "retires, timout" in caught.value.problem and "known: timeout, url" in caught.value.problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ftp://example.com/x", "must be an http:// or https:// URL"),
        ("example.com/hook", "must be an http:// or https:// URL"),
        ("https:///path-only", "has no host"),
        ("http://example.com:port/", "is not a valid URL"),
        (None, "is required"),
        (42, "must be a string"),
    ],
)
def test_url_option_refuses(value: object, problem: str) -> None:
    with pytest.raises(NotifierConfigError, match=problem) as caught:
        url_option("url", value, {})
    assert caught.value.option == "url"


def test_url_option_expands_env_and_keeps_the_default() -> None:
    assert url_option("url", "https://${HOST}/v2", {"HOST": "pd.example"}) == "https://pd.example/v2"
    assert url_option("url", None, {}, default="https://a.example") == "https://a.example"


def test_secret_url_problems_never_show_the_url() -> None:
    with pytest.raises(NotifierConfigError) as caught:
        secret_url_option("webhook_url", "${HOOK}", {"HOOK": "hooks.slack.com/services/T0/B0/topsecretpart"})
    assert "topsecretpart" not in str(caught.value)
    assert repr(secret_url_option("webhook_url", "https://h.example/T/sekrit-part", {})) == "Secret('***')"


@pytest.mark.parametrize("value", [0, -1, 301, "10", True, float("nan")])
def test_timeout_option_refuses(value: object) -> None:
    with pytest.raises(NotifierConfigError) as caught:
        timeout_option(value)
    assert caught.value.option == "timeout"


def test_timeout_option_default_and_value() -> None:
    assert timeout_option(None) == 10.0
    assert timeout_option(2) == 2.0
