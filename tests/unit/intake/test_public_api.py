"""The package's public surface: __all__ is complete, every name resolves, the doctest runs."""

from __future__ import annotations

import doctest
import types

import streams.intake


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name in dir(streams.intake)
        if not name.startswith("_") and not isinstance(getattr(streams.intake, name), types.ModuleType)
    }
    assert sorted(streams.intake.__all__) == sorted(public)


def test_every_function_and_class_belongs_to_the_package() -> None:
    for name in streams.intake.__all__:
        value = getattr(streams.intake, name)
        if isinstance(value, type | types.FunctionType):
            assert value.__module__.startswith("streams.intake."), name


def test_the_module_docstring_example_runs() -> None:
    result = doctest.testmod(streams.intake)
    assert result.attempted > 0 and result.failed == 0
