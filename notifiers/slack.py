"""Slack: an incoming webhook, or the Web API so one message follows the incident.

Two modes, chosen by the options:

- `webhook_url` (an incoming webhook; the URL is the credential): every
  change is a new message in the webhook's channel, so an ack or a resolve
  is a follow-up message.
- `token` + `channel` (a bot token with chat:write): the first send is
  `chat.postMessage` and returns `channel:ts` as the Outcome's reference;
  later sends for the same incident (`Message.reference` set) rewrite that
  message with `chat.update`, so the channel shows the incident's current
  state instead of a trail of messages.

The Web API answers HTTP 200 with `{"ok": false, "error": ...}` on failure:
`ratelimited` and Slack's own outages are retryable, everything else
(`invalid_auth`, `channel_not_found`, `message_not_found`…) is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import aiohttp

from correlator.incidents.text import clip
from notifiers.base import Message, NotifierConfigError, Outcome
from notifiers.http import (
    Reply,
    check_options,
    post_json,
    secret_url_option,
    snippet,
    string_option,
    timeout_option,
    url_option,
)
from notifiers.render import headline, status_words
from notifiers.secrets import Secret, secret_option
from schemas.enums import IncidentEventType

__all__ = ["DEFAULT_API_URL", "RETRYABLE_ERRORS", "SlackNotifier", "blocks", "escape", "payload"]

DEFAULT_API_URL = "https://slack.com/api"
OPTIONS = ("webhook_url", "token", "channel", "api_url", "timeout")

#: Web API errors that go away by themselves; every other `error` needs a person to fix the receiver.
RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)

_SEVERITY_EMOJI = {
    "critical": ":red_circle:",
    "high": ":large_orange_circle:",
    "medium": ":large_yellow_circle:",
    "low": ":large_blue_circle:",
}
_EVENT_EMOJI = {IncidentEventType.RESOLVED: ":white_check_mark:", IncidentEventType.ACKNOWLEDGED: ":eyes:"}
MAX_HEADER = 150  # Block Kit: header text
MAX_FIELD = 2000  # Block Kit: section field text
MAX_SECTION = 3000  # Block Kit: section text
MAX_SUSPECTS = 5


@dataclass(frozen=True, kw_only=True)
class SlackNotifier:
    """One Slack receiver: an incoming webhook, or a bot token posting to one channel."""

    kind: ClassVar[str] = "slack"
    default_rate_per_second: ClassVar[float] = 1.0  # Slack allows about one message a second per channel

    name: str
    webhook_url: Secret | None = None
    token: Secret | None = None
    channel: str | None = None
    api_url: str = DEFAULT_API_URL
    timeout: float = 10.0

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> SlackNotifier:
        check_options(options, OPTIONS)
        timeout = timeout_option(options.get("timeout"))
        has_webhook = options.get("webhook_url") not in (None, "")
        has_token = options.get("token") not in (None, "")
        if has_webhook and has_token:
            raise NotifierConfigError("token", "set webhook_url or token + channel, not both")
        if not has_webhook and not has_token:
            raise NotifierConfigError(
                "webhook_url", "is required, or token + channel to use the Web API (so updates edit one message)"
            )
        if has_webhook:
            for option in ("channel", "api_url"):
                if options.get(option) is not None:
                    raise NotifierConfigError(option, "is only used with token (an incoming webhook has its channel)")
            return cls(
                name=name, webhook_url=secret_url_option("webhook_url", options["webhook_url"], env), timeout=timeout
            )
        channel = string_option("channel", options.get("channel"), env)
        return cls(
            name=name,
            token=secret_option("token", options["token"], env),
            channel=channel,
            api_url=url_option("api_url", options.get("api_url"), env, default=DEFAULT_API_URL),
            timeout=timeout,
        )

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        body = payload(message)
        if self.webhook_url is not None:
            reply = await post_json(
                http, self.webhook_url.reveal(), body, timeout=self.timeout, secrets=self._secrets()
            )
            return reply.outcome
        assert self.token is not None and self.channel is not None
        original = _parse_reference(message.reference)
        if original is None:
            method, body = "chat.postMessage", {"channel": self.channel, **body}
        else:
            method, body = "chat.update", {"channel": original[0], "ts": original[1], **body}
        reply = await post_json(
            http,
            f"{self.api_url.rstrip('/')}/{method}",
            body,
            headers={"Authorization": f"Bearer {self.token.reveal()}"},
            timeout=self.timeout,
            secrets=self._secrets(),
        )
        return self._web_api_outcome(method, reply, message.reference)

    def _web_api_outcome(self, method: str, reply: Reply, reference: str | None) -> Outcome:
        outcome = reply.outcome
        if not outcome.delivered:
            return outcome
        data = reply.json()
        if not isinstance(data, dict):
            said = snippet(reply.body.decode("utf-8", "replace"), self._secrets())
            return replace(outcome, delivered=False, retryable=True, detail=f"{method}: not a Slack API answer: {said}")
        if data.get("ok") is not True:
            error = snippet(str(data.get("error") or "unknown_error"), self._secrets())
            return replace(
                outcome,
                delivered=False,
                retryable=error in RETRYABLE_ERRORS,
                detail=f"{method}: {error}",
            )
        channel, ts = data.get("channel"), data.get("ts")
        if isinstance(channel, str) and isinstance(ts, str):
            reference = f"{channel}:{ts}"
        return replace(outcome, detail=f"{outcome.detail} ({method})", reference=reference)

    def _secrets(self) -> list[Secret | None]:
        return [self.webhook_url, self.token]


def _parse_reference(reference: str | None) -> tuple[str, str] | None:
    """`C0123:1767225600.000100` → (channel, ts); None (post a new message) for anything else."""
    if not reference:
        return None
    channel, _, ts = reference.partition(":")
    return (channel, ts) if channel and ts else None


def payload(message: Message) -> dict[str, Any]:
    """The message body both modes send: fallback `text` (notifications, screen readers) and the blocks."""
    return {"text": headline(message), "blocks": blocks(message)}


def blocks(message: Message) -> list[dict[str, Any]]:
    """Block Kit: headline, severity/status/services/root cause, suspects, note, and a button to the incident."""
    incident = message.incident
    emoji = _EVENT_EMOJI.get(message.event) or _SEVERITY_EMOJI.get(incident.severity, ":warning:")
    fields = [
        _field("Severity", f"{_SEVERITY_EMOJI.get(incident.severity, '')} {incident.severity}".strip()),
        _field("Status", status_words(incident, message.ts)),
        _field("Services", ", ".join(incident.services) or "unknown"),
        _field("Root cause candidate", incident.root_cause or "unknown"),
    ]
    out: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(f"{emoji} {headline(message)}", MAX_HEADER)}},
        {"type": "section", "text": _mrkdwn(clip(f"*{escape(incident.title)}*", MAX_SECTION)), "fields": fields},
    ]
    if incident.suspects:
        lines = [
            f"• <{_url(s.link)}|{escape(s.summary)}>" if s.link else f"• {escape(s.summary)}"
            for s in incident.suspects[:MAX_SUSPECTS]
        ]
        out.append({"type": "section", "text": _mrkdwn(clip("*Suspect changes*\n" + "\n".join(lines), MAX_SECTION))})
    if message.note:
        out.append({"type": "section", "text": _mrkdwn(clip(f"*Note*\n{escape(message.note)}", MAX_SECTION))})
    out.append(
        {
            "type": "context",
            "elements": [_mrkdwn(f"Incident `{escape(incident.id)}` · {len(incident.alerts)} alert(s)")],
        }
    )
    if message.link:
        button = {"type": "button", "text": {"type": "plain_text", "text": "Open incident"}, "url": message.link}
        out.append({"type": "actions", "elements": [button]})
    return out


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only &, < and > are special (`P95 > 1 s` must not start a link)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _url(url: str) -> str:
    return url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _field(name: str, value: str) -> dict[str, str]:
    return _mrkdwn(clip(f"*{name}*\n{escape(value)}", MAX_FIELD))
