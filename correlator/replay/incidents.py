"""Alerts to incidents to (dry) notifications, as the correlate and page agents do it live.

`streams/correlate.py` keeps one `IncidentBook` per correlation domain and
feeds it alerts, changes, commands and a 1 s clock; `streams/notify.py`
keeps one `IncidentPager` per incident, feeds it every incident event and
its own 1 s clock, and turns escalation steps into `escalate` commands
that go back to the books (and onto the incidents' timelines). Here the
topics between them are a FIFO queue, time is the replay's simulated
clock, and notifications are recorded instead of sent.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from correlator.incidents import CommandOutcome, CorrelationSettings, IncidentBook
from correlator.routing import IncidentPager, RoutingConfig
from schemas import Alert, Change, Command, IncidentEvent, Notification

__all__ = ["AppliedCommand", "EscalationCommands", "IncidentFlow"]

#: A command for every domain (silences), sent to every partition: `streams.api.ALL_DOMAINS`.
ALL_DOMAINS = "*"
_MAX_BROADCASTS = 1000

EscalationCommands = Callable[[list[Notification]], list[Command]]


@dataclass(frozen=True, slots=True)
class AppliedCommand:
    """A command from the `commands` topic (or the pager) and what the book made of it."""

    ts: float
    command: Command
    outcome: CommandOutcome


class IncidentFlow:
    """Every domain's book and every incident's pager, driven by alerts, changes, commands and ticks."""

    def __init__(
        self, correlation: CorrelationSettings, routing: RoutingConfig, escalation_commands: EscalationCommands
    ) -> None:
        self.correlation = correlation
        self.routing = routing
        self.escalation_commands = escalation_commands
        self.books: dict[str, IncidentBook] = {}
        self.pagers: dict[str, IncidentPager] = {}
        self.broadcasts: list[Command] = []  #: silences for every domain, replayed into books created later
        self._broadcast_ids: set[str] = set()
        self.events: list[IncidentEvent] = []  #: every incident event, in publishing order
        self.notifications: list[Notification] = []  #: every notification decided, in order (none sent)
        self.commands: list[AppliedCommand] = []  #: commands from the topic (not the pager's escalations)

    # -- inputs -----------------------------------------------------------------

    def on_alert(self, alert: Alert, now: float) -> None:
        domain = self.correlation.topology.domain(alert.labels.get("service", ""))
        self._publish(self.book(domain).on_alert(alert, now), now)

    def on_change(self, change: Change, now: float) -> None:
        domain = self.correlation.topology.domain(change.service)
        self._publish(self.book(domain).on_change(change, now), now)

    def on_command(self, command: Command, now: float) -> None:
        """A person's command, as `correlate.apply_command` applies it (a broadcast reaches every book).

        The API writes a broadcast to every partition of `commands`, one copy for each partition's agent;
        here one flow owns every book, so only the first copy is applied.
        """
        if command.domain == ALL_DOMAINS:
            if command.id in self._broadcast_ids:
                return
            self._broadcast_ids.add(command.id)
            self.broadcasts.append(command)
            del self.broadcasts[:-_MAX_BROADCASTS]
            targets = list(self.books.values())
        else:
            targets = [self.book(command.domain)]
        outcome = None
        for target in targets:
            outcome = target.on_command(command, now)
            self._publish(outcome.events, now)
        if outcome is None:
            outcome = CommandOutcome(command.id, True, "no book yet: kept for the domains that appear later")
        self.commands.append(AppliedCommand(now, command, outcome))

    def tick(self, now: float) -> None:
        """The incident clock (auto-resolve, silence expiry, flapping), then the page clock (deadlines)."""
        for book in list(self.books.values()):
            self._publish(book.tick(now), now)
        for incident_id in list(self.pagers):
            pager = self.pagers.get(incident_id)
            if pager is None:
                continue
            deadline = pager.next_deadline()
            if deadline is None or deadline > now:
                continue
            self._page(pager.tick(now), now)
            self._save(pager)

    # -- the loop between books and pagers ----------------------------------------

    def book(self, domain: str) -> IncidentBook:
        found = self.books.get(domain)
        if found is None:
            found = self.books[domain] = IncidentBook(self.correlation, domain)
            for command in self.broadcasts:
                found.on_command(command, command.ts)
        return found

    def _publish(self, events: Iterable[IncidentEvent], now: float) -> None:
        """Events go to their pagers; the pagers' escalation steps come back to the books as commands."""
        queue = deque(events)
        while queue:
            event = queue.popleft()
            self.events.append(event)
            pager = self.pagers.get(event.incident_id) or IncidentPager.start(self.routing, event.incident)
            self.pagers[event.incident_id] = pager
            notes = pager.on_event(event, now)
            self._save(pager)
            queue.extend(self._page(notes, now, publish=False))

    def _page(self, notes: list[Notification], now: float, *, publish: bool = True) -> list[IncidentEvent]:
        self.notifications.extend(notes)
        events: list[IncidentEvent] = []
        for command in self.escalation_commands(notes):
            events.extend(self.book(command.domain).on_command(command, now).events)
        if publish:
            self._publish(events, now)
            return []
        return events

    def _save(self, pager: IncidentPager) -> None:
        if pager.finished:
            self.pagers.pop(pager.state.incident_id, None)
