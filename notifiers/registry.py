"""Notifier kinds by name, found through the `vigil.notifiers` entry-point group.

Built-ins register in Vigil's own pyproject exactly like a third-party
package would, so `kind: opsgenie` in a pack works once a package that
declares `[project.entry-points."vigil.notifiers"] opsgenie = "pkg:Cls"` is
installed, with no change to Vigil.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from notifiers.base import Notifier, NotifierConfigError, NotifierKind

__all__ = ["GROUP", "build_notifier", "kinds", "notifier_kind"]

GROUP = "vigil.notifiers"


@cache
def kinds() -> Mapping[str, Any]:
    """Every installed kind's entry point, by name (loaded lazily: a broken plugin only fails when used)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def notifier_kind(kind: str) -> NotifierKind:
    found = kinds().get(kind)
    if found is None:
        known = ", ".join(sorted(kinds())) or "none installed"
        raise NotifierConfigError("kind", f'unknown notifier kind "{kind}" (known: {known})')
    try:
        loaded: NotifierKind = found.load()
    except Exception as exc:  # a plugin that fails to import must say which one
        raise NotifierConfigError("kind", f'notifier kind "{kind}" ({found.value}) failed to load: {exc}') from exc
    return loaded


def build_notifier(name: str, kind: str, options: Mapping[str, Any], env: Mapping[str, str]) -> Notifier:
    """A ready notifier for one receiver, validated; NotifierConfigError names the bad option."""
    return notifier_kind(kind).from_options(name, options, env)
