"""YAML with line numbers: every mapping key and sequence item remembers where it was written.

PyYAML's composer knows the line of every node, but the usual loaders
throw that away. This loader builds `LineMap`s and `LineList`s instead
of dicts and lists, so a checker can say `FILE:LINE:` for any value.
Duplicate keys (which PyYAML silently resolves to the last) and
non-string keys are problems too; the first occurrence wins.
"""

from __future__ import annotations

from typing import Any

import yaml

from correlator.config.errors import ConfigProblem

__all__ = ["LineList", "LineMap", "parse_yaml"]


class LineMap(dict[str, Any]):
    """A YAML mapping; `line` is where it starts, `key_lines[key]` where each key is."""

    __slots__ = ("key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        """Line of `key`, or of the mapping itself when the key is not there."""
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A YAML sequence; `line` is where it starts, `item_lines[i]` where item i is."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.problems: list[ConfigProblem] = []


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
    out = LineMap(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            loader.problems.append(ConfigProblem(loader.file, line, f"keys must be strings, got {key!r}"))
            continue
        if key in out:
            first = out.key_lines[key]
            loader.problems.append(ConfigProblem(loader.file, line, f"duplicate key {key!r} (first at line {first})"))
            continue
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = line
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(node.start_mark.line + 1)
    for item in node.value:
        out.append(loader.construct_object(item, deep=True))
        out.item_lines.append(item.start_mark.line + 1)
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _sequence)


def parse_yaml(text: str, file: str) -> tuple[Any, list[ConfigProblem]]:
    """The document in `text` (None when empty) and the problems found reading it.

    A syntax error stops reading: the result is then None with one
    problem at the error's line.
    """
    loader = None
    try:
        loader = _Loader(text, file)
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        context = exc.context or ""
        if context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            context += f" started at line {exc.context_mark.line + 1}"
        what = ": ".join(p for p in (context, exc.problem) if p)
        return None, [ConfigProblem(file, line, f"YAML syntax error: {what}")]
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        return None, [ConfigProblem(file, line, f"YAML error: character {exc.character:#06x} is not allowed")]
    except yaml.YAMLError as exc:
        return None, [ConfigProblem(file, 1, f"YAML error: {exc}")]
    finally:
        if loader is not None:
            loader.dispose()
    return data, loader.problems
