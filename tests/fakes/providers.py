"""Local stand-ins for Slack, PagerDuty, Twilio and webhook receivers: real HTTP servers, real protocols.

Each fake is an aiohttp server on 127.0.0.1 (a free port) that answers the
way its provider does, including its errors (Slack's `{"ok": false}`,
PagerDuty's `invalid event`, Twilio's error codes), and records every
request so tests assert on exactly what went over the wire:

    async with FakePagerDuty() as pd:
        pd.fail_next(500, times=2)                  # then answers normally
        outcome = await notifier.send(message, http)
        pd.requests[-1].json["event_action"]

Faults are scripted per request, first in first out: a status (with a
Retry-After, a body), a delay (beyond the client's timeout = a timeout), or
a dropped connection. Delayed requests end when the fake closes, so no
test waits on a sleeping handler.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import itertools
import re
import secrets
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

import orjson
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from notifiers.webhook import verify_signature

__all__ = [
    "Fault",
    "FakePagerDuty",
    "FakeServer",
    "FakeSlack",
    "FakeTwilio",
    "FakeWebhook",
    "Recorded",
]


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: CIMultiDictProxy[str]
    body: bytes
    at: float  #: time.monotonic() on arrival, for measuring the gaps between retries

    @property
    def json(self) -> Any:
        """The body parsed as JSON (raises if it is not JSON: the test should know)."""
        return orjson.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        """The body parsed as a form (application/x-www-form-urlencoded)."""
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True, strict_parsing=bool(self.body)))


@dataclass(frozen=True)
class Fault:
    """How to spoil one request instead of answering it normally."""

    status: int | None = 500  #: answer with this status; None answers normally (after `delay`)
    body: Any = ""  #: str/bytes as is; anything else as JSON
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  #: seconds before answering
    disconnect: bool = False  #: close the connection without any answer


class FakeServer:
    """Base of the fakes: the server, the request log and the fault queue. Subclasses implement `answer`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._faults: deque[Fault] = deque()
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # Faults.

    def fail_next(
        self,
        status: int = 500,
        *,
        times: int = 1,
        retry_after: str | float | None = None,
        body: Any = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """The next `times` requests get `status` (with Retry-After if given) instead of a normal answer."""
        extra = dict(headers or {})
        if retry_after is not None:
            extra["Retry-After"] = str(retry_after)
        self._push(Fault(status=status, body=body, headers=extra), times)

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """The next `times` requests are answered normally, but only after `seconds`."""
        self._push(Fault(status=None, delay=seconds), times)

    def disconnect_next(self, *, times: int = 1) -> None:
        """The next `times` requests see the connection closed with no answer."""
        self._push(Fault(status=None, disconnect=True), times)

    def _push(self, fault: Fault, times: int) -> None:
        self._faults.extend(itertools.repeat(fault, times))

    @property
    def pending_faults(self) -> int:
        return len(self._faults)

    # Lifecycle.

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        recorded = Recorded(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=CIMultiDictProxy(CIMultiDict(request.headers)),
            body=await request.read(),
            at=time.monotonic(),
        )
        self.requests.append(recorded)
        fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.delay:
            try:
                await asyncio.wait_for(self._closing.wait(), fault.delay)
            except TimeoutError:
                pass
        if fault is not None and fault.disconnect:
            assert request.transport is not None
            request.transport.close()
            raise web.HTTPInternalServerError()  # never written: the connection is gone
        if fault is not None and fault.status is not None:
            return _response(fault.status, fault.body, fault.headers)
        return self.answer(recorded)

    def answer(self, request: Recorded) -> web.Response:
        """The provider's normal answer to `request`."""
        raise NotImplementedError


def _response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    if isinstance(body, str | bytes):
        data = body.encode() if isinstance(body, str) else body
        return web.Response(status=status, body=data, headers=headers, content_type="text/plain")
    return web.Response(status=status, body=orjson.dumps(body), headers=headers, content_type="application/json")


def _is_json(request: Recorded) -> bool:
    return request.headers.get("Content-Type", "").split(";")[0].strip() == "application/json"


def _json_object(request: Recorded) -> dict[str, Any] | None:
    if not _is_json(request):
        return None
    try:
        data = orjson.loads(request.body)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


class FakeSlack(FakeServer):
    """An incoming webhook (`webhook_url`) and the Web API's chat.postMessage / chat.update (`api_url`).

    `messages` holds every channel message by (channel id, ts) as it is now, so a test sees an update
    replace the original; `channels` maps names (`#incidents`) to ids (`C0INCIDENTS`).
    """

    def __init__(
        self, *, token: str = "xoxb-1234-5678-fake0token0for0tests", channels: Mapping[str, str] | None = None
    ):
        super().__init__()
        self.token = token
        self.channels = dict(channels or {"#incidents": "C0INCIDENTS", "#payments-oncall": "C0PAYMENTS"})
        self.hook_path = f"/services/T0VIGIL/B0VIGIL/{secrets.token_hex(12)}"
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.webhook_posts: list[dict[str, Any]] = []
        self._ts = itertools.count(1)

    @property
    def webhook_url(self) -> str:
        return self.base_url + self.hook_path

    @property
    def api_url(self) -> str:
        return self.base_url + "/api"

    def answer(self, request: Recorded) -> web.Response:
        if request.path.startswith("/services/"):
            return self._webhook(request)
        if request.path.startswith("/api/"):
            return self._web_api(request.path.removeprefix("/api/"), request)
        return _response(404, "Not Found")

    def _webhook(self, request: Recorded) -> web.Response:
        if request.path != self.hook_path:
            return _response(404, "no_service")
        data = _json_object(request)
        if data is None:
            return _response(400, "invalid_payload")
        if not data.get("text") and not data.get("blocks"):
            return _response(400, "no_text")
        self.webhook_posts.append(data)
        return _response(200, "ok")

    def _web_api(self, method: str, request: Recorded) -> web.Response:
        auth = request.headers.get("Authorization")
        if not auth:
            return _response(200, {"ok": False, "error": "not_authed"})
        if not hmac.compare_digest(auth, f"Bearer {self.token}"):
            return _response(200, {"ok": False, "error": "invalid_auth"})
        data = _json_object(request)
        if data is None:
            return _response(200, {"ok": False, "error": "invalid_json"})
        if method not in ("chat.postMessage", "chat.update"):
            return _response(200, {"ok": False, "error": "unknown_method"})
        channel = self.channels.get(data.get("channel", ""), data.get("channel"))
        if channel not in self.channels.values():
            return _response(200, {"ok": False, "error": "channel_not_found"})
        if not data.get("text") and not data.get("blocks"):
            return _response(200, {"ok": False, "error": "no_text"})
        content = {"text": data.get("text"), "blocks": data.get("blocks")}
        if method == "chat.update":
            key = (channel, str(data.get("ts")))
            if key not in self.messages:
                return _response(200, {"ok": False, "error": "message_not_found"})
            self.messages[key] = content
            return _response(200, {"ok": True, "channel": channel, "ts": key[1], "text": content["text"]})
        ts = f"{1_767_225_600 + next(self._ts)}.000100"
        self.messages[(channel, ts)] = content
        return _response(200, {"ok": True, "channel": channel, "ts": ts, "message": content})


class FakePagerDuty(FakeServer):
    """The Events API v2 `/v2/enqueue`, validating events like the real one; `alerts` is dedup_key → state."""

    ACTIONS = ("trigger", "acknowledge", "resolve")
    SEVERITIES = ("critical", "error", "warning", "info")

    def __init__(self) -> None:
        super().__init__()
        self.alerts: dict[str, str] = {}

    @property
    def url(self) -> str:
        return self.base_url + "/v2/enqueue"

    def answer(self, request: Recorded) -> web.Response:
        if request.path != "/v2/enqueue" or request.method != "POST":
            return _response(404, {"status": "not found"})
        data = _json_object(request)
        if data is None:
            return self._invalid(["Event object is invalid"])
        errors = self._problems(data)
        if errors:
            return self._invalid(errors)
        action = data["event_action"]
        dedup_key = data.get("dedup_key") or secrets.token_hex(16)
        state = {"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"}[action]
        if action == "trigger" or dedup_key in self.alerts:  # ack/resolve of an unknown key is accepted and dropped
            self.alerts[dedup_key] = state
        return _response(202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key})

    def _problems(self, data: dict[str, Any]) -> list[str]:
        errors = []
        key = data.get("routing_key")
        if not key:
            errors.append("'routing_key' is missing or blank")
        elif not isinstance(key, str) or len(key) != 32:
            errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        action = data.get("event_action")
        if action not in self.ACTIONS:
            errors.append(
                "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"
            )
        elif action != "trigger" and not data.get("dedup_key"):
            errors.append("'dedup_key' is missing or blank")
        if action == "trigger":
            payload = data.get("payload")
            if not isinstance(payload, dict):
                errors.append("'payload' is missing or blank")
                return errors
            for required in ("summary", "source", "severity"):
                if not payload.get(required):
                    errors.append(f"'payload.{required}' is missing or blank")
            if len(str(payload.get("summary", ""))) > 1024:
                errors.append("'payload.summary' is too long (maximum 1024 characters)")
            if payload.get("severity") and payload["severity"] not in self.SEVERITIES:
                errors.append(
                    "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')"
                )
        return errors

    @staticmethod
    def _invalid(errors: list[str]) -> web.Response:
        return _response(400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors})


class FakeTwilio(FakeServer):
    """Twilio's `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: basic auth, form fields, Twilio errors."""

    def __init__(
        self,
        *,
        account_sid: str = "AC" + "0123456789abcdef" * 2,
        auth_token: str = "fake-twilio-auth-token-0123456789",
        numbers: tuple[str, ...] = ("+14155550100",),
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.numbers = numbers  #: the account's From numbers
        self.messages: list[dict[str, str]] = []

    @property
    def api_url(self) -> str:
        return self.base_url

    def answer(self, request: Recorded) -> web.Response:
        match = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/Messages\.json", request.path)
        if match is None or request.method != "POST":
            return self._error(404, 20404, "The requested resource was not found")
        if not self._authorized(request.headers.get("Authorization", ""), match.group(1)):
            return self._error(401, 20003, "Authenticate")
        if request.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return self._error(400, 21620, "Invalid media type")
        form = request.form
        if not form.get("To"):
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not form.get("From"):
            return self._error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return self._error(400, 21602, "Message body is required.")
        if not re.fullmatch(r"\+[1-9][0-9]{7,14}", form["To"]):
            return self._error(400, 21211, f"Invalid 'To' Phone Number: {form['To']}")
        if form["From"] not in self.numbers:
            return self._error(
                400,
                21606,
                "The 'From' phone number provided is not a valid message-capable Twilio phone number for this account.",
            )
        if len(form["Body"]) > 1600:
            return self._error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sid = "SM" + secrets.token_hex(16)
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": form["To"],
            "from": form["From"],
            "body": form["Body"],
        }
        self.messages.append(message)
        return _response(201, {**message, "status": "queued", "direction": "outbound-api", "api_version": "2010-04-01"})

    def _authorized(self, header: str, path_sid: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.account_sid == path_sid and hmac.compare_digest(password.encode(), self.auth_token.encode())

    @staticmethod
    def _error(status: int, code: int, message: str) -> web.Response:
        return _response(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )


class FakeWebhook(FakeServer):
    """A generic receiver at `url`; with `secret`, it refuses requests whose X-Vigil-Signature does not verify."""

    def __init__(self, *, secret: str | None = None) -> None:
        super().__init__()
        self.secret = secret

    @property
    def url(self) -> str:
        return self.base_url + "/hook"

    def answer(self, request: Recorded) -> web.Response:
        if request.path != "/hook" or request.method != "POST":
            return _response(404, "Not Found")
        if self.secret is not None:
            ok = verify_signature(
                self.secret,
                request.headers.get("X-Vigil-Timestamp", ""),
                request.body,
                request.headers.get("X-Vigil-Signature", ""),
                now=time.time(),
            )
            if not ok:
                return _response(401, {"error": "signature does not verify"})
        return _response(200, {"received": True})
