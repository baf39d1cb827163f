"""Which configured patterns a log message matches.

A pattern matches when its regex is found anywhere in the message
(`re.search`, case-sensitive unless the regex says `(?i:...)` or
`(?i)`). Each matching pattern counts once per message, however many
times it occurs.

Cost: most log lines match nothing, so the patterns are compiled into one
alternation of named groups and a message that matches none costs one
search, whatever the number of patterns. When the combined search hits,
the group that matched names one pattern and each other pattern is then
searched on its own, since an alternation reports one match, not all.
A pattern that cannot join the alternation without changing its meaning
(global inline flags such as a leading `(?i)`, numbered backreferences,
named groups) is always searched on its own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from correlator.pack import LogPattern

__all__ = ["LogPatternMatcher"]

_DEFAULT_FLAGS = re.compile("").flags
# \1..\99 and (?(1)...) refer to groups by number, which the alternation renumbers.
# Over-eager (it also sees an escaped backslash before a digit); that only costs a solo search.
_NUMBERED_REFERENCE = re.compile(r"\\[1-9]|\(\?\(\d")


class LogPatternMatcher:
    def __init__(self, patterns: Sequence[LogPattern]) -> None:
        self.names: tuple[str, ...] = tuple(p.name for p in patterns)
        seen: set[str] = set()
        for name in self.names:
            if name in seen:
                raise ValueError(f"log pattern {name!r} is defined twice")
            seen.add(name)
        compiled: list[re.Pattern[str]] = []
        for p in patterns:
            try:
                compiled.append(re.compile(p.regex))
            except re.error as exc:
                raise ValueError(f"log pattern {p.name!r}: invalid regex {p.regex!r}: {exc}") from exc
        self._compiled = tuple(compiled)
        # Patterns that can share one search; the group `_<i>` is pattern i.
        joinable = [
            i
            for i, (p, rx) in enumerate(zip(patterns, compiled, strict=True))
            if rx.flags == _DEFAULT_FLAGS and not rx.groupindex and not _NUMBERED_REFERENCE.search(p.regex)
        ]
        self._combined: re.Pattern[str] | None = None
        if len(joinable) > 1:
            try:
                self._combined = re.compile("|".join(f"(?P<_{i}>{patterns[i].regex})" for i in joinable))
            except re.error:  # a construct this check does not foresee: search one by one
                self._combined = None
        self._joinable = tuple(joinable) if self._combined is not None else ()
        self._solo = tuple(i for i in range(len(patterns)) if i not in self._joinable)

    def __len__(self) -> int:
        return len(self.names)

    def matches(self, message: str) -> list[str]:
        """Names of the patterns `message` matches, in the order they were given."""
        hit: set[int] = set()
        if self._combined is not None:
            m = self._combined.search(message)
            if m is not None:
                first = int(m.lastgroup[1:])  # type: ignore[index]  # the outermost group closes last
                hit.add(first)
                compiled = self._compiled
                hit.update(i for i in self._joinable if i != first and compiled[i].search(message))
        hit.update(i for i in self._solo if self._compiled[i].search(message))
        if not hit:
            return []
        return [self.names[i] for i in sorted(hit)]
