"""The notification outbox (topic `notifications`) and what became of each attempt (`notifications.results`).

Deciding who to tell and telling them are two steps with a topic between
them: the notify agent writes a `Notification` (an outbox record with an
idempotency key) and the dispatcher delivers it. A notification redelivered
after a crash, or decided twice by a replayed incident, carries the same
key, and the dispatcher remembers the keys it has delivered, so a person
is told once.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from schemas.base import Record
from schemas.enums import IncidentEventType, NotificationOutcome
from schemas.fields import MessageText, Name, UnixSeconds
from schemas.incident import IncidentSnapshot

__all__ = ["Notification", "NotificationResult"]

IdempotencyKey = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=512,
        description="Same decision, same key: `<incident>/<receiver>/<cause>`; delivered at most once.",
    ),
]
Receiver = Annotated[Name, Meta(description="The receiver's name in the rule pack; the topic's key.")]


class Notification(Record, kw_only=True):
    """One message to one receiver about one incident change."""

    key: IdempotencyKey
    receiver: Receiver
    incident_id: Annotated[Name, Meta(description="The incident it is about.")]
    event: Annotated[IncidentEventType, Meta(description="The incident change it tells of.")]
    ts: Annotated[UnixSeconds, Meta(description="When it was decided, Unix seconds.")]
    reason: Annotated[
        str,
        Meta(min_length=1, max_length=256, description="Why now, e.g. `opened`, `escalation level 2`, `repeat`."),
    ]
    policy: Annotated[Name | None, Meta(description="The escalation policy that sent it, if one did.")] = None
    level: Annotated[int, Meta(ge=0, le=1000, description="Escalation level (0 = first).")] = 0
    actor: Annotated[Name | None, Meta(description="Who made the change, if a person did.")] = None
    note: Annotated[MessageText | None, Meta(description="The comment, ack note or reason.")] = None
    incident: Annotated[IncidentSnapshot, Meta(description="The incident as it was when this was decided.")]


class NotificationResult(Record, kw_only=True):
    """One delivery attempt and its outcome; keyed by the notification's key."""

    key: IdempotencyKey
    receiver: Receiver
    incident_id: Annotated[Name, Meta(description="The incident it is about.")]
    outcome: Annotated[
        NotificationOutcome,
        Meta(
            description=(
                "delivered; retrying (this attempt failed, another follows); failed (given up); fallback"
                " (given up, handed to the fallback receiver); duplicate (already delivered, not sent again);"
                " circuit_open (the receiver keeps failing, not tried); skipped (receiver disabled)."
            )
        ),
    ]
    attempt: Annotated[
        int, Meta(ge=0, le=1000, description="Attempt number, 1 for the first; 0 when nothing was sent.")
    ]
    ts: Annotated[UnixSeconds, Meta(description="When the attempt ended, Unix seconds.")]
    seconds: Annotated[float, Meta(ge=0, le=86400, description="How long the attempt took, in seconds.")] = 0.0
    status: Annotated[
        Annotated[int, Meta(ge=100, le=999)] | None,
        Meta(description="The provider's HTTP status or SMTP reply code; null if it never answered."),
    ] = None
    detail: Annotated[MessageText, Meta(description="What happened, in words; never holds a secret.")]
    fallback: Annotated[Name | None, Meta(description="The fallback receiver it was handed to.")] = None
