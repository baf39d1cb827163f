"""Alert state per (rule, group): inactive → pending → firing → resolved.

Only transitions (and periodic refreshes of firing alerts) leave this
module; the caller turns them into records on the `alerts` topic. The
fingerprint is a hash of the rule name and the group's labels, so the
same breach always has the same identity, across restarts, workers and
replays.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["AlertPhase", "AlertState", "AlertTransition", "fingerprint"]


def fingerprint(rule: str, labels: Mapping[str, str]) -> str:
    """Stable 16-hex-digit identity of an alert: rule name plus sorted labels."""
    text = rule + "\x00" + "\x00".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class AlertPhase(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


@dataclass(frozen=True, slots=True)
class AlertTransition:
    """An alert became firing or resolved at time `at` (or, with refresh, is still firing)."""

    fingerprint: str
    rule: str
    status: str  #: "firing" or "resolved"
    severity: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    value: float | None
    threshold: float
    starts_at: float
    ends_at: float | None
    at: float
    refresh: bool = False  #: a re-send of a firing alert, not a change


@dataclass(slots=True)
class AlertState:
    """Where one (rule, group) alert stands; advanced once per evaluation."""

    phase: AlertPhase = AlertPhase.INACTIVE
    pending_since: float | None = None
    firing_since: float | None = None
    clear_since: float | None = None  #: firing, but the condition has been false since then
    last_sent: float | None = None  #: when the last record for this alert went out
    last_value: float | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def step(self, *, breached: bool, at: float, for_seconds: float, keep_firing_for: float = 0.0) -> str | None:
        """Advance with one evaluation result; returns "firing"/"resolved" on a transition."""
        if breached:
            self.clear_since = None
            if self.phase is AlertPhase.INACTIVE:
                self.phase = AlertPhase.PENDING
                self.pending_since = at
            if self.phase is AlertPhase.PENDING:
                assert self.pending_since is not None
                if at - self.pending_since >= for_seconds:
                    self.phase = AlertPhase.FIRING
                    self.firing_since = at
                    return "firing"
            return None
        if self.phase is AlertPhase.FIRING:
            if self.clear_since is None:
                self.clear_since = at
            if at - self.clear_since < keep_firing_for:
                return None
        was_firing = self.phase is AlertPhase.FIRING
        self.phase = AlertPhase.INACTIVE
        self.pending_since = None
        self.clear_since = None
        return "resolved" if was_firing else None
