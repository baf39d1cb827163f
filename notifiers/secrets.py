"""Secrets in receiver options: `${VAR}` from the environment, never shown again.

A resolved secret is a `Secret`: its str() and repr() are `***`, so it can
sit in a dataclass that gets logged or raised without leaking. Code that
must put it on the wire asks for `.reveal()` explicitly, and `redact`
scrubs any text (an exception message, a provider's error body) of every
known secret value before it reaches a log, an error or a topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from notifiers.base import NotifierConfigError

__all__ = ["Secret", "expand", "redact", "secret_option"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def expand(option: str, value: str, env: Mapping[str, str]) -> str:
    """`value` with every `${VAR}` replaced from env; NotifierConfigError naming the option if one is unset."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise NotifierConfigError(option, f"environment variable {name} is not set")
        return env[name]

    return _VAR.sub(one, value)


def secret_option(option: str, value: object, env: Mapping[str, str], *, required: bool = True) -> Secret | None:
    """A secret option: a string, normally `${VAR}`; empty or missing is an error when required."""
    if value is None or value == "":
        if required:
            raise NotifierConfigError(option, "is required (use ${VAR} to take it from the environment)")
        return None
    if not isinstance(value, str):
        raise NotifierConfigError(option, f"must be a string, not {type(value).__name__}")
    resolved = expand(option, value, env)
    if required and not resolved:
        raise NotifierConfigError(option, "is empty")
    return Secret(resolved)


def redact(text: str, secrets: Iterable[Secret | str | None]) -> str:
    """`text` with every secret value (longest first, so overlapping ones vanish whole) masked."""
    values = sorted(
        {s.reveal() if isinstance(s, Secret) else s for s in secrets if s},
        key=len,
        reverse=True,
    )
    for value in values:
        if len(value) >= 4:  # masking "a" everywhere would only garble the text
            text = text.replace(value, MASK)
    return text
