"""The email notifier against a real SMTP server (aiosmtpd): STARTTLS, AUTH, what arrives, how failures read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest

from notifiers.base import Message, Notifier, NotifierConfigError
from notifiers.email import EmailNotifier, Tls, build_email, message_id
from notifiers.registry import build_notifier
from schemas.enums import IncidentEventType
from schemas.examples import INCIDENT_EVENT
from tests.smtp_server import PASSWORD, USER, SmtpTestServer, unused_port

ENV = {"SMTP_PASSWORD": PASSWORD}
INCIDENT = INCIDENT_EVENT.incident
LINK = "https://vigil.example.com/incidents/inc-5d41402abc4b?tab=timeline&x=1"


def message(**changes: Any) -> Message:
    fields: dict[str, Any] = {
        "key": "inc-5d41402abc4b:acknowledged:0",
        "receiver": "ops-email",
        "event": IncidentEventType.ACKNOWLEDGED,
        "incident": INCIDENT,
        "ts": INCIDENT_EVENT.ts,
        "actor": "ana@example.com",
        "note": "looking at the database",
        "link": LINK,
    }
    fields.update(changes)
    return Message(**fields)


def notifier(smtp: SmtpTestServer, env: dict[str, str] | None = None, **changes: Any) -> EmailNotifier:
    return EmailNotifier.from_options("ops-email", smtp.options(**changes), ENV if env is None else env)


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpTestServer]:
    async with SmtpTestServer(
        refuse={
            "gone@example.com": "550 5.1.1 mailbox unavailable",
            "busy@example.com": "451 4.3.0 try again later",
        }
    ) as server:
        yield server


EXPECTED_TEXT = """\
[CRITICAL] ACKNOWLEDGED by ana@example.com: checkout-api: p99 latency of /pay above 1s for 5m

Severity: critical | Status: acknowledged by ana@example.com, open for 2 min
Root cause candidate: postgres
Services: checkout-api, postgres
Suspect: postgres 16.4-2 deployed 3 min before the incident
Note: looking at the database
Alerts: 2 firing | Incident: inc-5d41402abc4b

Latest changes:
  2026-01-01 00:05:01 UTC  opened by checkout_latency_p99_high on checkout-api (high)
  2026-01-01 00:05:31 UTC  PostgresReplicationLag on postgres joined: checkout-api depends on postgres, which is alerting
  2026-01-01 00:05:31 UTC  severity high → critical (PostgresReplicationLag on postgres)
  2026-01-01 00:07:00 UTC  acknowledged by ana@example.com: looking at the database

Open the incident: https://vigil.example.com/incidents/inc-5d41402abc4b?tab=timeline&x=1

--
Vigil, to receiver ops-email
"""

EXPECTED_HTML = """\
<!DOCTYPE html>
<html><body style="font-family: sans-serif">
<h2>[CRITICAL] ACKNOWLEDGED by ana@example.com: checkout-api: p99 latency of /pay above 1s for 5m</h2>
<ul>
<li>Severity: critical | Status: acknowledged by ana@example.com, open for 2 min</li>
<li>Root cause candidate: postgres</li>
<li>Services: checkout-api, postgres</li>
<li>Suspect: postgres 16.4-2 deployed 3 min before the incident</li>
<li>Note: looking at the database</li>
<li>Alerts: 2 firing | Incident: inc-5d41402abc4b</li>
</ul>
<h3>Latest changes</h3>
<ul>
<li><code>2026-01-01 00:05:01 UTC</code> opened by checkout_latency_p99_high on checkout-api (high)</li>
<li><code>2026-01-01 00:05:31 UTC</code> PostgresReplicationLag on postgres joined: checkout-api depends on postgres, which is alerting</li>
<li><code>2026-01-01 00:05:31 UTC</code> severity high → critical (PostgresReplicationLag on postgres)</li>
<li><code>2026-01-01 00:07:00 UTC</code> acknowledged by ana@example.com: looking at the database</li>
</ul>
<p><a href="https://vigil.example.com/incidents/inc-5d41402abc4b?tab=timeline&amp;x=1">Open the incident</a></p>
<p><small>Vigil, to receiver ops-email</small></p>
</body></html>
"""


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
async def test_delivers_over_starttls_after_auth_and_the_server_receives_exactly_this(mechanism: str) -> None:
    async with SmtpTestServer(auth_mechanisms=(mechanism,)) as smtp:
        email = notifier(smtp, to=["ops@example.com", "Ana Lima <ana@example.com>"])

        outcome = await email.send(message(), None)  # type: ignore[arg-type]  # SMTP needs no HTTP session

        assert outcome.delivered, outcome
        assert (outcome.status, outcome.retryable) == (250, False)
        assert outcome.detail == "250 2.0.0 Message accepted for delivery"
        assert outcome.extra == {"message_id": "<inc-5d41402abc4b=3Aacknowledged=3A0@vigil>"}
        assert [(a.mechanism, a.login, a.success) for a in smtp.auth_attempts] == [(mechanism, USER, True)]
        [received] = smtp.messages
        assert received.tls and received.login == USER
        assert received.mail_from == "vigil@example.com"
        assert received.rcpt_tos == ["ops@example.com", "ana@example.com"]
        headers = [(k, str(v)) for k, v in received.message.items() if k != "Content-Type"]
        assert headers == [
            (
                "Subject",
                "[CRITICAL] ACKNOWLEDGED by ana@example.com: checkout-api: p99 latency of /pay above 1s for 5m",
            ),
            ("From", "Vigil <vigil@example.com>"),
            ("To", "ops@example.com, Ana Lima <ana@example.com>"),
            ("Date", "Thu, 01 Jan 2026 00:07:00 +0000"),
            ("Message-ID", "<inc-5d41402abc4b=3Aacknowledged=3A0@vigil>"),
            ("In-Reply-To", "<inc-5d41402abc4b@vigil>"),
            ("References", "<inc-5d41402abc4b@vigil>"),
            ("Auto-Submitted", "auto-generated"),
            ("X-Vigil-Incident", "inc-5d41402abc4b"),
            ("X-Vigil-Event", "acknowledged"),
            ("X-Vigil-Severity", "critical"),
            ("MIME-Version", "1.0"),
        ]
        assert received.message.get_content_type() == "multipart/alternative"
        text, html = received.message.iter_parts()
        assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
        assert text.get_content_charset() == html.get_content_charset() == "utf-8"
        assert "MIME-Version" not in html
        assert text.get_content().replace("\r\n", "\n") == EXPECTED_TEXT
        assert html.get_content().replace("\r\n", "\n") == EXPECTED_HTML
        assert PASSWORD.encode() not in received.data


async def test_implicit_tls_delivers_too() -> None:
    async with SmtpTestServer(tls="implicit") as smtp:
        email = notifier(smtp)
        assert email.port == smtp.port and email.tls is Tls.IMPLICIT

        outcome = await email.send(message(), None)  # type: ignore[arg-type]

        assert outcome.delivered, outcome
        [received] = smtp.messages
        assert received.tls and received.login == USER and received.rcpt_tos == ["ops@example.com"]


async def test_every_message_of_one_incident_threads_and_a_repeat_keeps_its_message_id(smtp: SmtpTestServer) -> None:
    email = notifier(smtp)
    first = message(key="inc-5d41402abc4b:opened:0", event=IncidentEventType.OPENED, actor=None, note=None)
    later = message()

    for sent in (first, later, later):
        assert (await email.send(sent, None)).delivered  # type: ignore[arg-type]

    ids = [r.message["Message-ID"] for r in smtp.messages]
    assert ids == [
        "<inc-5d41402abc4b=3Aopened=3A0@vigil>",
        "<inc-5d41402abc4b=3Aacknowledged=3A0@vigil>",
        "<inc-5d41402abc4b=3Aacknowledged=3A0@vigil>",  # the same key: a mail client can see the duplicate
    ]
    assert {r.message["References"] for r in smtp.messages} == {"<inc-5d41402abc4b@vigil>"}
    assert {r.message["In-Reply-To"] for r in smtp.messages} == {"<inc-5d41402abc4b@vigil>"}


async def test_wrong_password_is_535_and_not_retried_and_the_password_shows_nowhere(smtp: SmtpTestServer) -> None:
    wrong = "not-the-password-1234"
    email = notifier(smtp, env={"SMTP_PASSWORD": wrong})

    outcome = await email.send(message(), None)  # type: ignore[arg-type]

    assert not outcome.delivered
    assert (outcome.status, outcome.retryable) == (535, False)
    assert outcome.detail == "535 5.7.8 Authentication credentials invalid"
    assert smtp.messages == []
    # aiosmtplib tries each mechanism the server offers before giving up
    assert {(a.mechanism, a.login, a.success) for a in smtp.auth_attempts} == {
        ("PLAIN", USER, False),
        ("LOGIN", USER, False),
    }
    assert wrong not in repr(email) and wrong not in str(outcome)


async def test_a_server_reply_that_echoes_the_password_is_redacted() -> None:
    async with SmtpTestServer(refuse={"ops@example.com": f"550 5.1.1 no mailbox, and by the way {PASSWORD}"}) as smtp:
        outcome = await notifier(smtp).send(message(), None)  # type: ignore[arg-type]

    assert not outcome.delivered and outcome.status == 550
    assert PASSWORD not in outcome.detail
    assert outcome.detail == "every recipient refused: 550 5.1.1 no mailbox, and by the way ***"


@pytest.mark.parametrize(
    ("to", "status", "retryable"),
    [
        (["gone@example.com"], 550, False),  # permanent: the mailbox does not exist
        (["busy@example.com"], 451, True),  # transient: try again later
    ],
)
async def test_refused_recipients_are_classified_by_reply_code(
    smtp: SmtpTestServer, to: list[str], status: int, retryable: bool
) -> None:
    outcome = await notifier(smtp, to=to).send(message(), None)  # type: ignore[arg-type]

    assert not outcome.delivered
    assert (outcome.status, outcome.retryable) == (status, retryable)
    assert smtp.messages == []


async def test_some_recipients_refused_is_delivered_with_the_refusals_recorded(smtp: SmtpTestServer) -> None:
    outcome = await notifier(smtp, to=["ops@example.com", "gone@example.com"]).send(message(), None)  # type: ignore[arg-type]

    assert outcome.delivered
    assert outcome.extra["refused"] == {"gone@example.com": 550}
    assert outcome.detail == "250 2.0.0 Message accepted for delivery (1 of 2 recipients refused)"
    assert [r.rcpt_tos for r in smtp.messages] == [["ops@example.com"]]


async def test_server_down_is_retryable(smtp: SmtpTestServer) -> None:
    outcome = await notifier(smtp, port=unused_port()).send(message(), None)  # type: ignore[arg-type]

    assert not outcome.delivered
    assert outcome.retryable and outcome.status is None
    assert outcome.detail.startswith("connection failed: ")


async def test_a_server_that_never_answers_times_out_retryably(smtp: SmtpTestServer) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never sends the 220 greeting; returns when the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        outcome = await notifier(smtp, port=port, timeout=0.2).send(message(), None)  # type: ignore[arg-type]
    finally:
        server.close()
        await server.wait_closed()

    assert not outcome.delivered
    assert outcome.retryable and outcome.status is None
    assert outcome.detail.startswith("timed out: ")


async def test_an_untrusted_certificate_is_refused_and_not_retried(smtp: SmtpTestServer) -> None:
    outcome = await notifier(smtp, ca_file=None).send(message(), None)  # type: ignore[arg-type]

    assert not outcome.delivered and not outcome.retryable
    assert outcome.detail.startswith("TLS certificate rejected: ")
    assert smtp.messages == []


async def test_tls_verify_false_accepts_any_certificate(smtp: SmtpTestServer) -> None:
    outcome = await notifier(smtp, ca_file=None, tls_verify=False).send(message(), None)  # type: ignore[arg-type]

    assert outcome.delivered, outcome
    assert smtp.messages[0].tls


def test_every_value_is_html_escaped_and_the_subject_is_one_line() -> None:
    incident = msgspec.structs.replace(INCIDENT, title="<script>alert(1)</script> & friends\nSecond: line")
    hostile = message(incident=incident, note='"quoted" <b>bold</b>', link="javascript:alert(1)")

    email = build_email(hostile, sender="vigil@example.com", recipients=("ops@example.com",))

    assert "\n" not in email["Subject"]
    assert email["Subject"].endswith("<script>alert(1)</script> & friends Second: line")
    text, html = email.iter_parts()
    assert 'Note: "quoted" <b>bold</b>' in text.get_content()
    body = html.get_content()
    assert "<script>" not in body and "<b>bold" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in body
    assert "Note: &quot;quoted&quot; &lt;b&gt;bold&lt;/b&gt;" in body
    assert "href" not in body  # only http(s) links become links
    assert "Open the incident: javascript:alert(1)" in body


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("inc-5d41402abc4b", "<inc-5d41402abc4b@vigil>"),
        ("inc-1:opened:0", "<inc-1=3Aopened=3A0@vigil>"),
        ("a b.c@d<e>", "<a=20b=2Ec=40d=3Ce=3E@vigil>"),
        ("x=y", "<x=3Dy@vigil>"),  # the escape character is escaped, so distinct keys stay distinct
        ("é", "<=C3=A9@vigil>"),
    ],
)
def test_message_ids_are_valid_and_recognisable(token: str, expected: str) -> None:
    assert message_id(token) == expected


def test_a_very_long_key_becomes_a_digest() -> None:
    long = message_id("k" * 300)
    assert long.startswith("<sha256-") and long.endswith("@vigil>") and len(long) < 64
    assert long == message_id("k" * 300) != message_id("k" * 301)


def base_options(**changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "host": "smtp.example.com",
        "username": "vigil",
        "password": "${SMTP_PASSWORD}",
        "from": "Vigil <vigil@example.com>",
        "to": ["ops@example.com"],
    }
    options.update(changes)
    return {k: v for k, v in options.items() if v is not None}


def test_defaults() -> None:
    email = EmailNotifier.from_options("ops-email", base_options(), ENV)

    assert (email.host, email.port, email.tls, email.timeout, email.tls_verify) == (
        "smtp.example.com",
        587,
        Tls.STARTTLS,
        10.0,
        True,
    )
    assert email.recipients == ("ops@example.com",) and email.username == "vigil"
    assert email.password is not None and email.password.reveal() == PASSWORD
    assert PASSWORD not in repr(email) and PASSWORD not in str(email)
    assert isinstance(email, Notifier)
    assert EmailNotifier.kind == "email" and EmailNotifier.default_rate_per_second == 5.0
    assert EmailNotifier.from_options("x", base_options(tls="implicit"), ENV).port == 465


def test_the_registry_builds_it_by_kind() -> None:
    assert isinstance(build_notifier("ops-email", "email", base_options(to="ops@example.com"), ENV), EmailNotifier)


def test_a_relay_without_auth_or_tls_is_allowed() -> None:
    email = EmailNotifier.from_options("relay", base_options(tls="none", username=None, password=None), {})
    assert (email.port, email.username, email.password, email.tls_context) == (25, None, None, None)


@pytest.mark.parametrize(
    ("changes", "env", "option", "problem"),
    [
        ({"smtp_host": "x"}, ENV, "smtp_host", "unknown option(s) smtp_host"),
        ({"host": None}, ENV, "host", "is required"),
        ({"host": "smtp example.com"}, ENV, "host", "is not a host name"),
        ({"port": 0}, ENV, "port", "must be a port number"),
        ({"port": "587"}, ENV, "port", "must be a port number"),
        ({"tls": "ssl"}, ENV, "tls", "must be one of starttls, implicit, none"),
        ({}, {}, "password", "environment variable SMTP_PASSWORD is not set"),
        ({"password": None}, ENV, "password", "is required"),
        ({"username": None}, ENV, "username", "is required when a password is given"),
        ({"tls": "none"}, ENV, "password", "would travel in clear text"),
        ({"from": None}, ENV, "from", "is required"),
        ({"from": "vigil"}, ENV, "from", "is not an email address"),
        ({"to": []}, ENV, "to", "must be a non-empty list"),
        ({"to": ["ops@example.com", "not an address"]}, ENV, "to[1]", "is not an email address"),
        ({"to": ["ops@example.com\r\nBcc: all@example.com"]}, ENV, "to[0]", "must not contain a line break"),
        ({"to": [42]}, ENV, "to[0]", "must be a string"),
        ({"timeout": 0}, ENV, "timeout", "must be a positive number"),
        ({"tls_verify": "no"}, ENV, "tls_verify", "must be true or false"),
        ({"ca_file": "/nonexistent/ca.pem"}, ENV, "ca_file", "no such file"),
    ],
)
def test_bad_options_are_refused_naming_the_option(
    changes: dict[str, Any], env: dict[str, str], option: str, problem: str
) -> None:
    with pytest.raises(NotifierConfigError) as caught:
        EmailNotifier.from_options("ops-email", base_options(**changes), env)
    assert caught.value.option == option
    assert problem in caught.value.problem
    assert PASSWORD not in str(caught.value)


def test_a_ca_file_that_is_not_a_certificate_is_refused(tmp_path: Any) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    with pytest.raises(NotifierConfigError) as caught:
        EmailNotifier.from_options("ops-email", base_options(ca_file=str(bad)), ENV)
    assert caught.value.option == "ca_file" and "cannot be loaded" in caught.value.problem
