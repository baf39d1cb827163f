"""Scenario files: alerts, changes and commands with times in, the expected incidents out.

A scenario is a YAML file (tests/scenarios/*.yaml)::

    name: topology join
    start: 2026-01-01T00:00:00Z   # optional (default this one); `at` offsets count from it
    tick_every: 10s               # optional (default 10s): ticks between inputs, like the worker's timer
    until: 20m                    # optional: keep ticking to this offset (default: the last input)
    settings: {topology: {advisor-api: [postgres]}}   # correlation settings (`settings_from_mapping`)
    domain: postgres              # optional: default the domain of the first alert's service
    input:
      - at: 0s
        alert: {rule: PostgresDown, service: postgres, severity: critical, summary: "…", labels: {…}}
      - at: 1m                    # the same alert again while firing: a refresh (same starts_at)
        alert: {rule: PostgresDown, service: postgres, severity: critical}
      - at: 5m
        alert: {rule: PostgresDown, service: postgres, status: resolved}
      - at: -3m
        change: {id: d1, service: postgres, version: "16.4", author: bruno, kind: deploy, link: "https://…"}
      - at: 2m
        command: {kind: ack, incident: service=postgres, actor: ana, note: "on it"}   # incident by group key
      - at: 2m
        command: {id: s1, kind: silence, actor: ana, matchers: ['service="x"'], for: 1h, comment: "…"}
      - at: 3m
        command: {kind: unsilence, silence_of: s1, actor: ana}
      - at: 9m
        tick: true
    expect:
      incidents:                  # exactly these, matched by group_key (in opening order)
        - group_key: service=postgres
          status: resolved        # also severity, root_cause, services, flapping, reopen_count,
          root_cause: postgres    # acknowledged_by, title, reasons, suspects (summaries), notified
          alerts:                 # exactly these alerts, by rule and service
            - {rule: PostgresDown, service: postgres, status: resolved, count: 2, silenced: false}
          timeline: [opened, alert_added (quiet), resolved (notify)]   # in this order, others may come between
      commands:
        - {id: c1, accepted: false, reason: "unknown incident"}     # reason: a fragment of it

Inputs are applied in file order, which need not be time order (a late
alert is a valid scenario). `load_scenario` turns the file into ready
records; `run_scenario` plays them through a fresh `IncidentBook`;
`check_scenario` compares the published events with the expectations.
The checks look only at the events, so a live run on the broker can be
checked the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import yaml

from correlator.alerts import fingerprint
from correlator.durations import parse_duration
from correlator.incidents.book import IncidentBook
from correlator.incidents.commands import CommandOutcome
from correlator.incidents.config import CorrelationSettings, settings_from_mapping
from correlator.incidents.labels import service_of
from correlator.incidents.muting import silence_id_for
from schemas import Alert, Change, Command, IncidentEvent, SilenceSpec

__all__ = [
    "Scenario",
    "ScenarioError",
    "ScenarioRun",
    "Step",
    "bind_command",
    "check_scenario",
    "load_scenario",
    "run_scenario",
    "scenario_from_mapping",
]

DEFAULT_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a Thursday
UNKNOWN_INCIDENT = "inc-000000000000"


@dataclass(frozen=True)
class Step:
    """One input at absolute time `at`: a record, or (record None) an explicit tick."""

    at: float
    record: Alert | Change | Command | None
    incident_group: str | None = None  #: a command's incident, by group key, looked up when it is applied


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    path: Path | None
    settings: CorrelationSettings
    domain: str
    start: float
    tick_every: float | None
    until: float
    steps: tuple[Step, ...]
    expect: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScenarioRun:
    events: list[IncidentEvent]
    outcomes: list[CommandOutcome]
    book: IncidentBook


class ScenarioError(ValueError):
    """A scenario file that cannot be read, with the place in it."""


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file into ready records; ScenarioError naming the bad input otherwise."""
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise ScenarioError(f"{path}: expected a map with name, input and expect")
    try:
        return scenario_from_mapping(data, path)
    except ScenarioError:
        raise
    except (ValueError, TypeError, KeyError, msgspec.ValidationError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc


def scenario_from_mapping(data: Mapping[str, Any], path: Path | None = None) -> Scenario:
    settings = settings_from_mapping(data.get("settings") or {})
    start = _instant(data.get("start", DEFAULT_START))
    tick_every = data.get("tick_every", "10s")
    tick = _offset(tick_every) if tick_every not in (None, 0, "0") else None
    builder = _StepBuilder(start)
    steps = []
    for i, item in enumerate(data.get("input") or []):
        try:
            steps.append(builder.step(item))
        except (ValueError, TypeError, KeyError, msgspec.ValidationError) as exc:
            raise ScenarioError(f"{path or data.get('name')}: input[{i}]: {exc}") from exc
    last = max((s.at for s in steps), default=start)
    until = start + _offset(data["until"]) if "until" in data else last
    first_alert = next((s.record for s in steps if isinstance(s.record, Alert)), None)
    domain = data.get("domain") or settings.topology.domain(
        service_of(first_alert.labels) if first_alert is not None else "unknown"
    )
    return Scenario(
        name=str(data.get("name") or (path.stem if path else "scenario")),
        description=str(data.get("description") or ""),
        path=path,
        settings=settings,
        domain=str(domain),
        start=start,
        tick_every=tick,
        until=until,
        steps=tuple(steps),
        expect=data.get("expect") or {},
    )


class _StepBuilder:
    """Turns input items into records, remembering which alerts fire so refreshes keep their start."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.firing: dict[str, float] = {}  #: fingerprint → starts_at of the episode firing now
        self.commands = 0

    def step(self, item: Mapping[str, Any]) -> Step:
        at = self.start + _offset(item.get("at", 0))
        if item.get("tick"):
            return Step(at, None)
        if "alert" in item:
            return Step(at, self.alert(item["alert"], at))
        if "change" in item:
            return Step(at, self.change(item["change"], at))
        if "command" in item:
            command, group = self.command(item["command"], at)
            return Step(at, command, group)
        raise ValueError("expected one of alert, change, command or tick")

    def alert(self, spec: Mapping[str, Any], at: float) -> Alert:
        rule, service = str(spec["rule"]), str(spec["service"])
        severity = str(spec.get("severity", "high"))
        status = str(spec.get("status", "firing"))
        group = {"service": service, **{str(k): str(v) for k, v in (spec.get("labels") or {}).items()}}
        fp = fingerprint(rule, group)
        if status == "firing":
            starts_at = self.firing.get(fp)
            if starts_at is None:
                starts_at = self.start + _offset(spec["starts_at"]) if "starts_at" in spec else at
                self.firing[fp] = starts_at
            ends_at = None
        else:
            starts_at = self.firing.pop(fp, at)
            ends_at = at
        summary = spec.get("summary")
        return Alert(
            fingerprint=fp,
            rule=rule,
            status=status,
            severity=severity,
            labels={**group, "alertname": rule, "severity": severity},
            annotations={"summary": str(summary)} if summary else {},
            value=1.0,
            threshold=0.0,
            starts_at=starts_at,
            ends_at=ends_at,
            event_ts=at,
            emitted_at=at,
        )

    def change(self, spec: Mapping[str, Any], at: float) -> Change:
        fields = {"kind": "deploy", "author": "ci@example.com", **spec}
        fields.setdefault("id", hashlib.sha256(repr(sorted(fields.items())).encode()).hexdigest()[:12])
        fields.setdefault("link", f"https://ci.example.com/changes/{fields['id']}")
        fields["ts"] = self.start + _offset(fields["ts"]) if "ts" in fields else at
        return msgspec.convert({k: str(v) if k != "ts" else v for k, v in fields.items()}, Change)

    def command(self, spec: Mapping[str, Any], at: float) -> tuple[Command, str | None]:
        self.commands += 1
        fields: dict[str, Any] = {
            "id": str(spec.get("id", f"cmd-{self.commands}")),
            "kind": str(spec["kind"]),
            "domain": str(spec.get("domain", "-")),
            "actor": str(spec.get("actor", "ana@example.com")),
            "ts": at,
        }
        if "note" in spec:
            fields["note"] = str(spec["note"])
        if "incident_id" in spec:
            fields["incident_id"] = str(spec["incident_id"])
        if fields["kind"] == "silence":
            starts = self.start + _offset(spec["starts"]) if "starts" in spec else at
            ends = self.start + _offset(spec["ends"]) if "ends" in spec else starts + _offset(spec.get("for", "1h"))
            fields["silence"] = SilenceSpec(
                matchers=[str(m) for m in spec["matchers"]],
                starts_at=starts,
                ends_at=ends,
                comment=str(spec.get("comment", "silenced in a scenario")),
            )
        if "silence_of" in spec:
            fields["silence_id"] = f"@{spec['silence_of']}"  # the domain is known only when run
        if "silence_id" in spec:
            fields["silence_id"] = str(spec["silence_id"])
        group = str(spec["incident"]) if "incident" in spec else None
        return Command(**fields), group


def run_scenario(scenario: Scenario, book: IncidentBook | None = None) -> ScenarioRun:
    """Play the scenario through `book` (default: a fresh one for its domain), ticking as the worker would."""
    book = book if book is not None else IncidentBook(scenario.settings, scenario.domain)
    events: list[IncidentEvent] = []
    outcomes: list[CommandOutcome] = []
    next_tick = scenario.start if scenario.tick_every else None

    def tick_until(t: float) -> None:
        nonlocal next_tick
        while next_tick is not None and scenario.tick_every and next_tick <= t:
            events.extend(book.tick(next_tick))
            next_tick += scenario.tick_every

    for step in scenario.steps:
        tick_until(step.at)
        record = step.record
        if record is None:
            events.extend(book.tick(step.at))
        elif isinstance(record, Alert):
            events.extend(book.on_alert(record, step.at))
        elif isinstance(record, Change):
            events.extend(book.on_change(record, step.at))
        else:
            command = bind_command(step, book.domain, lambda key: _incident_id(book, key))
            outcome = book.on_command(command, step.at)
            outcomes.append(outcome)
            events.extend(outcome.events)
    tick_until(scenario.until)
    return ScenarioRun(events, outcomes, book)


def bind_command(step: Step, domain: str, incident_for_group: Callable[[str], str | None]) -> Command:
    """A scenario command made concrete: the domain it goes to, its incident (looked up by group key
    with `incident_for_group`, e.g. from a read model when run live) and the silence id it names."""
    command = step.record
    if not isinstance(command, Command):
        raise TypeError(f"step at {step.at} holds no command")
    changes: dict[str, Any] = {"domain": domain}
    if step.incident_group is not None:
        changes["incident_id"] = incident_for_group(step.incident_group) or UNKNOWN_INCIDENT
    if command.silence_id and command.silence_id.startswith("@"):
        changes["silence_id"] = silence_id_for(domain, command.silence_id[1:])
    return msgspec.structs.replace(command, **changes)


def _incident_id(book: IncidentBook, key: str) -> str | None:
    found = book.incident_for_group(key)
    return found.id if found is not None else None


# -- expectations ------------------------------------------------------------------


def check_scenario(
    scenario: Scenario, events: Sequence[IncidentEvent], outcomes: Sequence[CommandOutcome] = ()
) -> list[str]:
    """Every way the published events differ from the scenario's expectations; [] when they match."""
    problems: list[str] = []
    by_id: dict[str, list[IncidentEvent]] = {}
    for event in events:
        by_id.setdefault(event.incident_id, []).append(event)
    actual: dict[str, list[list[IncidentEvent]]] = {}
    for stream in by_id.values():
        actual.setdefault(stream[-1].incident.group_key, []).append(stream)
    expected = list(scenario.expect.get("incidents") or [])
    wanted: dict[str, list[Mapping[str, Any]]] = {}
    for spec in expected:
        wanted.setdefault(str(spec["group_key"]), []).append(spec)
    for key in sorted(set(actual) | set(wanted)):
        got, want = actual.get(key, []), wanted.get(key, [])
        if len(got) != len(want):
            problems.append(f"group {key}: expected {len(want)} incident(s), got {len(got)}")
            continue
        for n, (stream, spec) in enumerate(zip(got, want, strict=True)):
            problems.extend(f"{key}#{n}: {p}" for p in _check_incident(stream, spec))
    for spec in scenario.expect.get("commands") or []:
        outcome = next((o for o in outcomes if o.command_id == str(spec["id"])), None)
        if outcome is None:
            problems.append(f"command {spec['id']}: not applied")
            continue
        if "accepted" in spec and outcome.accepted != bool(spec["accepted"]):
            problems.append(f"command {spec['id']}: accepted {outcome.accepted}, expected {spec['accepted']}")
        if "reason" in spec and str(spec["reason"]) not in outcome.reason:
            problems.append(f"command {spec['id']}: reason {outcome.reason!r} lacks {spec['reason']!r}")
    return problems


_SIMPLE = ("status", "severity", "root_cause", "flapping", "reopen_count", "acknowledged_by", "title", "domain")


def _check_incident(stream: list[IncidentEvent], spec: Mapping[str, Any]) -> list[str]:
    problems = []
    final = stream[-1].incident
    for name in _SIMPLE:
        if name in spec and _plain(getattr(final, name)) != spec[name]:
            problems.append(f"{name} is {_plain(getattr(final, name))!r}, expected {spec[name]!r}")
    if "services" in spec and final.services != sorted(spec["services"]):
        problems.append(f"services are {final.services}, expected {sorted(spec['services'])}")
    if "reasons" in spec and final.reasons != list(spec["reasons"]):
        problems.append(f"reasons are {final.reasons}, expected {spec['reasons']}")
    if "suspects" in spec and [s.summary for s in final.suspects] != list(spec["suspects"]):
        problems.append(f"suspects are {[s.summary for s in final.suspects]}, expected {spec['suspects']}")
    if "notified" in spec and any(e.notify for e in stream) != bool(spec["notified"]):
        problems.append(f"notified is {any(e.notify for e in stream)}, expected {spec['notified']}")
    if "alerts" in spec:
        problems.extend(_check_alerts(final.alert_details, spec["alerts"]))
    kinds = [(str(e.event), e.notify) for e in stream]
    if "timeline" in spec and not _subsequence([_kind(k) for k in spec["timeline"]], kinds):
        problems.append(f"timeline {_render(kinds)} does not contain, in order, {spec['timeline']}")
    if "timeline_exact" in spec:
        want = [_kind(k) for k in spec["timeline_exact"]]
        if len(want) != len(kinds) or not _subsequence(want, kinds):
            problems.append(f"timeline {_render(kinds)} is not exactly {spec['timeline_exact']}")
    return problems


def _check_alerts(details: Sequence[Any], specs: Sequence[Mapping[str, Any]]) -> list[str]:
    problems = []
    got = {(d.alertname, d.labels.get("service", "")): d for d in details}
    want = {(str(s["rule"]), str(s["service"])): s for s in specs}
    if set(got) != set(want):
        return [f"alerts are {sorted(got)}, expected {sorted(want)}"]
    for key, spec in want.items():
        detail = got[key]
        for name in ("status", "severity", "count"):
            if name in spec and _plain(getattr(detail, name)) != spec[name]:
                problems.append(f"alert {key[0]} on {key[1]}: {name} is {_plain(getattr(detail, name))!r}")
        for name, attr in (("silenced", "silenced_by"), ("inhibited", "inhibited_by")):
            if name in spec and (getattr(detail, attr) is not None) != bool(spec[name]):
                problems.append(f"alert {key[0]} on {key[1]}: {attr} is {getattr(detail, attr)!r}")
        if "silenced_by" in spec and detail.silenced_by != spec["silenced_by"]:
            problems.append(f"alert {key[0]} on {key[1]}: silenced_by is {detail.silenced_by!r}")
    return problems


def _kind(text: str) -> tuple[str, bool | None]:
    """`alert_added (quiet)` → ("alert_added", False); `opened (notify)` → True; bare → either."""
    name, _, rest = str(text).partition(" (")
    flag = rest.rstrip(")").strip()
    if flag not in ("", "quiet", "notify"):
        raise ScenarioError(f"timeline entry {text!r}: the flag is (quiet) or (notify)")
    return name.strip(), None if not flag else flag == "notify"


def _subsequence(want: list[tuple[str, bool | None]], got: list[tuple[str, bool]]) -> bool:
    position = 0
    for kind, notify in want:
        while position < len(got) and not (got[position][0] == kind and notify in (None, got[position][1])):
            position += 1
        if position == len(got):
            return False
        position += 1
    return True


def _render(kinds: list[tuple[str, bool]]) -> str:
    return "[" + ", ".join(k if notify else f"{k} (quiet)" for k, notify in kinds) + "]"


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, str) else value


def _offset(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if text.startswith("-"):
        return -parse_duration(text[1:])
    return parse_duration(text)


def _instant(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).timestamp()
