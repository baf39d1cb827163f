"""LogPatternMatcher: which configured patterns a log line matches."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from correlator.logpatterns import LogPatternMatcher
from correlator.pack import LogPattern
from correlator.samples import samples_of
from correlator.series import SeriesKey
from schemas.enums import LogLevel
from schemas.telemetry import LogEvent

PATTERNS = [
    LogPattern("upstream_timeout", "upstream timeout"),
    LogPattern("db_slow", r"db slow \w+"),
    LogPattern("http_5xx", r"status=5\d\d\b"),
    LogPattern("any_case_oom", "(?i)out of memory"),  # a global flag: never joined
    LogPattern("repeat", r"\b(\w+) \1\b"),  # a numbered backreference: never joined
    LogPattern("named", r"user=(?P<user>\w+) denied"),  # a named group: never joined
    LogPattern("anchored", r"^panic:"),
    LogPattern("either", r"refused|reset"),
]

MESSAGES = [
    "request ok",
    "upstream timeout calling meta",
    "Upstream Timeout calling meta",
    "db slow query on quotes; upstream timeout too",
    "status=503 from gateway",
    "status=5030",
    "OUT OF MEMORY in worker 3",
    "retry retry",
    "user=ana denied",
    "panic: nil map",
    "worker panic: nil map",
    "connection refused",
    "connection reset by peer; db slow insert",
    "",
]


def solo(patterns: list[LogPattern]) -> LogPatternMatcher:
    return LogPatternMatcher(patterns, join_from=10**9)


def joined(patterns: list[LogPattern]) -> LogPatternMatcher:
    return LogPatternMatcher(patterns, join_from=2)


@pytest.mark.parametrize("make", [solo, joined])
def test_matches_name_every_pattern_found_in_order(make) -> None:  # type: ignore[no-untyped-def]
    m = make(PATTERNS)
    assert m.matches("request ok") == []
    assert m.matches("upstream timeout calling meta") == ["upstream_timeout"]
    assert m.matches("Upstream Timeout calling meta") == []  # case-sensitive unless the regex says otherwise
    assert m.matches("db slow query on quotes; upstream timeout too") == ["upstream_timeout", "db_slow"]
    assert m.matches("status=503 from gateway") == ["http_5xx"]
    assert m.matches("status=5030") == []
    assert m.matches("OUT OF MEMORY in worker 3") == ["any_case_oom"]
    assert m.matches("retry retry") == ["repeat"]
    assert m.matches("user=ana denied") == ["named"]
    assert m.matches("panic: nil map") == ["anchored"]
    assert m.matches("worker panic: nil map") == []
    assert m.matches("connection reset by peer; db slow insert") == ["db_slow", "either"]
    assert m.matches("timeout upstream timeout upstream timeout") == ["upstream_timeout"]  # once per line


def test_only_patterns_that_keep_their_meaning_are_joined() -> None:
    assert joined(PATTERNS).joined == 5  # not the (?i), backreference or named-group ones
    assert solo(PATTERNS).joined == 0
    assert LogPatternMatcher(PATTERNS[:3]).joined == 0  # few patterns: one by one is as fast


_TOKENS = [
    "a",
    "b",
    "5",
    " ",
    "|",
    "(",
    ")",
    "(?:",
    "\\1",
    "*",
    "+",
    "?",
    ".",
    "^",
    "$",
    "[ab]",
    "\\b",
    "(?i)",
    "(?P<n>",
]
_REGEX = st.lists(st.sampled_from(_TOKENS), max_size=6).map("".join)


@given(st.lists(_REGEX, min_size=2, max_size=8), st.text("ab5 ", max_size=20))
def test_joined_and_solo_agree(regexes: list[str], message: str) -> None:
    patterns = []
    for i, regex in enumerate(regexes):
        try:
            LogPatternMatcher([LogPattern("x", regex)])
        except ValueError:
            continue
        patterns.append(LogPattern(f"p{i}", regex))
    assert joined(patterns).matches(message) == solo(patterns).matches(message)


def test_bad_patterns_are_refused_with_their_name() -> None:
    with pytest.raises(ValueError, match="'broken'"):
        LogPatternMatcher([LogPattern("ok", "fine"), LogPattern("broken", "upstream (timeout")])
    with pytest.raises(ValueError, match="twice: dup"):
        LogPatternMatcher([LogPattern("dup", "a"), LogPattern("dup", "b")])


def test_no_patterns_match_nothing() -> None:
    m = LogPatternMatcher([])
    assert len(m) == 0
    assert m.matches("anything") == []


def test_each_match_is_a_sample_beside_the_log_events_count() -> None:
    m = LogPatternMatcher(PATTERNS)
    event = LogEvent(ts=100.0, service="api", level=LogLevel.ERROR, message="upstream timeout; db slow query")
    assert samples_of("logs", event, matcher=m) == [
        (SeriesKey("logs", "api", "log_events", (("level", "error"),)), 100.0, None),
        (
            SeriesKey("logs", "api", "log_pattern_matches", (("level", "error"), ("pattern", "upstream_timeout"))),
            100.0,
            None,
        ),
        (SeriesKey("logs", "api", "log_pattern_matches", (("level", "error"), ("pattern", "db_slow"))), 100.0, None),
    ]
    assert samples_of("logs", LogEvent(ts=1.0, service="api", level=LogLevel.INFO, message="ok"), matcher=m) == [
        (SeriesKey("logs", "api", "log_events", (("level", "info"),)), 1.0, None)
    ]
