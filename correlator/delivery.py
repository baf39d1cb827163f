"""Delivery success: each message counted once, by its final status.

Receipts report every step of a message (queued, sent, delivered, read,
failed, undelivered), so counting receipts per status counts messages
several times. `DeliveryTracker` turns the receipts of one message into
exactly one `Outcome`:

- `delivered` and `read` are a success, `failed` and `undelivered` a
  failure. The *first* final status to arrive decides, and the decision is
  never revised: a `read` after `delivered`, a repeated final status, or a
  `failed` after `delivered` (or the reverse) are ignored. The outcome has
  already gone downstream into a window that may have closed, so a change
  of mind would need a retraction; and providers do report out of order.
- `queued` and `sent` start tracking. A message with no final status
  `timeout_seconds` of event time after its first receipt is a failure,
  stamped first receipt + timeout. A final status that arrives later than
  that is too late: the message still counts once, as that failure. This
  makes the answer depend on event time only, not on when ingest flushed.
- A final status for a message never seen before counts, once.
- A message is identified by (service, channel, provider, message_id).

Memory stays bounded: a pending message is dropped when it times out, and
a decided message id is remembered only for `remember_seconds` (default
twice the timeout) after its decision, to drop later receipts of it. A
receipt arriving after that is taken for a new message: a late `read`
counts a second success, a late `sent` a failure after the timeout.

Only event time is used: `expire(event_now)` is called with the ingest
loop's low watermark, and nothing reads the clock.

Known limits (the state lives in the ingest loop's memory, not in Kafka):

- After a restart, a message whose first receipt was before the last
  committed source offset is tracked afresh from its next receipt. If that
  is a final status it counts (it would have anyway), but a message that
  never gets a final status is missed by the timeout rule, and a `read`
  arriving after a `delivered` that was counted before the restart counts
  a second success.
- The same holds when a source partition moves to another worker
  (`forget(origin)` drops what came from it, so the two workers do not
  both count it).
- All receipts of one message must reach the same ingest worker: producers
  key receipts by service (or by message id), never at random.

Transactions: ingest folds receipts, then commits the outcomes with the
source offsets in one Kafka transaction. If that transaction aborts, the
same receipts are read again, so the tracker must forget what it learnt
from them: with `transactional=True` it journals every change, `commit()`
drops the journal, and `rollback()` undoes everything since the last
commit.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal, Protocol

__all__ = ["FINAL_STATUSES", "DeliveryTracker", "Outcome"]

#: Final statuses and the outcome each one means.
FINAL_STATUSES: dict[str, Literal["success", "failure"]] = {
    "delivered": "success",
    "read": "success",
    "failed": "failure",
    "undelivered": "failure",
}

_MessageKey = tuple[str, str, str, str]  # service, channel, provider, message_id
_MISSING = object()


class _Receipt(Protocol):
    ts: float
    service: str
    message_id: str
    channel: str
    provider: str
    status: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The one decision about one message."""

    service: str
    channel: str
    provider: str
    outcome: Literal["success", "failure"]
    ts: float  #: event time: the deciding receipt's, or first receipt + timeout


class DeliveryTracker:
    """Receipts in, one `Outcome` per message out; see the module docstring."""

    def __init__(
        self, timeout_seconds: float, *, remember_seconds: float | None = None, transactional: bool = False
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self.timeout_seconds = timeout_seconds
        self.remember_seconds = 2 * timeout_seconds if remember_seconds is None else remember_seconds
        self.transactional = transactional
        # message → (first receipt's event time, origin); one heap entry per (first_ts, message),
        # stale entries (decided or re-stamped messages) are skipped when popped.
        self._pending: dict[_MessageKey, tuple[float, Hashable]] = {}
        self._pending_heap: list[tuple[float, _MessageKey]] = []
        # message → (decision's event time, origin), forgotten `remember_seconds` later.
        self._decided: dict[_MessageKey, tuple[float, Hashable]] = {}
        self._decided_heap: list[tuple[float, _MessageKey]] = []
        self._journal: list[tuple[bool, _MessageKey, object]] = []  #: (in pending?, key, old value)

    # ------------------------------------------------------------------ receipts and time

    def observe(self, receipt: _Receipt, origin: Hashable = None) -> list[Outcome]:
        """Take one receipt; the outcome it decides, if any. `origin`: its source partition."""
        key = (receipt.service, str(receipt.channel), receipt.provider, receipt.message_id)
        if key in self._decided:
            return []
        status = str(receipt.status)
        ts = receipt.ts
        pending = self._pending.get(key)
        outcome = FINAL_STATUSES.get(status)
        if outcome is None:  # queued / sent
            if pending is None or ts < pending[0]:
                self._set_pending(key, (ts, origin))
                heapq.heappush(self._pending_heap, (ts, key))
            return []
        if pending is not None:
            deadline = pending[0] + self.timeout_seconds
            if ts >= deadline:  # too late: it had already timed out in event time
                outcome, ts = "failure", deadline
            self._set_pending(key, _MISSING)
        self._decide(key, ts, origin)
        return [Outcome(receipt.service, key[1], receipt.provider, outcome, ts)]

    def expire(self, event_now: float) -> list[Outcome]:
        """Event time has reached `event_now`: messages timed out by then fail; old ids are forgotten."""
        timeout = self.timeout_seconds
        out: list[Outcome] = []
        heap = self._pending_heap
        while heap and heap[0][0] + timeout <= event_now:
            first_ts, key = heapq.heappop(heap)
            pending = self._pending.get(key)
            if pending is None or pending[0] != first_ts:
                continue  # decided already, or re-stamped by an earlier receipt
            self._set_pending(key, _MISSING)
            deadline = first_ts + timeout
            self._decide(key, deadline, pending[1])
            out.append(Outcome(key[0], key[1], key[2], "failure", deadline))
        heap = self._decided_heap
        while heap and heap[0][0] + self.remember_seconds <= event_now:
            decided_ts, key = heapq.heappop(heap)
            decided = self._decided.get(key)
            if decided is not None and decided[0] == decided_ts:
                self._set_decided(key, _MISSING)
        return out

    def forget(self, origin: Hashable) -> None:
        """Drop every message that came from `origin` (a source partition now read elsewhere)."""
        for key in [k for k, (_, o) in self._pending.items() if o == origin]:
            self._set_pending(key, _MISSING)
        for key in [k for k, (_, o) in self._decided.items() if o == origin]:
            self._set_decided(key, _MISSING)

    # ------------------------------------------------------------------ transactions

    def commit(self) -> None:
        """What was observed so far is durable: forget how to undo it."""
        self._journal.clear()

    def rollback(self) -> None:
        """Undo every change since the last `commit()` (the receipts will be observed again)."""
        if not self.transactional:
            raise RuntimeError("rollback() needs DeliveryTracker(transactional=True)")
        for in_pending, key, old in reversed(self._journal):
            table, heap = (self._pending, self._pending_heap) if in_pending else (self._decided, self._decided_heap)
            if old is _MISSING:
                table.pop(key, None)
            else:
                table[key] = old  # type: ignore[assignment]
                heapq.heappush(heap, (old[0], key))  # type: ignore[index]  # a duplicate entry is skipped later
        self._journal.clear()

    # ------------------------------------------------------------------ introspection

    @property
    def pending(self) -> int:
        """Messages waiting for a final status."""
        return len(self._pending)

    @property
    def remembered(self) -> int:
        """Decided messages still remembered, to drop their later receipts."""
        return len(self._decided)

    def footprint(self) -> int:
        """Entries held in all internal structures: what bounds this object's memory."""
        return (
            len(self._pending)
            + len(self._pending_heap)
            + len(self._decided)
            + len(self._decided_heap)
            + len(self._journal)
        )

    # ------------------------------------------------------------------ internals

    def _decide(self, key: _MessageKey, ts: float, origin: Hashable) -> None:
        self._set_decided(key, (ts, origin))
        heapq.heappush(self._decided_heap, (ts, key))

    def _set_pending(self, key: _MessageKey, value: object) -> None:
        if self.transactional:
            self._journal.append((True, key, self._pending.get(key, _MISSING)))
        if value is _MISSING:
            del self._pending[key]
        else:
            self._pending[key] = value  # type: ignore[assignment]

    def _set_decided(self, key: _MessageKey, value: object) -> None:
        if self.transactional:
            self._journal.append((False, key, self._decided.get(key, _MISSING)))
        if value is _MISSING:
            del self._decided[key]
        else:
            self._decided[key] = value  # type: ignore[assignment]
