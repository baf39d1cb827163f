"""The routing sections of a rule pack → `correlator.routing.RoutingConfig`, every problem at its line.

Five top-level keys of a pack file (packs/README.md, "Routing and escalation")::

    receivers:                 # named channels; every key but the five below is the kind's own option
      - name: oncall-pager
        kind: pagerduty
        routing_key: ${PAGERDUTY_ROUTING_KEY}
        optional: true         # disabled, not an error, when a ${VAR} it uses is unset
        fallback: team-slack   # another receiver; no cycles
        rate_per_second: 2     # overrides the kind's rate limit; burst: 5
    escalation_policies:
      - name: critical-default
        repeat: 2              # run the levels again 2 more times while nobody acknowledges
        levels:
          - {notify: [oncall-pager], escalate_after: 5m}
          - {notify: [oncall-pager, team-slack], escalate_after: 10m}
    time_intervals:
      - name: weekends
        times:                 # weekly windows, UTC; each: weekdays (default all), start, end (default 00:00)
          - {weekdays: [sat, sun]}
    route:                     # the root matches everything
      receivers: [console]
      group_wait: 30s
      routes:
        - {name: critical, match: ['severity="critical"'], escalation: critical-default, group_wait: 0s}
    notify:
      link: "https://vigil.example.com/incidents/{incident_id}"

The reader never imports a notifier: a receiver's kind-specific options are
kept raw, and a caller that can build channels passes `check_receiver`,
whose answers (option, message) are reported at the option's line.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Sequence
from datetime import time
from typing import Any

from correlator.config.fields import Report, Section, describe
from correlator.config.source import LineList, LineMap
from correlator.incidents.config import MaintenanceWindow
from correlator.routing.model import (
    EscalationLevel,
    EscalationPolicy,
    ReceiverSpec,
    Route,
    RoutingConfig,
    TimeInterval,
)

__all__ = ["ROUTING_KEYS", "ReceiverCheck", "option_line", "read_routing"]

#: Problems of one receiver's channel, as (option or None, message); e.g. ("routing_key", "routing_key: is empty").
ReceiverCheck = Callable[[ReceiverSpec], Sequence[tuple[str | None, str]]]

#: The pack file's top-level keys this module reads.
ROUTING_KEYS = ("receivers", "escalation_policies", "time_intervals", "route", "notify")

NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*")
_NAME_SHAPE = "a name of letters, digits, _ . : or - (no spaces)"

_RECEIVER_KEYS = ("name", "kind", "optional", "fallback", "rate_per_second", "burst")
_POLICY_KEYS = ("name", "repeat", "levels")
_LEVEL_KEYS = ("notify", "escalate_after")
_INTERVAL_KEYS = ("name", "times")
_WINDOW_KEYS = ("weekdays", "start", "end")
_ROUTE_KEYS = (
    "name",
    "match",
    "receivers",
    "escalation",
    "continue",
    "group_wait",
    "group_interval",
    "repeat_interval",
    "mute_time_intervals",
    "rollback_webhook",
    "routes",
)
_ROOT_KEYS = tuple(k for k in _ROUTE_KEYS if k not in ("match", "continue"))
#: Alertmanager routes group alerts; in Vigil alerts are grouped into incidents before routing, and
#: an incident (one thing to act on) is what routes carry, so grouping has one place: correlation.
_GROUP_BY_HINT = (
    "alerts are grouped into incidents before routing: set correlation.group_by"
    " (an incident is the unit a route notifies about)"
)
_ROUTE_HINTS = {"group_by": _GROUP_BY_HINT}
_ROOT_HINTS = {
    "match": "the root route matches every incident; put matchers on its child routes",
    "continue": "the root route has no siblings; 'continue' belongs on child routes",
    "group_by": _GROUP_BY_HINT,
}
_INTERVAL_HINTS = {key: "put windows under times: [{weekdays: [...], start: ..., end: ...}]" for key in _WINDOW_KEYS}
_NOTIFY_KEYS = ("link",)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OPTION_PART = re.compile(r"[^.\[\]]+")
_TIME_OF_DAY = re.compile(r"(\d{1,2}):(\d{2})")


def read_routing(top: Section, check_receiver: ReceiverCheck | None = None) -> RoutingConfig:
    """The routing config in the pack's top-level mapping; problems go to `top.report`.

    Returns the default (nobody is told) when the file has none of the
    routing keys, and also when it has problems (the pack is refused then).
    """
    return _RoutingReader(top, check_receiver).read()


def option_line(data: LineMap, option: str | None) -> int:
    """Line of a receiver option named as a notifier names it (`to`, `to.1`, `to[1]`, `headers.X`).

    Follows the path as deep as the YAML goes; the receiver's own line when even its first part is unknown.
    """
    line = data.line
    node: Any = data
    for part in _OPTION_PART.findall(option or ""):
        if isinstance(node, LineMap) and part in node:
            line, node = node.line_of(part), node[part]
        elif isinstance(node, LineList) and part.isdigit() and int(part) < len(node):
            line, node = node.line_of(int(part)), node[int(part)]
        else:
            break
    return line


class _Names:
    """One namespace (receivers, policies…): names with their lines, for duplicates and references."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.lines: dict[str, int] = {}

    def declare(self, sec: Section, key: str = "name") -> str | None:
        name = sec.string(key, pattern=NAME, shape=_NAME_SHAPE)
        if name is None:
            return None
        if name in self.lines:
            sec.problem(key, f"name already used by the {self.what} at line {self.lines[name]}")
            return None
        self.lines[name] = sec.line(key)
        return name


class _RoutingReader:
    def __init__(self, top: Section, check_receiver: ReceiverCheck | None) -> None:
        self.top = top
        self.report: Report = top.report
        self.check_receiver = check_receiver
        self.receivers = _Names("receiver")
        self.policies = _Names("escalation policy")
        self.intervals = _Names("time interval")
        self.routes = _Names("route")
        #: (namespace, name, line, where) of every reference, checked once everything is declared
        self.references: list[tuple[_Names, str, int, str]] = []

    def read(self) -> RoutingConfig:
        data = self.top.data
        present = [key for key in ROUTING_KEYS if key in data]
        if not present:
            return RoutingConfig()
        before = self.report.count
        receivers = self._receivers()
        policies = self._policies()
        intervals = self._intervals()
        route = self._root()
        link = self._notify()
        if route is None and "route" not in data:
            self.report.add(
                data.line_of(present[0]),
                f"{', '.join(present)} without a route: nobody would be told; add route: {{receivers: [...]}}",
            )
        self._check_references()
        self._check_fallback_cycles(receivers)
        if self.report.count != before or route is None:
            return RoutingConfig()
        return RoutingConfig(
            receivers={r.name: r for r in receivers},
            route=route,
            policies={p.name: p for p in policies},
            time_intervals={t.name: t for t in intervals},
            link_template=link,
        )

    # -- receivers ------------------------------------------------------------

    def _receivers(self) -> list[ReceiverSpec]:
        out = []
        for index, item in self._list("receivers", "receiver"):
            before = self.report.count
            where = _where("receiver", item, index)
            # Every key is allowed: those that are not the receiver's own are the kind's options.
            sec = Section(self.report, item, where, allowed=tuple(item), required=("name", "kind"))
            name = self.receivers.declare(sec)
            kind = sec.string("kind", pattern=NAME, shape="a notifier kind like slack, pagerduty or webhook")
            optional = self._bool(sec, "optional")
            fallback = sec.string("fallback", pattern=NAME, shape=_NAME_SHAPE)
            if fallback is not None and fallback == name:
                sec.problem("fallback", "fallback: a receiver cannot be its own fallback")
            elif fallback is not None:
                self.references.append((self.receivers, fallback, sec.line("fallback"), f"{where}: fallback"))
            rate = sec.number("rate_per_second")
            if rate is not None and rate <= 0:
                sec.problem("rate_per_second", f"rate_per_second must be more than 0, got {rate:g}")
            burst = self._whole(sec, "burst", minimum=1)
            if self.report.count != before or name is None or kind is None:
                continue
            spec = ReceiverSpec(
                name=name,
                kind=kind,
                options={key: _plain(value) for key, value in item.items() if key not in _RECEIVER_KEYS},
                fallback=fallback,
                optional=bool(optional),
                rate_per_second=rate,
                burst=burst,
                line=item.line,
            )
            out.append(spec)
            if self.check_receiver is not None:
                for option, message in self.check_receiver(spec):
                    self.report.add(option_line(item, option), f"receiver {name}: {message}")
        return out

    def _check_fallback_cycles(self, receivers: Sequence[ReceiverSpec]) -> None:
        fallback = {r.name: r.fallback for r in receivers if r.fallback}
        reported: set[str] = set()
        for start in fallback:
            chain = [start]
            here = fallback.get(start)
            while here is not None and here not in chain:
                chain.append(here)
                here = fallback.get(here)
            if here is None or here != start or set(chain) & reported:
                continue  # no cycle, or one that does not start here (reported from its own start)
            reported.update(chain)
            self.report.add(
                self.receivers.lines[start],
                f"receiver {start}: fallback cycle {' → '.join([*chain, start])}: a failing notification "
                "would go round forever; end the chain at a receiver without a fallback",
            )

    # -- escalation policies --------------------------------------------------

    def _policies(self) -> list[EscalationPolicy]:
        out = []
        for index, item in self._list("escalation_policies", "escalation policy"):
            before = self.report.count
            where = _where("escalation policy", item, index)
            sec = Section(self.report, item, where, allowed=_POLICY_KEYS, required=("name", "levels"))
            name = self.policies.declare(sec)
            repeat = self._whole(sec, "repeat", minimum=0)
            levels = []
            items = sec.items("levels", "a list of levels, each {notify: [receivers], escalate_after: 5m}")
            if items == []:
                sec.problem("levels", "levels must list at least one level (who is told first)")
            for number, (line, level) in enumerate(items or ()):
                if not isinstance(level, LineMap):
                    sec.problem("levels", f"level {number} must be a mapping, got {describe(level)}", line)
                    continue
                last = number == len(items or ()) - 1
                levels.append(self._level(level, f"{where} level {number}", need_delay=not last or bool(repeat)))
            if self.report.count == before and name is not None:
                out.append(EscalationPolicy(name, tuple(lv for lv in levels if lv is not None), repeat or 0))
        return out

    def _level(self, data: LineMap, where: str, *, need_delay: bool) -> EscalationLevel | None:
        before = self.report.count
        required = ("notify", "escalate_after") if need_delay else ("notify",)
        sec = Section(self.report, data, where, allowed=_LEVEL_KEYS, required=required)
        targets = self._refs(sec, "notify", self.receivers, "receiver names")
        if targets == ():
            sec.problem("notify", "notify must name at least one receiver")
        delay = sec.duration("escalate_after")
        if self.report.count != before or targets is None:
            return None
        return EscalationLevel(targets, delay if delay is not None else 0.0)

    # -- time intervals -------------------------------------------------------

    def _intervals(self) -> list[TimeInterval]:
        out = []
        for index, item in self._list("time_intervals", "time interval"):
            before = self.report.count
            where = _where("time interval", item, index)
            sec = Section(
                self.report, item, where, allowed=_INTERVAL_KEYS, required=_INTERVAL_KEYS, hints=_INTERVAL_HINTS
            )
            name = self.intervals.declare(sec)
            windows = []
            items = sec.items("times", "a list of windows like {weekdays: [sat, sun], start: '00:00', end: '00:00'}")
            if items == []:
                sec.problem("times", "times must list at least one window")
            for number, (line, window) in enumerate(items or ()):
                if not isinstance(window, LineMap):
                    sec.problem("times", f"times[{number}] must be a mapping, got {describe(window)}", line)
                    continue
                windows.append(
                    self._window(
                        Section(self.report, window, where, allowed=_WINDOW_KEYS, prefix=f"times[{number}]."),
                        name or where,
                    )
                )
            if self.report.count == before and name is not None:
                out.append(TimeInterval(name, tuple(w for w in windows if w is not None)))
        return out

    def _window(self, sec: Section, name: str) -> MaintenanceWindow | None:
        before = self.report.count
        days = list(range(7))
        items = sec.items("weekdays", "a list of weekdays like [mon, tue]")
        if items is not None:
            days = []
            for line, day in items:
                number = _weekday(day)
                if number is None:
                    sec.problem("weekdays", f"{sec.prefix}weekdays: {describe(day)} is not a weekday (mon … sun)", line)
                elif number in days:
                    sec.problem("weekdays", f"{sec.prefix}weekdays: {day} is listed twice", line)
                else:
                    days.append(number)
            if not items:
                sec.problem("weekdays", f"{sec.prefix}weekdays must list at least one day (leave it out for every day)")
        start = self._time_of_day(sec, "start")
        end = self._time_of_day(sec, "end")
        if self.report.count != before:
            return None
        return MaintenanceWindow(
            name=name, matchers=(), weekdays=tuple(sorted(days)), start=start or time(0), end=end or time(0)
        )

    def _time_of_day(self, sec: Section, key: str) -> time | None:
        if not sec.has(key):
            return None
        value = sec.data[key]
        if isinstance(value, int) and not isinstance(value, bool) and value >= 60:
            # YAML 1.1 reads an unquoted 2:30 or 22:00 as a number of minutes (150, 1320); 02:30 stays text
            value = f"{value // 60:02d}:{value % 60:02d}"
        m = _TIME_OF_DAY.fullmatch(value.strip()) if isinstance(value, str) else None
        if m is not None and int(m.group(1)) < 24 and int(m.group(2)) < 60:
            return time(int(m.group(1)), int(m.group(2)))
        sec.wrong(key, "a UTC time of day from '00:00' to '23:59'", value)
        return None

    # -- the route tree -------------------------------------------------------

    def _root(self) -> Route | None:
        data = self.top.data.get("route")
        if "route" not in self.top.data:
            return None
        if not isinstance(data, LineMap):
            self.top.wrong("route", "a mapping (the root route)", data)
            return None
        self.routes.lines["root"] = self.top.line("route")  # the root's default name
        sec = Section(self.report, data, "route", allowed=_ROOT_KEYS, hints=_ROOT_HINTS)
        name = sec.string("name", pattern=NAME, shape=_NAME_SHAPE)
        if name is not None and name != "root":
            self.routes.declare(sec)
        return self._route(sec, "root", root=True)

    def _route(self, sec: Section, path: str, *, root: bool = False) -> Route | None:
        before = self.report.count
        matchers = sec.matchers("match") if not root else None
        receivers = self._refs(sec, "receivers", self.receivers, "receiver names")
        escalation = self._ref(sec, "escalation", self.policies)
        rollback = self._ref(sec, "rollback_webhook", self.receivers)
        mutes = self._refs(sec, "mute_time_intervals", self.intervals, "time interval names")
        go_on = self._bool(sec, "continue")
        group_wait = sec.duration("group_wait", positive=False)
        group_interval = sec.duration("group_interval")
        repeat_interval = sec.duration("repeat_interval")
        children = []
        items = sec.items("routes", "a list of routes")
        for index, (line, item) in enumerate(items or ()):
            child_path = f"{path}/{index}"
            if not isinstance(item, LineMap):
                sec.problem("routes", f"routes[{index}] must be a mapping, got {describe(item)}", line)
                continue
            label = item.get("name") if isinstance(item.get("name"), str) else child_path
            child = Section(self.report, item, f"route {label}", allowed=_ROUTE_KEYS, hints=_ROUTE_HINTS)
            if child.has("name"):
                self.routes.declare(child)
            children.append(self._route(child, child_path))
        if self.report.count != before:
            return None
        return Route(
            matchers=tuple(m for m, _ in matchers or ()),
            receivers=receivers,
            escalation=escalation,
            continue_=bool(go_on),
            group_wait=group_wait,
            group_interval=group_interval,
            repeat_interval=repeat_interval,
            mute_time_intervals=mutes or (),
            rollback_webhook=rollback,
            routes=tuple(c for c in children if c is not None),
            name=sec.data.get("name") if isinstance(sec.data.get("name"), str) else None,
        )

    # -- notify ---------------------------------------------------------------

    def _notify(self) -> str | None:
        if self.top.data.get("notify") is None:
            return None
        sec = self.top.section("notify", allowed=_NOTIFY_KEYS)
        if sec is None:
            return None
        link = sec.string("link")
        if link is None:
            return None
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(link) if f is not None]
            unknown = [f for f in fields if f != "incident_id"]
            if unknown:
                sec.problem("link", f"notify.link: unknown field {{{unknown[0]}}} (the only field is {{incident_id}})")
                return None
            link.format(incident_id="inc-0")
        except (ValueError, IndexError) as exc:
            sec.problem("link", f"notify.link: cannot render {link!r}: {exc}")
            return None
        return link

    # -- shared pieces --------------------------------------------------------

    def _list(self, key: str, what: str) -> list[tuple[int, LineMap]]:
        """(1-based index, mapping) of each entry of a top-level list; wrong entries are reported."""
        if self.top.data.get(key) is None:
            return []
        out = []
        for index, (line, item) in enumerate(self.top.items(key, f"a list of {what} mappings") or (), 1):
            if isinstance(item, LineMap):
                out.append((index, item))
            else:
                self.report.add(line, f"{what} #{index} must be a mapping, got {describe(item)}")
        return out

    def _ref(self, sec: Section, key: str, names: _Names) -> str | None:
        value = sec.string(key, pattern=NAME, shape=f"the name of a {names.what}")
        if value is not None:
            self.references.append((names, value, sec.line(key), f"{_prefix(sec)}{key}"))
        return value

    def _refs(self, sec: Section, key: str, names: _Names, what: str) -> tuple[str, ...] | None:
        items = sec.items(key, f"a list of {what}")
        if items is None:
            return None
        out: list[str] = []
        for line, item in items:
            if not isinstance(item, str) or NAME.fullmatch(item) is None:
                sec.problem(key, f"{key}: {describe(item)} is not the name of a {names.what}", line)
            elif item in out:
                sec.problem(key, f"{key}: {item} is listed twice", line)
            else:
                out.append(item)
                self.references.append((names, item, line, f"{_prefix(sec)}{key}"))
        return tuple(out)

    def _check_references(self) -> None:
        for names, name, line, where in self.references:
            if name in names.lines:
                continue
            known = ", ".join(names.lines) or "none declared"
            close = difflib.get_close_matches(name, list(names.lines), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            self.report.add(line, f"{where}: no {names.what} named '{name}' (known: {known}){hint}")

    @staticmethod
    def _bool(sec: Section, key: str) -> bool | None:
        if not sec.has(key):
            return None
        value = sec.data[key]
        if not isinstance(value, bool):
            sec.wrong(key, "true or false", value)
            return None
        return value

    @staticmethod
    def _whole(sec: Section, key: str, *, minimum: int) -> int | None:
        if not sec.has(key):
            return None
        value = sec.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            sec.wrong(key, "a whole number", value)
            return None
        if value < minimum:
            sec.problem(key, f"{sec.prefix}{key} must be at least {minimum}, got {value}")
            return None
        return value


def _where(what: str, data: LineMap, index: int) -> str:
    name = data.get("name")
    if isinstance(name, str) and name.strip():
        return f"{what} {name}"
    return f"{what} #{index}"


def _prefix(sec: Section) -> str:
    return f"{sec.where}: " if sec.where else ""


def _weekday(day: Any) -> int | None:
    if not isinstance(day, str):
        return None
    text = day.strip().lower()
    if text in _WEEKDAYS:
        return _WEEKDAYS.index(text)
    if text in _DAY_NAMES:
        return _DAY_NAMES.index(text)
    return None


def _plain(value: Any) -> Any:
    """Line-annotated YAML values as plain dicts and lists (a receiver's options go to its notifier so)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
