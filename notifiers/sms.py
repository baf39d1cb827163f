"""SMS through Twilio's Messages API, in at most two segments.

One receiver texts one number. A receiver with several numbers would turn
one attempt into several requests, and a retry after a partial failure
would text again the people who already got it (and bill for it); one
receiver per number keeps "one send = one attempt" exact, and the route or
escalation level lists the receivers to page.

Pagers are read on lock screens, so the text is the headline first, then
the most useful lines, with the incident link kept whole at the end. It is
cut to two segments: 306 characters in GSM-7, or 134 when it needs UCS-2
(one emoji or Chinese character halves the room). Typographic punctuation
(’ “ ” – — …) becomes its ASCII twin first, so a smart quote in a title
does not switch the whole text to UCS-2.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import aiohttp

from notifiers.base import Message, NotifierConfigError, Outcome
from notifiers.http import (
    Reply,
    basic_auth,
    check_options,
    post_form,
    snippet,
    string_option,
    timeout_option,
    url_option,
)
from notifiers.render import details, headline
from notifiers.secrets import Secret, secret_option

__all__ = [
    "DEFAULT_API_URL",
    "GSM7_LIMIT",
    "UCS2_LIMIT",
    "TwilioSmsNotifier",
    "fit",
    "is_gsm7",
    "sms_text",
    "to_gsm7",
]

DEFAULT_API_URL = "https://api.twilio.com"
OPTIONS = ("account_sid", "auth_token", "from", "to", "api_url", "timeout")
GSM7_LIMIT = 2 * 153  # two concatenated GSM-7 segments (7 septets of each go to the concatenation header)
UCS2_LIMIT = 2 * 67  # two concatenated UCS-2 segments

E164 = re.compile(r"\+[1-9][0-9]{7,14}")
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")  # two septets each (escape + char)
_TO_GSM7 = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "″": '"',
        "‐": "-",
        "‑": "-",
        "–": "-",
        "—": "-",
        "−": "-",
        "•": "-",
        "·": "-",
        "…": "...",
        "→": "->",
        "≥": ">=",
        "≤": "<=",
        "×": "x",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\t": " ",
    }
)


@dataclass(frozen=True, kw_only=True)
class TwilioSmsNotifier:
    """One phone number texted from one Twilio number."""

    kind: ClassVar[str] = "sms"
    default_rate_per_second: ClassVar[float] = 1.0  # Twilio sends about one message a second per From number

    name: str
    account_sid: str
    auth_token: Secret
    from_number: str
    to: str
    api_url: str = DEFAULT_API_URL
    timeout: float = 10.0

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> TwilioSmsNotifier:
        check_options(options, OPTIONS)
        account_sid = string_option("account_sid", options.get("account_sid"), env)
        assert account_sid is not None
        if not ACCOUNT_SID.fullmatch(account_sid):
            raise NotifierConfigError("account_sid", "must be a Twilio Account SID: AC then 32 hex characters")
        auth_token = secret_option("auth_token", options.get("auth_token"), env)
        assert auth_token is not None
        to = options.get("to")
        if isinstance(to, list | tuple):
            raise NotifierConfigError(
                "to",
                "takes one number: make one receiver per number, so a retry never texts again"
                " the people who already got the message",
            )
        return cls(
            name=name,
            account_sid=account_sid,
            auth_token=auth_token,
            from_number=_e164("from", options.get("from"), env),
            to=_e164("to", to, env),
            api_url=url_option("api_url", options.get("api_url"), env, default=DEFAULT_API_URL),
            timeout=timeout_option(options.get("timeout")),
        )

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        url = f"{self.api_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        fields = {"To": self.to, "From": self.from_number, "Body": sms_text(message)}
        reply = await post_form(
            http,
            url,
            fields,
            headers={"Authorization": basic_auth(self.account_sid, self.auth_token.reveal())},
            timeout=self.timeout,
            secrets=[self.auth_token],
        )
        return self._outcome(reply)

    def _outcome(self, reply: Reply) -> Outcome:
        data = reply.json()
        data = data if isinstance(data, dict) else {}
        if reply.outcome.delivered:
            return replace(reply.outcome, extra={"sid": data.get("sid"), "status": data.get("status")})
        if reply.outcome.status is not None and "code" in data:  # Twilio's error: {"code", "message", "more_info"}
            said = snippet(f"Twilio error {data.get('code')}: {data.get('message', '')}", [self.auth_token])
            head = reply.outcome.detail.split(":", 1)[0]
            return replace(reply.outcome, detail=f"{head}: {said}", extra={"code": data.get("code")})
        return reply.outcome


def _e164(option: str, value: object, env: Mapping[str, str]) -> str:
    number = string_option(option, value, env)
    assert number is not None
    if not E164.fullmatch(number):
        raise NotifierConfigError(
            option,
            f'"{number}" is not an E.164 number: + then 8 to 15 digits, country code first,'
            " no spaces or leading 0 (e.g. +14155550100)",
        )
    return number


def sms_text(message: Message) -> str:
    """The SMS body: headline and details, cut to two segments, with the link whole at the end."""
    return fit("\n".join([headline(message), *details(message, link=False)]), link=message.link)


def to_gsm7(text: str) -> str:
    """`text` with typographic punctuation replaced by GSM-7 characters (other characters untouched)."""
    return text.translate(_TO_GSM7)


def is_gsm7(text: str) -> bool:
    return all(c in _GSM7_BASIC or c in _GSM7_EXTENSION for c in text)


def fit(text: str, *, link: str | None = None) -> str:
    """`text` (+ newline + `link`) in two segments.

    Whole lines go from the end first; only a first line too long by itself is cut, with an ellipsis.
    The link is kept whole, or left out when it would crowd out the text.
    """
    text = to_gsm7(text)
    tail = f"\n{to_gsm7(link)}" if link else ""
    gsm = is_gsm7(text + tail)
    cost = _septets if gsm else _utf16_units
    limit = GSM7_LIMIT if gsm else UCS2_LIMIT
    ellipsis = "..." if gsm else "…"
    if _total(text + tail, cost) <= limit:
        return text + tail
    if _total(tail, cost) > limit // 2:
        tail = ""
    room = limit - _total(tail, cost)
    lines = text.split("\n")
    while len(lines) > 1 and _total("\n".join(lines), cost) > room:
        lines.pop()
    text = "\n".join(lines)
    if _total(text, cost) > room:
        text = _cut(text, room - _total(ellipsis, cost), cost).rstrip() + ellipsis
    return text + tail


def _septets(char: str) -> int:
    return 2 if char in _GSM7_EXTENSION else 1


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _total(text: str, cost: Callable[[str], int]) -> int:
    return sum(cost(c) for c in text)


def _cut(text: str, room: int, cost: Callable[[str], int]) -> str:
    used = 0
    for index, char in enumerate(text):
        used += cost(char)
        if used > room:
            return text[:index]
    return text
