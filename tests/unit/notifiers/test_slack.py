"""Slack: incoming webhooks and the Web API, against a local server that answers like Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from notifiers.base import NotifierConfigError
from notifiers.registry import build_notifier
from notifiers.render import headline
from notifiers.slack import SlackNotifier, blocks, escape, payload
from tests.fakes import FakeSlack, incident, message
from vigil.children import free_port


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


def via_webhook(slack: FakeSlack, **options: Any) -> SlackNotifier:
    return SlackNotifier.from_options(
        "oncall", {"webhook_url": "${SLACK_HOOK}", **options}, {"SLACK_HOOK": slack.webhook_url}
    )


def via_api(slack: FakeSlack, *, token: str | None = None, channel: str = "#incidents") -> SlackNotifier:
    options = {"token": "${SLACK_TOKEN}", "channel": channel, "api_url": slack.api_url}
    return SlackNotifier.from_options("oncall", options, {"SLACK_TOKEN": token or slack.token})


# Block Kit.


def test_blocks_show_what_a_responder_needs() -> None:
    msg = message()
    out = blocks(msg)
    assert [b["type"] for b in out] == ["header", "section", "section", "context", "actions"]
    assert out[0]["text"] == {
        "type": "plain_text",
        "text": ":red_circle: [CRITICAL] OPENED: advisor-api P95 1.9 s > 1 s",
    }
    assert out[1]["text"]["text"] == "*advisor-api P95 1.9 s &gt; 1 s*"
    assert [f["text"] for f in out[1]["fields"]] == [
        "*Severity*\n:red_circle: critical",
        "*Status*\ntriggered, open for 12 min",
        "*Services*\nadvisor-api, postgres",
        "*Root cause candidate*\npostgres",
    ]
    assert out[2]["text"]["text"] == (
        "*Suspect changes*\n• <https://ci.example.com/runs/42|postgres 16.2 deployed 3 min before the incident>"
    )
    assert out[3]["elements"][0]["text"] == "Incident `inc-e6e0d480d7f6` · 2 alert(s)"
    assert out[4]["elements"] == [
        {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open incident"},
            "url": "https://vigil.example.com/incidents/inc-e6e0d480d7f6",
        }
    ]


def test_blocks_without_link_suspects_or_root_cause() -> None:
    msg = message(snapshot=incident(suspects=[], root_cause=None), link=None, note="rollback <now> & watch")
    out = blocks(msg)
    assert [b["type"] for b in out] == ["header", "section", "section", "context"]
    assert out[1]["fields"][3]["text"] == "*Root cause candidate*\nunknown"
    assert out[2]["text"]["text"] == "*Note*\nrollback &lt;now&gt; &amp; watch"


def test_header_fits_block_kit_limit() -> None:
    long = message(snapshot=incident(title="x" * 500))
    assert len(blocks(long)[0]["text"]["text"]) == 150


def test_resolved_and_acknowledged_get_their_own_mark() -> None:
    assert blocks(message("resolved"))[0]["text"]["text"].startswith(":white_check_mark: [CRITICAL] RESOLVED")
    assert blocks(message("acknowledged", actor="ana"))[0]["text"]["text"].startswith(
        ":eyes: [CRITICAL] ACKNOWLEDGED by ana"
    )


def test_escape() -> None:
    assert escape("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d"


# Incoming webhook.


async def test_webhook_posts_the_block_kit_message(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    msg = message()
    outcome = await via_webhook(slack).send(msg, http)
    assert outcome.delivered and outcome.detail == "200 OK" and outcome.reference is None
    [sent] = slack.requests
    assert sent.path == slack.hook_path
    assert sent.json == payload(msg) == {"text": headline(msg), "blocks": blocks(msg)}


async def test_webhook_ack_and_resolve_are_follow_up_messages(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    notifier = via_webhook(slack)
    for event, actor in (("opened", None), ("acknowledged", "ana"), ("resolved", "ana")):
        assert (await notifier.send(message(event, actor=actor), http)).delivered
    assert [p["text"].split(":")[0] for p in slack.webhook_posts] == [
        "[CRITICAL] OPENED",
        "[CRITICAL] ACKNOWLEDGED by ana",
        "[CRITICAL] RESOLVED by ana",
    ]


async def test_webhook_errors(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    notifier = via_webhook(slack)
    slack.fail_next(404, body="no_service")
    gone = await notifier.send(message(), http)
    assert (gone.delivered, gone.retryable, gone.detail) == (False, False, "404 Not Found: no_service")
    slack.fail_next(429, retry_after=30)
    limited = await notifier.send(message(), http)
    assert limited.retryable and limited.retry_after == 30.0
    slack.fail_next(500)
    assert (await notifier.send(message(), http)).retryable


async def test_webhook_url_never_appears_in_outcomes_or_repr(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    notifier = via_webhook(slack)
    slack.fail_next(400, body=f"invalid_payload for {slack.webhook_url}")
    outcome = await notifier.send(message(), http)
    assert slack.hook_path not in outcome.detail and "invalid_payload for ***" in outcome.detail
    assert slack.hook_path not in repr(notifier) and slack.hook_path not in str(notifier)
    refused = SlackNotifier.from_options("x", {"webhook_url": f"http://127.0.0.1:{free_port()}{slack.hook_path}"}, {})
    outcome = await refused.send(message(), http)
    assert outcome.retryable and slack.hook_path not in outcome.detail


# Web API.


async def test_post_message_then_update_the_same_message(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    notifier = via_api(slack)
    first = await notifier.send(message(), http)
    assert first.delivered and first.detail == "200 OK (chat.postMessage)"
    [(channel, ts)] = slack.messages
    assert first.reference == f"{channel}:{ts}" and channel == "C0INCIDENTS"
    posted = slack.requests[0]
    assert posted.path == "/api/chat.postMessage"
    assert posted.headers["Authorization"] == f"Bearer {slack.token}"
    assert posted.json == {"channel": "#incidents", **payload(message())}

    ack = message("acknowledged", actor="ana", reference=first.reference)
    second = await notifier.send(ack, http)
    assert second.delivered and second.detail == "200 OK (chat.update)" and second.reference == first.reference
    updated = slack.requests[1]
    assert updated.path == "/api/chat.update"
    assert updated.json == {"channel": channel, "ts": ts, **payload(ack)}
    assert list(slack.messages) == [(channel, ts)]  # still one message, now showing the ack
    assert slack.messages[(channel, ts)]["text"].startswith("[CRITICAL] ACKNOWLEDGED by ana")


async def test_a_malformed_reference_posts_a_new_message(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    outcome = await via_api(slack).send(message(reference="not-a-reference"), http)
    assert outcome.delivered and slack.requests[0].path == "/api/chat.postMessage"


@pytest.mark.parametrize(
    ("fault", "retryable", "retry_after", "detail"),
    [
        (
            {"status": 200, "body": {"ok": False, "error": "ratelimited"}, "retry_after": 3},
            True,
            None,
            "chat.postMessage: ratelimited",
        ),
        ({"status": 429, "body": {"ok": False, "error": "ratelimited"}, "retry_after": 3}, True, 3.0, None),
        (
            {"status": 200, "body": {"ok": False, "error": "internal_error"}},
            True,
            None,
            "chat.postMessage: internal_error",
        ),
        (
            {"status": 200, "body": {"ok": False, "error": "account_inactive"}},
            False,
            None,
            "chat.postMessage: account_inactive",
        ),
        (
            {"status": 200, "body": "<html>proxy</html>"},
            True,
            None,
            "chat.postMessage: not a Slack API answer: <html>proxy</html>",
        ),
        ({"status": 503}, True, None, "503 Service Unavailable"),
    ],
)
async def test_web_api_failures(
    http: aiohttp.ClientSession,
    slack: FakeSlack,
    fault: dict[str, Any],
    retryable: bool,
    retry_after: float | None,
    detail: str | None,
) -> None:
    slack.fail_next(**fault)
    outcome = await via_api(slack).send(message(), http)
    assert not outcome.delivered
    assert (outcome.retryable, outcome.retry_after) == (retryable, retry_after)
    if detail is not None:
        assert outcome.detail == detail


async def test_wrong_token_and_unknown_channel_are_permanent(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    bad_token = await via_api(slack, token="xoxb-wrong-token-0000").send(message(), http)
    assert (bad_token.retryable, bad_token.detail) == (False, "chat.postMessage: invalid_auth")
    no_channel = await via_api(slack, channel="#nowhere").send(message(), http)
    assert (no_channel.retryable, no_channel.detail) == (False, "chat.postMessage: channel_not_found")


async def test_updating_a_deleted_message_is_permanent(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    outcome = await via_api(slack).send(message("resolved", reference="C0INCIDENTS:1.000001"), http)
    assert (outcome.delivered, outcome.retryable, outcome.detail) == (False, False, "chat.update: message_not_found")


async def test_token_never_appears_in_outcomes_or_repr(http: aiohttp.ClientSession, slack: FakeSlack) -> None:
    notifier = via_api(slack)
    slack.fail_next(200, body={"ok": False, "error": f"invalid_auth {slack.token}"})
    outcome = await notifier.send(message(), http)
    assert slack.token not in outcome.detail and "***" in outcome.detail
    slack.fail_next(401, body=f"token {slack.token} revoked")
    outcome = await notifier.send(message(), http)
    assert slack.token not in outcome.detail
    assert slack.token not in repr(notifier)


# Options.


@pytest.mark.parametrize(
    ("options", "env", "option", "problem"),
    [
        ({}, {}, "webhook_url", "is required"),
        ({"webhook_url": "https://h.example/x", "token": "t"}, {}, "token", "not both"),
        ({"webhook_url": "ftp://h.example/x"}, {}, "webhook_url", "http:// or https://"),
        ({"webhook_url": "${HOOK}"}, {}, "webhook_url", "HOOK is not set"),
        ({"webhook_url": "https://h.example/x", "channel": "#a"}, {}, "channel", "only used with token"),
        ({"token": "xoxb-1"}, {}, "channel", "is required"),
        ({"token": "xoxb-1", "channel": "#a", "api_url": "slack.com/api"}, {}, "api_url", "http:// or https://"),
        ({"token": "xoxb-1", "channel": "#a", "username": "vigil"}, {}, "username", "unknown option"),
        ({"token": "xoxb-1", "channel": "#a", "timeout": 0}, {}, "timeout", "above 0"),
    ],
)
def test_config_errors(options: dict[str, Any], env: dict[str, str], option: str, problem: str) -> None:
    with pytest.raises(NotifierConfigError, match=problem) as caught:
        SlackNotifier.from_options("oncall", options, env)
    assert caught.value.option == option


def test_registered_under_slack_with_slack_limits() -> None:
    notifier = build_notifier("oncall", "slack", {"token": "xoxb-1", "channel": "#a"}, {})
    assert isinstance(notifier, SlackNotifier)
    assert (notifier.kind, notifier.default_rate_per_second, notifier.api_url) == (
        "slack",
        1.0,
        "https://slack.com/api",
    )
