"""A real SMTP server for tests: aiosmtpd with STARTTLS (a trustme CA), AUTH LOGIN/PLAIN, and capture.

It runs in the test's own event loop on a free port of 127.0.0.1, so there
is no thread or fixed port to leak. Clients trust it through `ca_file`;
they log in as `USER`/`PASSWORD`. Recipients listed in `refuse` get that
reply at RCPT (e.g. `550 5.1.1 mailbox unavailable`), so tests can see
permanent and transient refusals. Every accepted message is kept in
`messages`, parsed, with its envelope and the session's TLS and login.

    async with SmtpTestServer() as smtp:
        ... send to smtp.host:smtp.port with ca_file=smtp.ca_file ...
        assert smtp.messages[0].rcpt_tos == ["ops@example.com"]
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = ["PASSWORD", "USER", "AuthAttempt", "Received", "SmtpTestServer", "unused_port"]

USER = "vigil-mailer"
PASSWORD = "correct-horse-battery-staple"
SERVER_NAME = "smtp.vigil.test"


class _QuietLoginData(logging.Filter):
    """aiosmtpd logs a deprecation of its own `login_data` on every successful AUTH; it is not ours to fix."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietLoginData())


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes  #: exactly what the client sent after DATA
    message: EmailMessage  #: `data` parsed with the modern email policy
    tls: bool  #: the session was encrypted (STARTTLS or implicit TLS)
    login: str | None  #: the user the session authenticated as


@dataclass(frozen=True)
class AuthAttempt:
    mechanism: str  #: LOGIN or PLAIN
    login: str
    success: bool


@dataclass
class _Handler:
    refuse: Mapping[str, str]
    implicit_tls: bool
    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.refuse.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.messages.append(
            Received(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                data=data,
                message=parsed,
                tls=self.implicit_tls or session.ssl is not None,
                login=login,
            )
        )
        return "250 2.0.0 Message accepted for delivery"


class SmtpTestServer:
    """An SMTP submission server on 127.0.0.1 for one test (or one module)."""

    def __init__(
        self,
        *,
        tls: str = "starttls",
        auth_mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
        refuse: Mapping[str, str] | None = None,
    ) -> None:
        if tls not in ("starttls", "implicit"):
            raise ValueError(f"tls must be starttls or implicit, not {tls!r}")
        self.tls = tls
        self.ca = trustme.CA()
        self.auth_attempts: list[AuthAttempt] = []
        self._mechanisms = auth_mechanisms
        self._handler = _Handler(dict(refuse or {}), implicit_tls=tls == "implicit")
        self._server: asyncio.Server | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.ca_file = ""

    @property
    def messages(self) -> list[Received]:
        return self._handler.messages

    async def start(self) -> SmtpTestServer:
        self._dir = tempfile.TemporaryDirectory(prefix="vigil-smtp-")
        ca_path = Path(self._dir.name) / "ca.pem"
        self.ca.cert_pem.write_to_path(str(ca_path))
        self.ca_file = str(ca_path)
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost", SERVER_NAME).configure_cert(server_context)
        loop = asyncio.get_running_loop()
        implicit = self.tls == "implicit"
        excluded = [m for m in ("LOGIN", "PLAIN") if m not in self._mechanisms]

        def protocol() -> SMTP:
            return SMTP(
                self._handler,
                hostname=SERVER_NAME,
                tls_context=None if implicit else server_context,
                require_starttls=not implicit,
                # aiosmtpd only knows a STARTTLS session as encrypted, so with implicit
                # TLS it must not insist on it (nor, then, on AUTH: it warns otherwise).
                auth_required=not implicit,
                auth_require_tls=not implicit,
                auth_exclude_mechanism=excluded,
                authenticator=self._authenticate,
                loop=loop,
            )

        self._server = await loop.create_server(protocol, self.host, 0, ssl=server_context if implicit else None)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    async def __aenter__(self) -> SmtpTestServer:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def options(self, **changes: Any) -> dict[str, Any]:
        """Email receiver options that reach this server and log in (password from `${SMTP_PASSWORD}`)."""
        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "tls": self.tls,
            "ca_file": self.ca_file,
            "username": USER,
            "password": "${SMTP_PASSWORD}",
            "from": "Vigil <vigil@example.com>",
            "to": ["ops@example.com"],
            "timeout": 5,
        }
        options.update(changes)
        return options

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        login = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else ""
        self.auth_attempts.append(AuthAttempt(mechanism, login, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def unused_port() -> int:
    """A TCP port on 127.0.0.1 with nobody listening (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
