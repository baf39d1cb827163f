"""Replay: the live pipeline's pure core driven by recorded records on a simulated clock.

Records come in event-time order (the Kafka side merges partitions). The
clock is the records' own time: before a record at time t is applied,
every 1 s step up to t runs, as the live worker's timers would have:

1. ingest's flush (partials stamped with the low watermark, dead letters
   noted) into `RuleEngine.add`, then `advance` → alert transitions;
2. `RuleEngine.tick` (absence rules);
3. every alert becomes the `schemas.Alert` the rules agent would publish
   (`to_alert`, i.e. `streams.alerts_out.alert_record`) and goes to its
   domain's `IncidentBook`; incident events go to their `IncidentPager`s,
   whose escalation steps come back as `escalate` commands
   (`escalation_commands`, i.e. `streams.notify.escalation_commands`);
4. the books' and pagers' clocks.

`changes` and `commands` records are applied to the books when read, like
the correlate agent does. At the range's end every window up to `to` is
closed (nothing older is still to come), then only the incident and page
clocks run on for a drain margin, so incidents whose alerts resolved can
resolve and pending notifications fall due. Nothing is sent: every
notification the pagers decide is recorded with its time, receiver and
reason.

The two shell functions are passed in because they live in `streams/`,
which the pure core does not import; `vigil.replay.live_replayer` wires
the live ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from correlator.alerts import AlertTransition, fingerprint
from correlator.engine import RuleEngine
from correlator.pack import RulePack
from correlator.partials import Partial, Watermark
from correlator.replay.incidents import EscalationCommands, IncidentFlow
from correlator.replay.ingest import DeadLetterNote, ReplayIngest
from correlator.replay.records import CONTROL_FAMILIES, SOURCE_FAMILIES, ReplayRecord
from correlator.replay.series import SeriesRecorder
from correlator.replay.summary import run_summary
from schemas import Alert, Change, Command, CommandKind, IncidentEvent, SchemaError, decode

__all__ = ["Replayer", "ToAlert"]

ToAlert = Callable[..., Alert]  #: `alert_record(transition, *, emitted_at)`


class Replayer:
    """One configuration over one range; feed it records, then `finish()`, then read `result()`."""

    def __init__(
        self,
        pack: RulePack,
        *,
        from_ts: float,
        to_ts: float,
        to_alert: ToAlert,
        escalation_commands: EscalationCommands,
        interval: float = 1.0,
        drain_seconds: float | None = None,
        idle_partition_seconds: float = 10.0,
        service_memory_seconds: float = 3600.0,
        max_points: int = 1440,
        max_dead_letters: int = 1000,
        max_late: int = 1000,
    ) -> None:
        if to_ts <= from_ts:
            raise ValueError("the range is empty: `to` must be after `from`")
        self.pack = pack
        self.from_ts = from_ts
        self.to_ts = to_ts
        self.interval = interval
        #: long enough for an incident whose alerts resolved just before `to` to resolve by itself
        self.drain_seconds = pack.correlation.resolve_timeout + 60.0 if drain_seconds is None else drain_seconds
        self.to_alert = to_alert
        self.engine = RuleEngine(pack)
        self.series = SeriesRecorder(max_points=max_points)
        self.series.attach(self.engine)
        self.ingest = ReplayIngest(
            pack,
            idle_partition_seconds=idle_partition_seconds,
            service_memory_seconds=service_memory_seconds,
            max_dead_letters=max_dead_letters,
        )
        self.flow = IncidentFlow(pack.correlation, pack.routing, escalation_commands)
        self.now = from_ts  #: the simulated clock
        self.finished = False
        self.alerts: list[tuple[Alert, float | None]] = []  #: firing and resolved records, with the breach start
        self.alert_records = 0  #: every record the rules agent would have published, refreshes included
        self.late: dict[tuple[str, str, float], int] = {}  #: (family, service, window start) → events dropped
        self.max_late = max_late
        self.ignored: list[DeadLetterNote] = []  #: unreadable changes and commands (live logs and skips them)
        self.control_records = {family: 0 for family in CONTROL_FAMILIES}
        self._next_step = from_ts + interval
        self._draining = False
        self._absence = {rule.name for rule in pack.absence}
        self.breaches: dict[tuple[str, float], float | None] = {}  #: (fingerprint, starts_at) → breach start

    # -- input ------------------------------------------------------------------

    def feed(self, record: ReplayRecord) -> None:
        """Apply one record read at its own time (records outside the range are skipped)."""
        if self.finished:
            raise RuntimeError("the replay has finished")
        if not self.from_ts <= record.ts < self.to_ts:
            return
        self._advance_to(record.ts)
        if record.ts > self.now:
            self.now = record.ts
        family = record.family
        if family in SOURCE_FAMILIES:
            self.ingest.fold(record, self.now)
        elif family == "changes":
            self.control_records[family] += 1
            change = self._decode(Change, record)
            if change is not None:
                self.flow.on_change(change, self.now)
        elif family == "commands":
            self.control_records[family] += 1
            command = self._decode(Command, record)
            # The live pager's escalation steps are recorded on `commands` too; this replay's own pagers decide
            # them again (and under another config, differently), so the recorded ones are not applied.
            if command is not None and command.kind != CommandKind.ESCALATE:
                self.flow.on_command(command, self.now)
        else:
            raise ValueError(f"not a topic family a replay reads: {family!r}")

    def run(self, records: Iterable[ReplayRecord], *, should_stop: Callable[[], bool] | None = None) -> bool:
        """Feed every record then finish; False (and unfinished) when `should_stop` said so first."""
        for record in records:
            if should_stop is not None and should_stop():
                return False
            self.feed(record)
        self.finish()
        return True

    def finish(self) -> None:
        """The range is over: close its windows, then let incidents and pagers run for the drain margin."""
        if self.finished:
            return
        self._advance_to(self.to_ts)
        self.now = max(self.now, self.to_ts)
        # Every source record before `to` has been read: no event of the range is still to come.
        self._flush(self.now, watermark=self.to_ts + self.pack.settings.allowed_lateness)
        self._draining = True
        self._advance_to(self.to_ts + self.drain_seconds)
        self.finished = True

    # -- the clock ----------------------------------------------------------------

    def _advance_to(self, t: float) -> None:
        while self._next_step <= t:
            self._step(self._next_step)
            self._next_step += self.interval

    def _step(self, now: float) -> None:
        self.now = now
        if not self._draining:
            self._flush(now)
            self._alerts(self.engine.tick(now), now)
        self.flow.tick(now)

    def _flush(self, now: float, *, watermark: float | None = None) -> None:
        items = self.ingest.flush(now, watermark=watermark)
        if not items:
            return
        engine = self.engine
        for item in items:
            if engine.add(item) or isinstance(item, Watermark):
                continue
            assert isinstance(item, Partial)
            key = (item.series.source, item.service, item.window_start)
            if key in self.late or len(self.late) < self.max_late:
                self.late[key] = self.late.get(key, 0) + item.aggregate.count
        self._alerts(engine.advance(), now)

    def _alerts(self, transitions: list[AlertTransition], now: float) -> None:
        for transition in transitions:
            alert = self.to_alert(transition, emitted_at=now)
            self.alert_records += 1
            if not transition.refresh:
                breach = self._breach_start(transition) if transition.status == "firing" else None
                if transition.status == "firing":
                    self.breaches[(alert.fingerprint, alert.starts_at)] = breach
                self.alerts.append((alert, breach))
            self.flow.on_alert(alert, now)

    def _breach_start(self, transition: AlertTransition) -> float | None:
        """When the breach began: the start of the base window whose evaluation first breached (for a
        threshold or burn-rate alert), or the last sample (for an absence alert)."""
        if transition.rule in self._absence:
            return transition.at - transition.value if transition.value is not None else None
        shard = self.engine.shards.get(transition.labels.get("service", ""))
        if shard is None:
            return None
        for (rule, _), state in shard.alerts.items():
            if (
                rule == transition.rule
                and state.pending_since is not None
                and fingerprint(rule, state.labels) == transition.fingerprint
            ):
                return state.pending_since - self.pack.settings.window_seconds
        return None

    def _decode(self, record_type: type[Any], record: ReplayRecord) -> Any:
        try:
            if record.value is None:
                raise SchemaError("$", "record has no value (tombstone)")
            return decode(record_type, record.value)
        except SchemaError as exc:
            if len(self.ignored) < self.ingest.max_dead_letters:
                preview = record.value[:160].decode("utf-8", "replace") if record.value is not None else None
                self.ignored.append(
                    DeadLetterNote(
                        record.family, record.partition, record.offset, record.ts, exc.field, exc.problem, preview
                    )
                )
            return None

    # -- output ---------------------------------------------------------------------

    @property
    def events(self) -> list[IncidentEvent]:
        """Every incident event of the run, in publishing order (what `--publish` writes)."""
        return self.flow.events

    def result(self) -> dict[str, Any]:
        """The run as the report's RUN object: alerts, incidents, notifications, commands, series."""
        return run_summary(self)
