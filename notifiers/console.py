"""Console: one line per notification, on the worker's log or a standard stream.

For the demo, for development, and as the fallback of last resort: it
needs no network and cannot be down, so a pack whose other receivers all
fail still leaves a trace of every page in the worker's output.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

import aiohttp

from notifiers.base import Message, NotifierConfigError, Outcome
from notifiers.render import headline

__all__ = ["LOGGER", "ConsoleNotifier", "Stream", "console_line"]

LOGGER = "vigil.notify"
log = logging.getLogger(LOGGER)


class Stream(StrEnum):
    LOG = "log"  #: a WARNING on the `vigil.notify` logger
    STDERR = "stderr"
    STDOUT = "stdout"


@dataclass(frozen=True, kw_only=True)
class ConsoleNotifier:
    """Writes each notification as one line; always delivered."""

    kind: ClassVar[str] = "console"
    default_rate_per_second: ClassVar[float] = 1000.0  #: a log line costs nothing; only a runaway loop is limited

    name: str
    stream: Stream = Stream.LOG

    @classmethod
    def from_options(cls, name: str, options: Mapping[str, Any], env: Mapping[str, str]) -> ConsoleNotifier:
        del env  # no secrets, nothing to expand
        unknown = sorted(set(options) - {"stream"})
        if unknown:
            raise NotifierConfigError(unknown[0], f"unknown option(s) {', '.join(unknown)} for a console receiver")
        value = options.get("stream", Stream.LOG)
        try:
            stream = Stream(value)
        except ValueError:
            allowed = ", ".join(s.value for s in Stream)
            raise NotifierConfigError("stream", f"must be one of {allowed}, not {value!r}") from None
        return cls(name=name, stream=stream)

    async def send(self, message: Message, http: aiohttp.ClientSession) -> Outcome:
        del http
        line = console_line(self.name, message)
        if self.stream is Stream.LOG:
            log.warning("%s", line)
            return Outcome(delivered=True, detail="logged")
        out = sys.stdout if self.stream is Stream.STDOUT else sys.stderr  # looked up now, so redirection works
        try:
            out.write(line + "\n")
            out.flush()
        except (OSError, ValueError) as exc:  # ValueError: the stream was closed
            return Outcome(delivered=False, detail=f"cannot write to {self.stream}: {type(exc).__name__}")
        return Outcome(delivered=True, detail=f"written to {self.stream}")


def console_line(receiver: str, message: Message) -> str:
    """`NOTIFY oncall-console inc-1 [CRITICAL] OPENED: advisor-api latency (level 0)` on one line."""
    text = " ".join(headline(message).split())  # a title with a line break must not forge a second line
    return f"NOTIFY {receiver} {message.incident.id} {text} (level {message.level})"
