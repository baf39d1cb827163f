"""What a command needs before the correlator can apply it, and what it answers.

The `commands` record is deliberately loose (one shape for every kind) so
producers in any language can write it; this module states which fields
each kind needs. The HTTP API can call `command_problem` to answer 400
before publishing; the correlator calls it again and answers a command it
cannot apply with a rejection, never an exception, because a bad command
must not stop the agent that owns a domain.
"""

from __future__ import annotations

from dataclasses import dataclass

from correlator.incidents.config import parse_matchers
from schemas import Command, CommandKind, IncidentEvent

__all__ = ["CommandOutcome", "command_problem"]


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """The answer to one command: applied or not, why, and the incident changes it caused."""

    command_id: str
    accepted: bool
    reason: str  #: in words: what was done, or why not
    events: tuple[IncidentEvent, ...] = ()
    duplicate: bool = False  #: this command id was applied before; nothing was done again
    silence_id: str | None = None  #: the silence created (kind silence)


def command_problem(command: Command) -> str | None:
    """Why `command` cannot be applied whatever the state, in words; None if it is well formed."""
    kind = command.kind
    if kind in (CommandKind.ACK, CommandKind.RESOLVE, CommandKind.COMMENT, CommandKind.ESCALATE) and not (
        command.incident_id
    ):
        return f"{kind} needs incident_id"
    if kind in (CommandKind.COMMENT, CommandKind.ESCALATE) and not (command.note and command.note.strip()):
        return f"{kind} needs a note"
    if kind == CommandKind.SILENCE:
        if command.silence is None:
            return "silence needs `silence` (matchers, starts_at, ends_at, comment)"
        try:
            parse_matchers(command.silence.matchers, "silence.matchers")
        except ValueError as exc:
            return str(exc)
        if command.silence.ends_at <= command.silence.starts_at:
            return "silence ends_at must be after starts_at"
    if kind == CommandKind.UNSILENCE and not command.silence_id:
        return "unsilence needs silence_id"
    return None
