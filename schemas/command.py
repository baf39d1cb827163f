"""Requests from people to the correlator (topic `commands`): ack, resolve, comment, silence, unsilence.

Commands travel on their own topic, keyed by correlation domain, so that
the one agent that owns a domain's incidents applies them: the HTTP API
and the CLI hold no state. Which fields a kind needs (`incident_id` for
ack/resolve/comment, `note` for comment, `silence` for silence,
`silence_id` for unsilence) is checked by the correlator, which answers
a command it cannot apply with a rejection rather than an error.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.base import Record
from schemas.enums import CommandKind
from schemas.errors import SchemaError
from schemas.fields import MessageText, Name, UnixSeconds

__all__ = ["MATCHER_PATTERN", "Command", "SilenceSpec"]

MATCHER_PATTERN = r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*(=~|!~|!=|=).*$"
"""A PromQL-style label matcher: `service="advisor-api"`, `severity!=low`, `alertname=~"Api.*"`."""

MatcherText = Annotated[
    str,
    Meta(
        pattern=MATCHER_PATTERN,
        max_length=1024,
        description='A label matcher, e.g. `service="advisor-api"`; operators =, !=, =~, !~ (regexes anchored).',
    ),
]


class SilenceSpec(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A silence to create: alerts whose labels match every matcher notify nobody from start to end.

    `ends_at` is never before `starts_at`.
    """

    matchers: Annotated[list[MatcherText], Meta(min_length=1, max_length=16, description="All must match.")]
    starts_at: Annotated[UnixSeconds, Meta(description="When the silence begins, Unix seconds.")]
    ends_at: Annotated[UnixSeconds, Meta(description="When it expires by itself, Unix seconds.")]
    comment: Annotated[str, Meta(min_length=1, max_length=1024, description="Why, e.g. `postgres failover drill`.")]

    def __post_init__(self) -> None:
        if self.ends_at < self.starts_at:
            raise SchemaError("$.ends_at", f"ends_at {self.ends_at!r} is before starts_at {self.starts_at!r}")


class Command(Record, kw_only=True):
    """One request from a person, applied once (by `id`) by the agent that owns `domain`."""

    id: Annotated[Name, Meta(description="Idempotency key: a command sent again with the same id is applied once.")]
    kind: Annotated[CommandKind, Meta(description="ack, resolve, comment, silence or unsilence.")]
    domain: Annotated[
        Name,
        Meta(description="Correlation domain the command is for (the incident's `domain`); the topic's key."),
    ]
    incident_id: Annotated[
        Name | None, Meta(description="The incident to ack, resolve or comment on; null for silences.")
    ] = None
    actor: Annotated[Name, Meta(description="Who asks, e.g. `ana@example.com`.")]
    ts: Annotated[UnixSeconds, Meta(description="When the person asked, Unix seconds.")]
    note: Annotated[MessageText | None, Meta(description="The comment, or a note on an ack or resolve.")] = None
    silence: Annotated[SilenceSpec | None, Meta(description="The silence to create (kind silence).")] = None
    silence_id: Annotated[Name | None, Meta(description="The silence to remove (kind unsilence).")] = None
