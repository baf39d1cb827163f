"""Whatever a pack file holds, loading it either gives a pack the engine accepts or raises ConfigError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator import RuleEngine
from correlator.config import ConfigError, parse_pack

DEFAULT = yaml.safe_load((Path(__file__).resolve().parents[3] / "packs" / "default.yaml").read_text(encoding="utf-8"))

ODD_VALUES = st.sampled_from(
    [None, 0, -1, 1.5, True, "", "x", "10s", "0s", "45s", ">", "p95", "service", "5..", [], ["x"], [1], {}, {"a": 1}]
)


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(paths(value, (*prefix, i)))
    return out


PATHS = [p for p in paths(DEFAULT) if p]


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {k: (replaced(v, rest, value) if k == head else v) for k, v in data.items()}
    if isinstance(data, list):
        return [replaced(v, rest, value) if i == head else v for i, v in enumerate(data)]
    return data  # an earlier edit replaced the container


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), ODD_VALUES), min_size=1, max_size=3))
def test_mutated_default_pack_loads_or_reports(edits: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = DEFAULT
    for path, value in edits:
        data = replaced(data, path, value)
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        pack = parse_pack(text, "p.yaml")
    except ConfigError as exc:
        assert exc.problems
        assert all(p.file == "p.yaml" and p.line is not None and p.line >= 1 for p in exc.problems)
    else:
        RuleEngine(pack)


@given(st.text(max_size=200))
def test_any_text_loads_or_reports(text: str) -> None:
    try:
        parse_pack(text, "p.yaml")
    except ConfigError as exc:
        assert exc.problems
