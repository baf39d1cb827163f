"""The package's public surface: __all__ is complete, and the core stays pure."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import correlator.incidents as incidents


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name in dir(incidents)
        if not name.startswith("_") and not isinstance(getattr(incidents, name), types.ModuleType)
    }
    assert sorted(incidents.__all__) == sorted(public)


def test_the_core_imports_no_io_framework_and_reads_no_clock() -> None:
    forbidden_modules = {"faust", "aiokafka", "aiohttp", "asyncio", "time", "random", "socket"}
    for path in Path(incidents.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[0]]
            else:
                if isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "today", "time"):
                    assert not (isinstance(node.value, ast.Name) and node.value.id in ("datetime", "date", "time")), (
                        f"{path.name} reads the clock"
                    )
                continue
            assert not forbidden_modules & set(names), f"{path.name} imports {names}"
