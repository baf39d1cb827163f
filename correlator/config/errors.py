"""What a bad config file produces: every problem found, each with its file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ConfigError", "ConfigProblem"]


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with a config file; prints as `FILE:LINE: message`."""

    file: str  #: the path as the user gave it
    line: int | None  #: 1-based; None when the problem is the file as a whole (unreadable)
    message: str  #: what is wrong, naming the rule or section it is in

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class ConfigError(Exception):
    """A config file (or several) has problems; `problems` lists all of them, in file order."""

    def __init__(self, problems: Iterable[ConfigProblem]) -> None:
        self.problems: list[ConfigProblem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
