"""Email: one SMTP transaction per attempt, over STARTTLS (or implicit TLS) with AUTH.

Each notification is a multipart/alternative message (plain text and
HTML, every value HTML-escaped) whose Message-ID is derived from the
idempotency key, so a duplicate is recognisable in any mailbox, and whose
In-Reply-To/References point at `<incident-id@vigil>`, so mail clients
thread one incident's messages together.

SMTP says what a failure means: a 4xx reply is transient (try again), a
5xx reply is permanent (550 no such mailbox, 535 bad credentials), and a
connection that cannot be made or times out is worth another try. The
password is a `Secret`; it reaches only aiosmtplib, and every detail is
redacted of it in case a server echoes it back.
"""

from __future__ import annotations

import hashlib
import html
import math
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from enum import StrEnum
from typing import Any, ClassVar

import aiohttp
import aiosmtplib

from notifiers.base import Message, NotifierConfigError, Outcome
from notifiers.render import details, headline
from notifiers.secrets import Secret, expand, redact, secret_option
from schemas import TimelineEntry

__all__ = ["EmailNotifier", "Tls", "build_email", "classify_smtp_error", "message_id"]

MSGID_DOMAIN = "vigil"
MAX_TIMELINE = 5  #: latest timeline entries shown in the body
MAX_DETAIL = 300
_OPTIONS = frozenset({"host", "port", "tls", "username", "password", "from", "to", "timeout", "ca_file", "tls_verify"})
_MSGID_SAFE = re.compile(r"[A-Za-z0-9!#$%&'*+/?^_`{|}~-]")  # RFC 5322 atext, less "=" (the escape) and "."
_ADDR = re.compile(r"[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


class Tls(StrEnum):
    STARTTLS = "starttls"  #: plain connection upgraded with STARTTLS, which the server must offer (submission, 587)
    IMPLICIT = "implicit"  #: TLS from the first byte (submissions, 465)
    NONE = "none"  #: no encryption: only for a relay on localhost; refuses a password


_DEFAULT_PORT = {Tls.STARTTLS: 587, Tls.IMPLICIT: 465, Tls.NONE: 25}


@dataclass(frozen=True, kw_only=True)
class EmailNotifier:
    """One email receiver: an SMTP server and the addresses to write to."""

    kind: ClassVar[str] = "email"
    #: Conservative for a submission server; many limit a sender to a few messages a second.
    default_rate_per_second: ClassVar[float] = 5.0

    name: str
    host: str
    port: int
    tls: Tls
    sender: str  #: the From header as configured, e.g. `Vigil <vigil@example.com>`
    recipients: tuple[str, ...]  #: To addresses as configured (display names allowed)
    username: str | None = None
    password: Secret | None = None
    timeout: float = 10.0
    ca_file: str | None = None
    tls_verify: bool = True
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> EmailNotifier:
        """Validate every option now, so a bad pack fails at load time, naming the option."""
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise NotifierConfigError(unknown[0], f"unknown option(s) {', '.join(unknown)} for an email receiver")
        tls = _tls(options.get("tls", Tls.STARTTLS))
        host = _text("host", options.get("host"), env)
        if any(c.isspace() for c in host):
            raise NotifierConfigError("host", f"is not a host name: {host!r}")
        port = options.get("port", _DEFAULT_PORT[tls])
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise NotifierConfigError("port", f"must be a port number (1-65535), not {port!r}")
        username = None
        if options.get("username") not in (None, ""):
            username = _text("username", options.get("username"), env)
        password = secret_option("password", options.get("password"), env, required=username is not None)
        if password is not None and username is None:
            raise NotifierConfigError("username", "is required when a password is given")
        if password is not None and tls is Tls.NONE:
            raise NotifierConfigError("password", "would travel in clear text with tls: none; use starttls or implicit")
        sender = _text("from", options.get("from"), env)
        _address("from", sender)
        recipients = options.get("to")
        if isinstance(recipients, str):
            recipients = [recipients]
        if not isinstance(recipients, list | tuple) or not recipients:
            raise NotifierConfigError("to", "must be a non-empty list of email addresses")
        to = tuple(_text(f"to[{i}]", recipient, env) for i, recipient in enumerate(recipients))
        for i, recipient in enumerate(to):
            _address(f"to[{i}]", recipient)
        timeout = options.get("timeout", 10.0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not (0 < timeout < math.inf):
            raise NotifierConfigError("timeout", f"must be a positive number of seconds, not {timeout!r}")
        tls_verify = options.get("tls_verify", True)
        if not isinstance(tls_verify, bool):
            raise NotifierConfigError("tls_verify", f"must be true or false, not {tls_verify!r}")
        ca_file = options.get("ca_file")
        if ca_file is not None and (not isinstance(ca_file, str) or not ca_file):
            raise NotifierConfigError("ca_file", f"must be a path to a PEM file, not {ca_file!r}")
        context = None if tls is Tls.NONE else _tls_context(ca_file, tls_verify)
        return cls(
            name=name,
            host=host,
            port=port,
            tls=tls,
            sender=sender,
            recipients=to,
            username=username,
            password=password,
            timeout=float(timeout),
            ca_file=ca_file,
            tls_verify=tls_verify,
            tls_context=context,
        )

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        """One SMTP transaction; every failure comes back as an Outcome."""
        del http  # SMTP, not HTTP
        email = build_email(message, sender=self.sender, recipients=self.recipients)
        try:
            refused, reply = await aiosmtplib.send(
                email,
                sender=parseaddr(self.sender)[1],
                recipients=[parseaddr(r)[1] for r in self.recipients],
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password.reveal() if self.password is not None else None,
                use_tls=self.tls is Tls.IMPLICIT,
                start_tls=self.tls is Tls.STARTTLS,
                tls_context=self.tls_context,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:  # OSError includes TimeoutError and ssl.SSLError
            outcome = classify_smtp_error(exc)
            return Outcome(
                delivered=False,
                detail=self._clean(outcome.detail),
                status=outcome.status,
                retryable=outcome.retryable,
            )
        detail = f"250 {reply}"
        extra: dict[str, Any] = {"message_id": email["Message-ID"]}
        if refused:
            extra["refused"] = {address: response.code for address, response in refused.items()}
            detail += f" ({len(refused)} of {len(self.recipients)} recipients refused)"
        return Outcome(delivered=True, detail=self._clean(detail), status=250, extra=extra)

    def _clean(self, text: str) -> str:
        """One short line with no secret in it, whatever the server said."""
        text = " ".join(redact(text, [self.password]).split())
        return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def classify_smtp_error(exc: BaseException) -> Outcome:
    """A failed SMTP transaction as an Outcome: 4xx and network trouble are retryable, 5xx are not."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        first = exc.recipients[0] if exc.recipients else None
        said = f": {first.code} {first.message}" if first is not None else ""
        return Outcome(
            False,
            f"every recipient refused{said}",
            status=codes[0] if codes else None,
            retryable=any(400 <= code < 500 for code in codes),
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return Outcome(
            False,
            f"{exc.code} {exc.message}",
            status=exc.code if exc.code > 0 else None,
            retryable=not 500 <= exc.code < 600,
        )
    cert = _cause(exc, ssl.SSLCertVerificationError)
    if cert is not None:  # a wrong certificate will not be right next time
        return Outcome(False, f"TLS certificate rejected: {cert.verify_message or cert.reason}")
    if isinstance(exc, TimeoutError):
        return Outcome(False, f"timed out: {exc}", retryable=True)
    if isinstance(exc, ConnectionError | OSError):  # includes SMTPConnectError and SMTPServerDisconnected
        return Outcome(False, f"connection failed: {exc}", retryable=True)
    # SMTPNotSupported and the rest: the server lacks what we are configured to use (STARTTLS, an AUTH method).
    return Outcome(False, f"not supported by the server: {exc}")


def build_email(message: Message, *, sender: str, recipients: tuple[str, ...] | list[str]) -> EmailMessage:
    """The email for one notification: headers that identify and thread it, a text and an HTML part."""
    incident = message.incident
    email = EmailMessage()
    email["Subject"] = " ".join(headline(message).split())
    email["From"] = sender
    email["To"] = ", ".join(formataddr(parseaddr(r)) for r in recipients)
    email["Date"] = formatdate(message.ts, usegmt=True)
    email["Message-ID"] = message_id(message.key)
    thread = message_id(incident.id)
    email["In-Reply-To"] = thread
    email["References"] = thread
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders must not answer
    email["X-Vigil-Incident"] = incident.id
    email["X-Vigil-Event"] = str(message.event)
    email["X-Vigil-Severity"] = str(incident.severity)
    email.set_content(_text_body(message))
    email.add_alternative(_html_body(message), subtype="html")
    for part in email.iter_parts():
        del part["MIME-Version"]  # add_alternative repeats it on a part; it belongs on the message only
    return email


def message_id(token: str) -> str:
    """`<token@vigil>`, with characters a Message-ID cannot hold written `=XX`, so it stays recognisable."""
    local = "".join(ch if _MSGID_SAFE.fullmatch(ch) else "".join(f"={b:02X}" for b in ch.encode()) for ch in token)
    if len(local) > 200:  # keep the header short; a digest still identifies the key
        local = "sha256-" + hashlib.sha256(token.encode()).hexdigest()[:40]
    return f"<{local}@{MSGID_DOMAIN}>"


def _text_body(message: Message) -> str:
    lines = [headline(message), "", *details(message, link=False)]
    timeline = _latest(message.incident.timeline)
    if timeline:
        lines += ["", "Latest changes:"]
        lines += [f"  {_when(entry.ts)}  {entry.text}" for entry in timeline]
    if message.link:
        lines += ["", f"Open the incident: {message.link}"]
    lines += ["", "--", f"Vigil, to receiver {message.receiver}"]
    return "\n".join(lines) + "\n"


def _html_body(message: Message) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html><body style="font-family: sans-serif">',
        f"<h2>{e(headline(message))}</h2>",
        "<ul>",
        *(f"<li>{e(line)}</li>" for line in details(message, link=False)),
        "</ul>",
    ]
    timeline = _latest(message.incident.timeline)
    if timeline:
        parts.append("<h3>Latest changes</h3>")
        parts.append("<ul>")
        parts += [f"<li><code>{e(_when(entry.ts))}</code> {e(entry.text)}</li>" for entry in timeline]
        parts.append("</ul>")
    if message.link:
        if message.link.startswith(("https://", "http://")):
            parts.append(f'<p><a href="{e(message.link)}">Open the incident</a></p>')
        else:
            parts.append(f"<p>Open the incident: {e(message.link)}</p>")
    parts.append(f"<p><small>Vigil, to receiver {e(message.receiver)}</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _latest(timeline: list[TimelineEntry]) -> list[TimelineEntry]:
    return timeline[-MAX_TIMELINE:]


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _cause(exc: BaseException, kind: type[ssl.SSLCertVerificationError]) -> ssl.SSLCertVerificationError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _text(option: str, value: object, env: Mapping[str, str]) -> str:
    if value is None or value == "":
        raise NotifierConfigError(option, "is required")
    if not isinstance(value, str):
        raise NotifierConfigError(option, f"must be a string, not {type(value).__name__}")
    return expand(option, value, env).strip()


def _tls(value: object) -> Tls:
    if isinstance(value, str) and value in {t.value for t in Tls}:
        return Tls(value)
    allowed = ", ".join(member.value for member in Tls)
    raise NotifierConfigError("tls", f"must be one of {allowed}, not {value!r}")


def _address(option: str, value: str) -> None:
    """An address we can put in a header and an envelope: no line breaks, a local part and a domain."""
    if "\r" in value or "\n" in value:
        raise NotifierConfigError(option, "must not contain a line break")
    _, address = parseaddr(value)
    if not _ADDR.fullmatch(address):
        raise NotifierConfigError(option, f"is not an email address: {value!r}")


def _tls_context(ca_file: str | None, verify: bool) -> ssl.SSLContext:
    if ca_file is not None and not os.path.isfile(ca_file):
        raise NotifierConfigError("ca_file", f"no such file: {ca_file}")
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (ssl.SSLError, OSError) as exc:
        raise NotifierConfigError("ca_file", f"cannot be loaded: {exc}") from exc
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
