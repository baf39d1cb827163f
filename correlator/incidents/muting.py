"""Silences, maintenance windows and inhibition: which firing alerts notify nobody, and why.

A muted alert is still recorded on its incident (with `silenced_by` or
`inhibited_by`), it just produces changes with `notify=false`. Muting is
judged at the `now` passed in, against the silences that exist then, the
maintenance windows of the configuration and the alerts firing then, so a
silence expires by itself at the first call after its end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from correlator.incidents.config import InhibitRule, MaintenanceWindow
from correlator.incidents.labels import labels_match, matcher_text
from correlator.rules import Matcher

__all__ = ["Inhibitions", "Silence", "silence_id_for", "silencer_of"]


@dataclass(frozen=True)
class Silence:
    """People's "do not notify about these alerts from start to end"; it expires by itself."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    created_by: str
    comment: str

    def active(self, now: float) -> bool:
        return self.starts_at <= now < self.ends_at

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels_match(self.matchers, labels)

    def describe(self) -> str:
        """`sil-… (service="postgres", by ana: failover drill)`."""
        matchers = ", ".join(matcher_text(m) for m in self.matchers)
        return f"{self.id} ({matchers}; by {self.created_by}: {self.comment})"

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "matchers": [[m.label, m.op, m.value] for m in self.matchers],
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "created_by": self.created_by,
            "comment": self.comment,
        }

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any]) -> Silence:
        return cls(
            id=str(wire["id"]),
            matchers=tuple(Matcher(str(label), str(op), str(value)) for label, op, value in wire["matchers"]),
            starts_at=float(wire["starts_at"]),
            ends_at=float(wire["ends_at"]),
            created_by=str(wire["created_by"]),
            comment=str(wire["comment"]),
        )


def silence_id_for(domain: str, command_id: str) -> str:
    """A silence's id, from the command that created it (its `domain` and `id`), so a replay gives the
    same id, and a command sent to several domains creates the same silence id in each."""
    return "sil-" + hashlib.sha256(f"{domain}\x00{command_id}".encode()).hexdigest()[:12]


def silencer_of(
    labels: Mapping[str, str],
    silences: Iterable[Silence],
    maintenance: Sequence[MaintenanceWindow],
    now: float,
) -> str | None:
    """The id of the first active silence (then maintenance window) matching `labels`; None if none."""
    for silence in silences:
        if silence.active(now) and silence.matches(labels):
            return silence.id
    for window in maintenance:
        if window.active(now) and window.matches(labels):
            return window.silence_id
    return None


class Inhibitions:
    """Which firing alert inhibits which, at one moment: built once, then asked per alert.

    `firing` is (fingerprint, labels) of every alert firing now, in a stable
    order; when several alerts inhibit one, the first in that order is named.
    """

    def __init__(self, rules: Sequence[InhibitRule], firing: Iterable[tuple[str, Mapping[str, str]]]) -> None:
        ordered = list(firing)
        self._rules: list[tuple[InhibitRule, list[tuple[int, str, Mapping[str, str]]]]] = []
        for rule in rules:
            sources = [(i, fp, labels) for i, (fp, labels) in enumerate(ordered) if labels_match(rule.source, labels)]
            if sources:
                self._rules.append((rule, sources))

    def of(self, fingerprint: str, labels: Mapping[str, str]) -> str | None:
        """The fingerprint of the firing alert that inhibits this one; None if none does."""
        best: tuple[int, str] | None = None
        for rule, sources in self._rules:
            if not labels_match(rule.target, labels):
                continue
            for position, source_fp, source_labels in sources:
                if best is not None and position >= best[0]:
                    break
                if source_fp != fingerprint and all(
                    source_labels.get(name, "") == labels.get(name, "") for name in rule.equal
                ):
                    best = (position, source_fp)
                    break
        return best[1] if best is not None else None
