"""SMS through Twilio, against a local server that speaks Twilio's Messages API."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from notifiers.base import NotifierConfigError
from notifiers.registry import build_notifier
from notifiers.sms import GSM7_LIMIT, UCS2_LIMIT, TwilioSmsNotifier, fit, is_gsm7, sms_text, to_gsm7
from tests.fakes import FakeTwilio, incident, message

TO = "+447700900123"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


def notifier(twilio: FakeTwilio, *, token: str | None = None, **options: Any) -> TwilioSmsNotifier:
    return TwilioSmsNotifier.from_options(
        "ana-phone",
        {
            "account_sid": twilio.account_sid,
            "auth_token": "${TWILIO_TOKEN}",
            "from": twilio.numbers[0],
            "to": TO,
            "api_url": twilio.api_url,
            **options,
        },
        {"TWILIO_TOKEN": token or twilio.auth_token},
    )


def septets(text: str) -> int:
    return sum(2 if c in "\f^{}\\[~]|€" else 1 for c in text)


# Sending.


async def test_sends_one_form_encoded_message_with_basic_auth(http: aiohttp.ClientSession, twilio: FakeTwilio) -> None:
    msg = message()
    outcome = await notifier(twilio).send(msg, http)
    assert outcome.delivered and outcome.status == 201 and outcome.detail == "201 Created"
    [sent] = twilio.requests
    assert sent.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    assert sent.form == {"To": TO, "From": "+14155550100", "Body": sms_text(msg)}
    user, password = base64.b64decode(sent.headers["Authorization"].removeprefix("Basic ")).decode().split(":")
    assert (user, password) == (twilio.account_sid, twilio.auth_token)
    assert outcome.extra == {"sid": twilio.messages[0]["sid"], "status": "queued"}
    assert outcome.extra["sid"].startswith("SM")


async def test_wrong_token_is_permanent_and_never_shown(http: aiohttp.ClientSession, twilio: FakeTwilio) -> None:
    wrong = "wrong-token-abcdefgh"
    sms = notifier(twilio, token=wrong)
    outcome = await sms.send(message(), http)
    assert (outcome.delivered, outcome.retryable, outcome.status) == (False, False, 401)
    assert outcome.detail == "401 Unauthorized: Twilio error 20003: Authenticate"
    assert outcome.extra == {"code": 20003}
    twilio.fail_next(400, body={"code": 21211, "message": f"bad request with {wrong}"})
    outcome = await sms.send(message(), http)
    assert wrong not in outcome.detail and "***" in outcome.detail
    assert wrong not in repr(sms)


async def test_a_from_number_twilio_does_not_own_is_permanent(http: aiohttp.ClientSession, twilio: FakeTwilio) -> None:
    outcome = await notifier(twilio, **{"from": "+14155550999"}).send(message(), http)
    assert not outcome.retryable and "Twilio error 21606" in outcome.detail


@pytest.mark.parametrize(
    ("status", "retry_after", "retryable", "wait"),
    [(429, "2", True, 2.0), (500, None, True, None), (503, "10", True, 10.0), (404, None, False, None)],
)
async def test_provider_failures(
    http: aiohttp.ClientSession,
    twilio: FakeTwilio,
    status: int,
    retry_after: str | None,
    retryable: bool,
    wait: float | None,
) -> None:
    twilio.fail_next(status, retry_after=retry_after, body={"code": 20429, "message": "Too Many Requests"})
    outcome = await notifier(twilio).send(message(), http)
    assert (outcome.delivered, outcome.retryable, outcome.retry_after) == (False, retryable, wait)
    assert twilio.messages == []


async def test_timeout_is_retryable(http: aiohttp.ClientSession, twilio: FakeTwilio) -> None:
    twilio.delay_next(5)
    outcome = await notifier(twilio, timeout=0.2).send(message(), http)
    assert outcome.retryable and not outcome.delivered


# The text.


def test_the_text_keeps_the_headline_and_the_link() -> None:
    text = sms_text(message())
    lines = text.split("\n")
    assert lines[0] == "[CRITICAL] OPENED: advisor-api P95 1.9 s > 1 s"
    assert lines[-1] == "https://vigil.example.com/incidents/inc-e6e0d480d7f6"
    assert is_gsm7(text) and septets(text) <= GSM7_LIMIT


def test_typographic_punctuation_stays_gsm7() -> None:
    text = to_gsm7("it’s “down” – again — wait…")
    assert text == 'it\'s "down" - again - wait...'
    assert is_gsm7(text)
    assert is_gsm7(sms_text(message(snapshot=incident(title="advisor-api’s P95 – “slow”…"))))


def test_gsm7_text_is_cut_to_two_segments_by_whole_lines() -> None:
    text = "\n".join(f"line {n} " + "x" * 40 for n in range(10))
    out = fit(text, link="https://v.example/i/1")
    assert septets(out) <= GSM7_LIMIT
    assert out.endswith("\nhttps://v.example/i/1")
    assert all(line in text.split("\n") for line in out.split("\n")[:-1])  # no line cut in the middle


def test_a_long_first_line_is_cut_with_an_ellipsis() -> None:
    out = fit("y" * 400, link="https://v.example/i/1")
    assert septets(out) == GSM7_LIMIT
    assert out.endswith("...\nhttps://v.example/i/1")


def test_extension_characters_count_twice() -> None:
    out = fit("[" * 200)
    assert out.endswith("...") and septets(out) <= GSM7_LIMIT
    assert out.count("[") == (GSM7_LIMIT - 3) // 2


def test_text_that_needs_ucs2_gets_134_characters() -> None:
    out = fit("告警 " * 100, link="https://v.example/i/1")
    assert not is_gsm7(out)
    assert len(out) <= UCS2_LIMIT and out.endswith("…\nhttps://v.example/i/1")


def test_emoji_count_as_two_ucs2_units() -> None:
    out = fit("🔥" * 100)
    assert len(out.encode("utf-16-le")) // 2 <= UCS2_LIMIT
    assert out == "🔥" * 66 + "…"


def test_short_text_is_untouched() -> None:
    assert fit("all good", link="https://v.example/i/1") == "all good\nhttps://v.example/i/1"


def test_a_huge_link_is_left_out_rather_than_crowding_out_the_text() -> None:
    out = fit("headline\n" + "z" * 300, link="https://v.example/" + "a" * 200)
    assert "https://" not in out and out.startswith("headline")


# Options.


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("+14155550100", True),
        ("+447700900123", True),
        ("+123456789012345", True),  # 15 digits
        ("+1234567", False),  # 7 digits
        ("+1234567890123456", False),  # 16 digits
        ("14155550100", False),
        ("+04155550100", False),
        ("+1 415 555 0100", False),
        ("+1-415-555-0100", False),
        ("", False),
    ],
)
def test_e164_numbers(number: str, ok: bool) -> None:
    options = {"account_sid": "AC" + "a" * 32, "auth_token": "t0ken", "from": "+14155550100", "to": number}
    if ok:
        assert TwilioSmsNotifier.from_options("x", options, {}).to == number
    else:
        with pytest.raises(NotifierConfigError, match="E.164|is required") as caught:
            TwilioSmsNotifier.from_options("x", options, {})
        assert caught.value.option == "to"


@pytest.mark.parametrize(
    ("changes", "option", "problem"),
    [
        ({"to": ["+14155550100", "+14155550101"]}, "to", "one receiver per number"),
        ({"from": "0044 7700 900123"}, "from", "E.164"),
        ({"account_sid": "SK" + "a" * 32}, "account_sid", "AC then 32 hex"),
        ({"account_sid": None}, "account_sid", "is required"),
        ({"auth_token": None}, "auth_token", "is required"),
        ({"auth_token": "${TWILIO_TOKEN}"}, "auth_token", "TWILIO_TOKEN is not set"),
        ({"api_url": "api.twilio.com"}, "api_url", "http:// or https://"),
        ({"messaging_service_sid": "MG1"}, "messaging_service_sid", "unknown option"),
    ],
)
def test_config_errors(changes: dict[str, Any], option: str, problem: str) -> None:
    options = {"account_sid": "AC" + "a" * 32, "auth_token": "t0ken", "from": "+14155550100", "to": TO}
    options = {k: v for k, v in {**options, **changes}.items() if v is not None}
    with pytest.raises(NotifierConfigError, match=problem) as caught:
        TwilioSmsNotifier.from_options("x", options, {})
    assert caught.value.option == option


def test_registered_under_sms_with_its_rate() -> None:
    options = {"account_sid": "AC" + "a" * 32, "auth_token": "t0ken", "from": "+14155550100", "to": TO}
    sms = build_notifier("x", "sms", options, {})
    assert isinstance(sms, TwilioSmsNotifier)
    assert (sms.default_rate_per_second, sms.api_url) == (1.0, "https://api.twilio.com")
