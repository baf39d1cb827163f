"""How alerts become incidents: grouping, windows, topology, inhibition and maintenance.

Everything here is immutable configuration, shared by the live agent,
replay and the tests. Silences are not here: people create and remove them
at run time (`correlator.incidents.muting.Silence`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from correlator.durations import parse_duration
from correlator.incidents.labels import labels_match
from correlator.incidents.topology import Topology
from correlator.rules import Matcher

__all__ = ["CorrelationSettings", "InhibitRule", "MaintenanceWindow", "settings_from_mapping"]

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class InhibitRule:
    """Alertmanager's inhibition: a firing `source` alert mutes `target` alerts that agree on `equal`.

    A label missing from both alerts counts as equal, as in Alertmanager.
    An alert never inhibits itself.
    """

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[str, ...] = ()

    def inhibits(self, source: Mapping[str, str], target: Mapping[str, str]) -> bool:
        """Whether an alert with labels `source`, firing, inhibits one with labels `target`."""
        return (
            labels_match(self.target, target)
            and labels_match(self.source, source)
            and all(source.get(name, "") == target.get(name, "") for name in self.equal)
        )


@dataclass(frozen=True)
class MaintenanceWindow:
    """A recurring window (UTC) during which matching alerts are silenced, e.g. a nightly backup.

    `weekdays` are 0 = Monday … 6 = Sunday. A window whose `end` is not after
    its `start` runs past midnight into the next day.
    """

    name: str
    matchers: tuple[Matcher, ...]
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    start: time = time(0, 0)
    end: time = time(0, 0)

    @property
    def silence_id(self) -> str:
        """What an alert's `silenced_by` says while this window mutes it."""
        return f"maintenance:{self.name}"

    def active(self, now: float) -> bool:
        """Whether the window is open at Unix time `now`."""
        moment = datetime.fromtimestamp(now, tz=UTC)
        clock = moment.time()
        if self.start < self.end:
            return moment.weekday() in self.weekdays and self.start <= clock < self.end
        # past midnight: the evening part on a listed day, the morning part on the day after one
        yesterday = (moment - timedelta(days=1)).weekday()
        return (moment.weekday() in self.weekdays and clock >= self.start) or (
            yesterday in self.weekdays and clock < self.end
        )

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels_match(self.matchers, labels)


@dataclass(frozen=True)
class CorrelationSettings:
    """Grouping, windows (seconds) and the maps correlation runs on.

    - `group_by`: labels whose values put alerts into one group (Alertmanager's group_by).
    - `correlation_window`: a new alert joins an open incident of another group when a
      topologically related alert of it was firing within this long of the new alert's start.
    - `resolve_timeout`: an incident resolves by itself once all its alerts have been resolved this long.
    - `reopen_window`: a group firing again this soon after its incident was resolved reopens it.
    - `flap_changes` / `flap_window`: an alert changing state more than `flap_changes` times within
      `flap_window` makes its incident flapping, which holds notifications until no alert of it
      has changed state for `flap_window`.
    - `change_window`: a deploy or config change this long or less before an alert began is a suspect.
    """

    group_by: tuple[str, ...] = ("service",)
    correlation_window: float = 300.0
    resolve_timeout: float = 300.0
    reopen_window: float = 1800.0
    flap_changes: int = 4
    flap_window: float = 600.0
    change_window: float = 1800.0
    topology: Topology = field(default_factory=Topology)
    inhibit_rules: tuple[InhibitRule, ...] = ()
    maintenance: tuple[MaintenanceWindow, ...] = ()

    def __post_init__(self) -> None:
        for name in ("correlation_window", "resolve_timeout", "reopen_window", "flap_window", "change_window"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)!r}")
        if self.flap_changes < 1:
            raise ValueError(f"flap_changes must be at least 1, got {self.flap_changes!r}")


def settings_from_mapping(data: Mapping[str, Any]) -> CorrelationSettings:
    """Settings from a parsed YAML/JSON mapping; ValueError naming the field when one is wrong.

    ::

        group_by: [service]
        correlation_window: 5m        # durations: 30s, 5m, 1h, or a number of seconds
        resolve_timeout: 5m
        reopen_window: 30m
        flap_changes: 4
        flap_window: 10m
        change_window: 30m
        topology: {advisor-api: [postgres, compliance-svc], compliance-svc: [postgres]}
        inhibit_rules:
          - {source: ['severity="critical"'], target: ['severity="medium"'], equal: [service]}
        maintenance:
          - {name: nightly-backup, matchers: ['service="postgres"'], weekdays: [mon, sun], start: "02:00", end: "03:00"}
    """
    known = {
        "group_by",
        "correlation_window",
        "resolve_timeout",
        "reopen_window",
        "flap_changes",
        "flap_window",
        "change_window",
        "topology",
        "inhibit_rules",
        "maintenance",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"unknown correlation setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    kwargs: dict[str, Any] = {}
    if "group_by" in data:
        kwargs["group_by"] = tuple(_strings(data["group_by"], "group_by"))
    for name in ("correlation_window", "resolve_timeout", "reopen_window", "flap_window", "change_window"):
        if name in data:
            kwargs[name] = _seconds(data[name], name)
    if "flap_changes" in data:
        value = data["flap_changes"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"flap_changes: expected a whole number, got {value!r}")
        kwargs["flap_changes"] = value
    if "topology" in data:
        topology = data["topology"] or {}
        if not isinstance(topology, Mapping):
            raise ValueError("topology: expected a map of service to the services it depends on")
        kwargs["topology"] = Topology(
            {str(s): tuple(_strings(ups or [], f"topology.{s}")) for s, ups in topology.items()}
        )
    if "inhibit_rules" in data:
        kwargs["inhibit_rules"] = tuple(
            _inhibit_rule(rule, f"inhibit_rules[{i}]") for i, rule in enumerate(data["inhibit_rules"] or [])
        )
    if "maintenance" in data:
        kwargs["maintenance"] = tuple(
            _maintenance(window, f"maintenance[{i}]") for i, window in enumerate(data["maintenance"] or [])
        )
    return CorrelationSettings(**kwargs)


def parse_matchers(texts: Any, where: str) -> tuple[Matcher, ...]:
    """`['service="x"', ...]` → matchers; ValueError naming `where` and the bad matcher."""
    out = []
    for i, text in enumerate(_strings(texts, where)):
        try:
            out.append(Matcher.parse(text))
        except Exception as exc:  # Matcher.parse: ValueError; a bad regex: re.error
            raise ValueError(f"{where}[{i}]: {exc}") from None
    return tuple(out)


def _inhibit_rule(rule: Any, where: str) -> InhibitRule:
    if not isinstance(rule, Mapping):
        raise ValueError(f"{where}: expected a map with source, target and equal")
    extra = sorted(set(rule) - {"source", "target", "equal"})
    if extra:
        raise ValueError(f"{where}: unknown field(s) {', '.join(extra)}")
    return InhibitRule(
        source=parse_matchers(rule.get("source", []), f"{where}.source"),
        target=parse_matchers(rule.get("target", []), f"{where}.target"),
        equal=tuple(_strings(rule.get("equal", []), f"{where}.equal")),
    )


def _maintenance(window: Any, where: str) -> MaintenanceWindow:
    if not isinstance(window, Mapping) or "name" not in window:
        raise ValueError(f"{where}: expected a map with name, matchers, weekdays, start and end")
    extra = sorted(set(window) - {"name", "matchers", "weekdays", "start", "end"})
    if extra:
        raise ValueError(f"{where}: unknown field(s) {', '.join(extra)}")
    weekdays = []
    for day in window.get("weekdays", list(_WEEKDAYS)):
        if isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
            weekdays.append(day)
        elif isinstance(day, str) and day.strip().lower()[:3] in _WEEKDAYS:
            weekdays.append(_WEEKDAYS.index(day.strip().lower()[:3]))
        else:
            raise ValueError(f"{where}.weekdays: {day!r} is not a weekday (mon…sun or 0…6)")
    return MaintenanceWindow(
        name=str(window["name"]),
        matchers=parse_matchers(window.get("matchers", []), f"{where}.matchers"),
        weekdays=tuple(sorted(set(weekdays))),
        start=_time_of_day(window.get("start", "00:00"), f"{where}.start"),
        end=_time_of_day(window.get("end", "00:00"), f"{where}.end"),
    )


def _time_of_day(value: Any, where: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 02:00 as a sexagesimal int
        value = f"{value // 60:02d}:{value % 60:02d}"
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: expected a UTC time of day like 02:30, got {value!r}") from None


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = parse_duration(value)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
    else:
        raise ValueError(f"{where}: expected a duration like 5m, got {value!r}")
    if seconds < 0:
        raise ValueError(f"{where}: must not be negative")
    return seconds


def _strings(value: Any, where: str) -> Sequence[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{where}: expected a list of strings, got {value!r}")
    for item in value:
        if not isinstance(item, str):
            raise ValueError(f"{where}: expected a list of strings, got item {item!r}")
    return list(value)
