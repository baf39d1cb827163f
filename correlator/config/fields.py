"""Reading one YAML mapping field by field, collecting every problem instead of stopping at the first.

A `Section` wraps one mapping of a config file (a rule, an SLO, the
settings) with where it is ("rule ApiLatencyP95High") and which keys it
allows. Its getters return the converted value, or None when the key is
absent or its value is wrong; in the second case a problem naming the
file, line and key has been recorded. A caller builds its object only
when `Report.count` did not grow while reading the section.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from correlator.config.errors import ConfigError, ConfigProblem
from correlator.config.source import LineList, LineMap, parse_yaml
from correlator.durations import parse_duration
from correlator.rules import Matcher

__all__ = ["LABEL_NAME", "Report", "Section", "describe", "read_mapping_file"]

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")

#: Label names, as in Prometheus.
LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# `label op "value"` with a double-quoted value, or an unquoted value with no quotes or spaces.
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"([^"]*)"|([^"\s]*))\s*')


def describe(value: Any) -> str:
    """How a wrong value reads in a message: strings and numbers quoted as written, containers by kind."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class Report:
    """The problems of one file, in the order found; sorted by line when handed out."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[ConfigProblem] = []

    def add(self, line: int | None, message: str) -> None:
        self.problems.append(ConfigProblem(self.file, line, message))

    def extend(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems.extend(problems)

    @property
    def count(self) -> int:
        return len(self.problems)

    def sorted(self) -> list[ConfigProblem]:
        return sorted(self.problems, key=lambda p: p.line or 0)


class Section:
    """One mapping of a config file, read key by key."""

    def __init__(
        self,
        report: Report,
        data: LineMap,
        where: str,
        *,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        prefix: str = "",
        hints: Mapping[str, str] | None = None,
    ) -> None:
        self.report = report
        self.data = data
        self.where = where  #: "rule ApiLatencyP95High", "settings"...
        self.prefix = prefix  #: "sli." for keys of a nested mapping
        for key in data:
            if key not in allowed:
                self.problem(key, self._unknown(key, allowed, (hints or {}).get(key)))
        for key in required:
            if key not in data:
                self.report.add(data.line, f"{self._where()}missing required key '{self.prefix}{key}'")

    # -- plumbing -------------------------------------------------------------

    def _where(self) -> str:
        return f"{self.where}: " if self.where else ""

    def _unknown(self, key: str, allowed: Sequence[str], hint: str | None) -> str:
        if hint is not None:
            hint = f"; {hint}"
        else:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"unknown key '{self.prefix}{key}' (allowed: {', '.join(allowed)}){hint}"

    def line(self, key: str) -> int:
        return self.data.line_of(key)

    def problem(self, key: str, message: str, line: int | None = None) -> None:
        self.report.add(line if line is not None else self.line(key), f"{self._where()}{message}")

    def wrong(self, key: str, expected: str, value: Any) -> None:
        self.problem(key, f"{self.prefix}{key} must be {expected}, got {describe(value)}")

    def has(self, key: str) -> bool:
        return key in self.data

    def section(self, key: str, *, allowed: Sequence[str], required: Sequence[str] = ()) -> Section | None:
        """A nested mapping, as its own section (same `where`, keys shown as `key.sub`)."""
        value = self.data.get(key)
        if value is None and key not in self.data:
            return None
        if not isinstance(value, LineMap):
            self.wrong(key, "a mapping", value)
            return None
        return Section(
            self.report, value, self.where, allowed=allowed, required=required, prefix=f"{self.prefix}{key}."
        )

    # -- scalars --------------------------------------------------------------

    def string(self, key: str, *, pattern: re.Pattern[str] | None = None, shape: str = "") -> str | None:
        value = self.data.get(key)
        if key not in self.data:
            return None
        if not isinstance(value, str) or not value.strip():
            self.wrong(key, "a non-empty string", value)
            return None
        if pattern is not None and pattern.fullmatch(value) is None:
            self.wrong(key, shape, value)
            return None
        return value

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if key not in self.data:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.wrong(key, "a number", value)
            return None
        return float(value)

    def duration(self, key: str, *, positive: bool = True) -> float | None:
        value = self.data.get(key)
        if key not in self.data:
            return None
        if value == 0 and not isinstance(value, bool):
            value = "0"  # `for: 0` needs no unit
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self.problem(key, f"{self.prefix}{key} must be a duration with a unit, got {value!r} (e.g. {value}s)")
            return None
        if not isinstance(value, str):
            self.wrong(key, "a duration like 10s, 5m or 1h30m", value)
            return None
        try:
            seconds = parse_duration(value)
        except ValueError:
            self.wrong(key, "a duration like 10s, 5m or 1h30m", value)
            return None
        if positive and seconds <= 0:
            self.problem(key, f"{self.prefix}{key} must be longer than 0s")
            return None
        return seconds

    def choice(self, key: str, enum: type[E], *, hint: str = "") -> E | None:
        value = self.data.get(key)
        if key not in self.data:
            return None
        try:
            return enum(value)
        except ValueError:
            choices = " ".join(e.value for e in enum)
            self.problem(key, f"unknown {self.prefix}{key} {describe(value)} (one of: {choices}){hint}")
            return None

    def one_of(self, key: str, choices: Sequence[str]) -> str | None:
        value = self.data.get(key)
        if key not in self.data:
            return None
        if value not in choices:
            self.problem(key, f"unknown {self.prefix}{key} {describe(value)} (one of: {', '.join(choices)})")
            return None
        assert isinstance(value, str)
        return value

    # -- containers -----------------------------------------------------------

    def items(self, key: str, what: str = "a list") -> list[tuple[int, Any]] | None:
        """(line, item) pairs of a list value."""
        value = self.data.get(key)
        if key not in self.data:
            return None
        if not isinstance(value, LineList):
            self.wrong(key, what, value)
            return None
        return [(value.line_of(i), item) for i, item in enumerate(value)]

    def names(self, key: str) -> tuple[str, ...] | None:
        """A list of label names (group_by)."""
        items = self.items(key, "a list of label names")
        if items is None:
            return None
        out: list[str] = []
        ok = True
        for line, item in items:
            if not isinstance(item, str) or LABEL_NAME.fullmatch(item) is None:
                self.problem(key, f"{self.prefix}{key}: {describe(item)} is not a label name", line)
                ok = False
            elif item in out:
                self.problem(key, f"{self.prefix}{key}: '{item}' is listed twice", line)
                ok = False
            else:
                out.append(item)
        return tuple(out) if ok else None

    def matchers(self, key: str) -> tuple[tuple[Matcher, int], ...] | None:
        """Label matchers (`label="v"`, `!=`, `=~`, `!~`), each with its line."""
        items = self.items(key, "a list of label matchers like 'status=~\"5..\"'")
        if items is None:
            return None
        out: list[tuple[Matcher, int]] = []
        ok = True
        for line, item in items:
            matcher = self._matcher(key, item, line)
            if matcher is None:
                ok = False
            else:
                out.append((matcher, line))
        return tuple(out) if ok else None

    def _matcher(self, key: str, item: Any, line: int) -> Matcher | None:
        if not isinstance(item, str):
            self.problem(
                key, f"{self.prefix}{key}: {describe(item)} is not a label matcher like 'status=~\"5..\"'", line
            )
            return None
        m = _MATCHER.fullmatch(item)
        if m is None:
            self.problem(
                key,
                f"{self.prefix}{key}: {item!r} is not a label matcher "
                '(expected label="value", label!="value", label=~"regex" or label!~"regex")',
                line,
            )
            return None
        op, value = m.group(2), m.group(3) if m.group(3) is not None else m.group(4)
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                self.problem(key, f"{self.prefix}{key}: invalid regex in {item!r}: {exc}", line)
                return None
        try:
            return Matcher.parse(f'{m.group(1)}{op}"{value}"')
        except (ValueError, re.error) as exc:
            self.problem(key, f"{self.prefix}{key}: {exc}", line)
            return None

    def string_map(self, key: str) -> dict[str, str] | None:
        """labels / annotations: string keys to string values (numbers are taken as written)."""
        value = self.data.get(key)
        if key not in self.data:
            return None
        if not isinstance(value, LineMap):
            self.wrong(key, "a mapping of names to strings", value)
            return None
        out: dict[str, str] = {}
        ok = True
        for name, item in value.items():
            line = value.line_of(name)
            if LABEL_NAME.fullmatch(name) is None:
                self.problem(key, f"{self.prefix}{key}: {name!r} is not a valid name (letters, digits, _)", line)
                ok = False
            elif isinstance(item, str):
                out[name] = item
            elif isinstance(item, int | float) and not isinstance(item, bool):
                out[name] = str(item)
            else:
                self.problem(key, f"{self.prefix}{key}.{name} must be a string, got {describe(item)}", line)
                ok = False
        return out if ok else None

    def line_in(self, key: str, name: str) -> int:
        """Line of `name` inside the nested mapping at `key`."""
        value = self.data.get(key)
        return value.line_of(name) if isinstance(value, LineMap) else self.line(key)


def read_mapping_file(
    path: str | PathLike[str], what: str, shape: str, read: Callable[[Report, LineMap, str], T | None]
) -> T:
    """Read a YAML file whose top level is a mapping, with `read(report, data, file)` doing the rest.

    `what` names the file (`a routing test file`) and `shape` says what its mapping
    holds (`pack and tests`), for the messages about an unreadable, empty or
    non-mapping file. Raises ConfigError with every problem found.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(file, None, f"cannot read: {exc}")]) from exc
    data, problems = parse_yaml(text, file)
    report = Report(file)
    report.extend(problems)
    if data is None and not problems:
        report.add(1, f"file is empty: expected {shape}")
    result = None
    if isinstance(data, LineMap):
        result = read(report, data, file)
    elif data is not None:
        report.add(getattr(data, "line", 1), f"{what} must be a mapping with {shape}, got {describe(data)}")
    if report.problems or result is None:
        raise ConfigError(report.sorted())
    return result
