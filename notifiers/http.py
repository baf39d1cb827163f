"""One way for every HTTP channel to POST and read the answer as an `Outcome`.

Slack, PagerDuty, Twilio and webhooks fail the same ways (5xx, 429 with
Retry-After, timeouts, refused connections), so the retry classification
lives here once, like Alertmanager's `Retrier`: 2xx is delivered; 408, 429
and 5xx are worth retrying (with the provider's Retry-After, in seconds or
as an HTTP date); any other 4xx is permanent, with a short, redacted
snippet of the provider's complaint so people can fix the receiver.
Network errors never escape as exceptions: they are retryable Outcomes.

The option helpers below are shared by the HTTP channels so that URLs,
timeouts and unknown option names are validated, and worded, the same way.
"""

from __future__ import annotations

import base64
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import orjson
from multidict import CIMultiDict

from notifiers.base import NotifierConfigError, Outcome
from notifiers.secrets import Secret, expand, redact, secret_option

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_SNIPPET",
    "Reply",
    "basic_auth",
    "check_options",
    "classify",
    "failure",
    "parse_retry_after",
    "post",
    "post_form",
    "post_json",
    "secret_url_option",
    "snippet",
    "string_option",
    "timeout_option",
    "url_option",
]

DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 300.0  # longer than any provider needs; a typo like 10000 should fail at load time
MAX_SNIPPET = 200
MAX_BODY = 64 * 1024  # read no more of an answer than a provider's error could need

Secrets = Iterable[Secret | str | None]


@dataclass(frozen=True)
class Reply:
    """The provider's answer: its HTTP-level Outcome and, for channels that read it, the body."""

    outcome: Outcome
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=CIMultiDict)

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (a proxy's HTML error page, a plain "ok")."""
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None


async def post(
    http: aiohttp.ClientSession,
    url: str,
    *,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    secrets: Secrets = (),
    now: Callable[[], float] = time.time,
) -> Reply:
    """One POST of `body`, never raising for network or provider failures.

    `secrets` are masked in everything that ends up in the Outcome's detail.
    """
    sent_headers = {**(headers or {}), "Content-Type": content_type}
    try:
        async with http.post(
            url,
            data=body,
            headers=sent_headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
        ) as response:
            answer = await _read_capped(response.content)
            answer_headers = CIMultiDict(response.headers)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return Reply(failure(exc, timeout, secrets))
    outcome = classify(
        response.status,
        response.reason,
        answer,
        answer_headers.get("Retry-After"),
        secrets=secrets,
        now=now(),
    )
    return Reply(outcome, answer, answer_headers)


async def post_json(http: aiohttp.ClientSession, url: str, payload: Any, **kwargs: Any) -> Reply:
    """`post` with `payload` serialized as JSON."""
    return await post(http, url, body=orjson.dumps(payload), content_type="application/json; charset=utf-8", **kwargs)


async def post_form(http: aiohttp.ClientSession, url: str, fields: Mapping[str, str], **kwargs: Any) -> Reply:
    """`post` with `fields` form-encoded (Twilio's API takes no JSON)."""
    body = urlencode(fields).encode()
    return await post(http, url, body=body, content_type="application/x-www-form-urlencoded", **kwargs)


async def _read_capped(stream: aiohttp.StreamReader) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < MAX_BODY:
        chunk = await stream.read(MAX_BODY - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def classify(
    status: int,
    reason: str | None,
    body: bytes,
    retry_after: str | None,
    *,
    secrets: Secrets = (),
    now: float,
) -> Outcome:
    """An HTTP answer as an Outcome: 2xx delivered; 408, 429, 5xx retryable; other statuses permanent."""
    head = f"{status} {reason or _phrase(status)}".strip()
    if 200 <= status < 300:
        return Outcome(delivered=True, detail=head, status=status)
    said = snippet(body.decode("utf-8", "replace"), secrets)
    detail = f"{head}: {said}" if said else head
    retryable = status in (408, 429) or status >= 500
    wait = parse_retry_after(retry_after, now) if retryable else None
    return Outcome(delivered=False, detail=detail, status=status, retryable=retryable, retry_after=wait)


def failure(exc: BaseException, timeout: float, secrets: Secrets = ()) -> Outcome:
    """A request that got no answer: retryable, except a URL aiohttp cannot use at all."""
    if isinstance(exc, TimeoutError):
        detail = f"timed out after {timeout:g} s"
    elif isinstance(exc, aiohttp.ClientConnectorError):
        error = exc.os_error
        why = os.strerror(error.errno) if (error.errno or 0) > 0 else str(error) or type(error).__name__
        detail = f"cannot connect to {exc.host}:{exc.port}: {why.lower()}"
    elif isinstance(exc, aiohttp.ServerDisconnectedError):
        detail = "server disconnected without answering"
    else:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    retryable = not isinstance(exc, aiohttp.InvalidURL)
    return Outcome(delivered=False, detail=snippet(detail, secrets), retryable=retryable)


def basic_auth(user: str, password: str) -> str:
    """An `Authorization` header value for HTTP basic auth (aiohttp's BasicAuth is deprecated)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def snippet(text: str, secrets: Secrets = (), limit: int = MAX_SNIPPET) -> str:
    """`text` redacted, on one line, cut to `limit` characters (redacted first, so no secret is half-cut)."""
    flat = " ".join(redact(text, secrets).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date; None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000": UTC, as HTTP dates always are
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# Options shared by the HTTP channels.


def check_options(options: Mapping[str, Any], known: Iterable[str]) -> None:
    """Refuse option names the channel does not know: a typo (`routing-key`) must not be silently ignored."""
    allowed = set(known)
    unknown = sorted(str(name) for name in options if name not in allowed)
    if unknown:
        names = ", ".join(unknown)
        raise NotifierConfigError(unknown[0], f"unknown option(s) {names} (known: {', '.join(sorted(allowed))})")


def string_option(
    option: str, value: object, env: Mapping[str, str], *, required: bool = True, default: str | None = None
) -> str | None:
    """A plain string option, `${VAR}` expanded; blank counts as missing."""
    if value is None or value == "":
        if required and default is None:
            raise NotifierConfigError(option, "is required")
        return default
    if not isinstance(value, str):
        raise NotifierConfigError(option, f"must be a string, not {type(value).__name__}")
    resolved = expand(option, value, env).strip()
    if not resolved:
        raise NotifierConfigError(option, "is empty")
    return resolved


def url_option(option: str, value: object, env: Mapping[str, str], *, default: str | None = None) -> str:
    """An http(s) URL, `${VAR}` expanded. Problems quote the option as written, never the expanded value."""
    url = string_option(option, value, env, default=default)
    assert url is not None  # required: string_option raised otherwise
    _check_url(option, url, shown=value if isinstance(value, str) else url)
    return url


def secret_url_option(option: str, value: object, env: Mapping[str, str]) -> Secret:
    """A URL that is itself a credential (a Slack incoming webhook): validated, then never shown."""
    secret = secret_option(option, value, env)
    assert secret is not None
    _check_url(option, secret.reveal(), shown=None)
    return secret


def _check_url(option: str, url: str, *, shown: str | None) -> None:
    parts = urlsplit(url)
    quoted = f' ("{shown}")' if shown is not None else ""
    if parts.scheme not in ("http", "https"):
        raise NotifierConfigError(option, f"must be an http:// or https:// URL{quoted}")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise NotifierConfigError(option, f"is not a valid URL{quoted}") from exc
    if not host:
        raise NotifierConfigError(option, f"has no host{quoted}")


def timeout_option(value: object, *, option: str = "timeout", default: float = DEFAULT_TIMEOUT) -> float:
    """Seconds for one request, answer included: a number above 0 and at most 300."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotifierConfigError(option, f"must be a number of seconds, not {type(value).__name__}")
    seconds = float(value)
    if not (0 < seconds <= MAX_TIMEOUT):
        raise NotifierConfigError(option, f"must be above 0 and at most {MAX_TIMEOUT:g} seconds, not {value}")
    return seconds
