"""The pack's `correlation:` section: read into CorrelationSettings, or reported at its line."""

from __future__ import annotations

import pytest

from correlator.config import ConfigError, parse_pack


def test_topology_and_windows_are_read() -> None:
    pack = parse_pack("correlation:\n  topology: {advisor-api: [postgres]}\n  resolve_timeout: 2m\n", "p.yaml")
    assert pack.correlation.resolve_timeout == 120
    assert pack.correlation.topology.domain("advisor-api") == pack.correlation.topology.domain("postgres")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("correlation: 0\n", "p.yaml:1: correlation: expected a mapping, got 0"),
        ("correlation:\n  inhibit_rules: 5\n", "p.yaml:1: correlation: malformed section"),
        ("correlation:\n  resolve_timeout: soon\n", "p.yaml:1: correlation: resolve_timeout: not a duration"),
        ("correlation:\n  grouping: [service]\n", "p.yaml:1: correlation: unknown correlation setting(s): grouping"),
    ],
)
def test_problems_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_pack(text, "p.yaml")
    assert any(str(problem).startswith(message) for problem in caught.value.problems), caught.value.problems
