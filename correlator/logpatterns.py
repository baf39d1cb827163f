"""Which configured patterns a log message matches.

A pattern matches when its regex is found anywhere in the message
(`re.search`, case-sensitive unless the regex says `(?i:...)` or
`(?i)`). Each matching pattern counts once per message, however many
times it occurs. Names come back in the order the patterns were given.

Cost: most log lines match no pattern. With many patterns, they are also
joined into one alternation, `(?:p0)|(?:p1)|...`, and a line it does not
match costs that one search; a line it matches is then searched with each
pattern on its own, since an alternation finds one match, not every
pattern that matches. Measured with `re` on CPython 3.11 (100-character
lines, mostly literal patterns, 5 % of lines matching), the saving is
modest: one search over the alternation costs about as much as separate
searches up to ~8 patterns and 15-20 % less from 20 on, because `re`
scans for a single literal far faster than for an alternation. So small
pattern sets are searched one by one (`JOIN_FROM`). The alternation has
no capturing groups on purpose: named groups around the alternatives
disable `re`'s first-character scan, which made the search 4-15× slower
than separate searches. A pattern that cannot join without changing
meaning (global inline flags such as a leading `(?i)`, numbered
backreferences, named groups) is searched on its own for every line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from correlator.pack import LogPattern

__all__ = ["JOIN_FROM", "LogPatternMatcher"]

_DEFAULT_FLAGS = re.compile("").flags
# \1..\99 and (?(1)...) refer to groups by number, which joining renumbers.
# Over-eager (it also sees an escaped backslash before a digit); that only costs a solo search.
_NUMBERED_REFERENCE = re.compile(r"\\[1-9]|\(\?\(\d")

#: Fewer joinable patterns than this are searched one by one: the alternation only pays from about here.
JOIN_FROM = 8

_Search = Callable[[str], "re.Match[str] | None"]


class LogPatternMatcher:
    """Compiled once from the pack's patterns; `matches` per log line."""

    def __init__(self, patterns: Sequence[LogPattern], *, join_from: int = JOIN_FROM) -> None:
        self.names: tuple[str, ...] = tuple(p.name for p in patterns)
        if len(set(self.names)) != len(self.names):
            twice = sorted({n for n in self.names if self.names.count(n) > 1})
            raise ValueError(f"log patterns defined twice: {', '.join(twice)}")
        compiled: list[re.Pattern[str]] = []
        for p in patterns:
            try:
                compiled.append(re.compile(p.regex))
            except re.error as exc:
                raise ValueError(f"log pattern {p.name!r}: invalid regex {p.regex!r}: {exc}") from exc
        joinable = [
            i
            for i, (p, rx) in enumerate(zip(patterns, compiled, strict=True))
            if rx.flags == _DEFAULT_FLAGS and not rx.groupindex and not _NUMBERED_REFERENCE.search(p.regex)
        ]
        self._prefilter: _Search | None = None
        if len(joinable) >= join_from:
            try:
                self._prefilter = re.compile("|".join(f"(?:{patterns[i].regex})" for i in joinable)).search
            except re.error:  # a construct the checks above do not foresee: search one by one
                self._prefilter = None
        self._all: tuple[tuple[str, _Search], ...] = tuple(
            (p.name, rx.search) for p, rx in zip(patterns, compiled, strict=True)
        )
        # What a line the prefilter rejects must still be searched with.
        joined = set(joinable) if self._prefilter is not None else set()
        self._solo = tuple(entry for i, entry in enumerate(self._all) if i not in joined)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def joined(self) -> int:
        """How many patterns share the one-search prefilter (0: each line is searched one by one)."""
        return len(self._all) - len(self._solo) if self._prefilter is not None else 0

    def matches(self, message: str) -> list[str]:
        """Names of the patterns `message` matches, in the order they were given."""
        candidates = self._solo if self._prefilter is None or self._prefilter(message) is None else self._all
        return [name for name, search in candidates if search(message) is not None]
