"""Deploys and config changes reported by CI/CD (topic `changes`).

The correlator names the changes made shortly before an incident began as
its suspects ("advisor-api 1.4.2 deployed 3 min before the incident").
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from schemas.base import Record
from schemas.enums import ChangeKind
from schemas.fields import Name, Service, UnixSeconds

__all__ = ["Change", "Url", "Version"]

Url = Annotated[
    str,
    Meta(pattern=r"^https?://\S+$", max_length=2048, description="An http(s) URL, e.g. the CI run or the diff."),
]
Version = Annotated[
    str, Meta(min_length=1, max_length=128, description="The version deployed or the config revision, e.g. `1.4.2`.")
]


class Change(Record, kw_only=True):
    """One deploy or config change to a service.

    `id` makes the record idempotent: a change sent twice is counted once.
    """

    id: Annotated[Name, Meta(description="Unique id of the change, e.g. the CI run or the deploy id.")]
    kind: Annotated[ChangeKind, Meta(description="deploy or config.")]
    service: Service
    version: Version
    author: Annotated[Name, Meta(description="Who made the change, e.g. `ana@example.com`.")]
    ts: Annotated[UnixSeconds, Meta(description="When the change took effect, Unix seconds.")]
    link: Url
    description: Annotated[
        Annotated[str, Meta(max_length=1024)] | None,
        Meta(description="What changed, in words, at most 1024 characters."),
    ] = None
