"""Signed generic webhooks: the whole incident as JSON, for receivers Vigil has no channel for.

The body is versioned (`"version": "1"`) and carries the message's
idempotency `key` (also the `Idempotency-Key` header), so a receiver can
drop the duplicates a retry may cause. With a `secret`, each request is
signed like Stripe and Slack sign theirs:

    X-Vigil-Timestamp: <unix seconds>
    X-Vigil-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

Signing the timestamp with the body lets `verify_signature` refuse an old
request replayed later, not only a forged one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp
import msgspec
import orjson

from notifiers.base import Message, NotifierConfigError, Outcome
from notifiers.http import check_options, post, timeout_option, url_option
from notifiers.secrets import Secret, expand, secret_option

__all__ = [
    "IDEMPOTENCY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "VERSION",
    "WebhookNotifier",
    "body_for",
    "sign",
    "verify_signature",
]

VERSION = "1"
TIMESTAMP_HEADER = "X-Vigil-Timestamp"
SIGNATURE_HEADER = "X-Vigil-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_TOLERANCE = 300.0  # seconds: clocks drift a little; a replay an hour later is refused
OPTIONS = ("url", "secret", "headers", "timeout")
_RESERVED = frozenset(h.lower() for h in (TIMESTAMP_HEADER, SIGNATURE_HEADER, IDEMPOTENCY_HEADER)) | {
    "content-type",
    "content-length",
    "host",
    "transfer-encoding",
}
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110 header field name
_VAR = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass(frozen=True, kw_only=True)
class WebhookNotifier:
    """One HTTP endpoint that receives every message as signed JSON."""

    kind: ClassVar[str] = "webhook"
    default_rate_per_second: ClassVar[float] = 10.0  # our own endpoint, not a provider's quota

    name: str
    url: Secret  #: may embed a token (`?key=…`), so it is never shown
    secret: Secret | None = None
    headers: tuple[tuple[str, str | Secret], ...] = ()  #: values that came from ${VAR} are secrets
    timeout: float = 10.0

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> WebhookNotifier:
        check_options(options, OPTIONS)
        url = url_option("url", options.get("url"), env)
        return cls(
            name=name,
            url=Secret(url),
            secret=secret_option("secret", options.get("secret"), env, required=False),
            headers=_headers(options.get("headers"), env),
            timeout=timeout_option(options.get("timeout")),
        )

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        body = body_for(message)
        timestamp = int(time.time())
        headers = {name: value.reveal() if isinstance(value, Secret) else value for name, value in self.headers}
        headers[IDEMPOTENCY_HEADER] = message.key
        headers[TIMESTAMP_HEADER] = str(timestamp)
        if self.secret is not None:
            headers[SIGNATURE_HEADER] = sign(self.secret.reveal(), timestamp, body)
        reply = await post(
            http,
            self.url.reveal(),
            body=body,
            content_type="application/json",
            headers=headers,
            timeout=self.timeout,
            secrets=self._secrets(),
        )
        return reply.outcome

    def _secrets(self) -> list[Secret | str | None]:
        return [self.url, self.secret, *(value for _, value in self.headers if isinstance(value, Secret))]


def body_for(message: Message) -> bytes:
    """The JSON body: the message's fields and the full incident snapshot."""
    return orjson.dumps(
        {
            "version": VERSION,
            "key": message.key,
            "receiver": message.receiver,
            "event": str(message.event),
            "ts": message.ts,
            "level": message.level,
            "actor": message.actor,
            "note": message.note,
            "link": message.link,
            "incident": msgspec.to_builtins(message.incident),
        }
    )


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 over `{timestamp}.{body}`."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    header: str,
    now: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> bool:
    """For receivers: True if `header` signs `timestamp` + `body` with `secret` and the timestamp is recent.

    `header` may list several signatures separated by commas (while a secret is rotated); one match is
    enough. A timestamp more than `tolerance` seconds from `now`, either way, is refused as a replay.
    """
    if not (timestamp.isascii() and timestamp.isdigit()) or abs(now - int(timestamp)) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate.strip()) for candidate in header.split(","))


def _headers(value: object, env: Mapping[str, str]) -> tuple[tuple[str, str | Secret], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise NotifierConfigError("headers", f"must be a mapping of header name to value, not {type(value).__name__}")
    out: list[tuple[str, str | Secret]] = []
    for name, raw in value.items():
        option = f"headers.{name}"
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise NotifierConfigError(option, "is not a valid HTTP header name")
        if name.lower() in _RESERVED:
            raise NotifierConfigError(option, "is set by Vigil and cannot be overridden")
        if not isinstance(raw, str):
            raise NotifierConfigError(option, f"must be a string, not {type(raw).__name__}")
        resolved = expand(option, raw, env)
        if "\n" in resolved or "\r" in resolved:
            raise NotifierConfigError(option, "must be on one line")
        out.append((name, Secret(resolved) if _VAR.search(raw) else resolved))
    return tuple(out)
