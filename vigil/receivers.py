"""A pack's receivers as real channels: checked at load time, built for the worker.

The pure loader (correlator/config/routing.py) keeps each receiver's
options raw. Here they meet the notifier registry: `receiver_problems(env)`
is the loader's `check_receiver` (a receiver that would fail to build is a
`FILE:LINE` problem), and `build_receivers` gives the worker its notifiers.

An `optional: true` receiver whose `${VAR}`s are not all set is disabled,
not wrong: a laptop without a PagerDuty key still runs the pack. Its kind
must still exist, and with every variable set it must build like any other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from correlator.routing.model import ReceiverSpec, RoutingConfig
from notifiers.base import Notifier, NotifierConfigError
from notifiers.registry import build_notifier, notifier_kind
from notifiers.secrets import redact

__all__ = ["ReceiverError", "build_receivers", "missing_variables", "receiver_problems"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ReceiverError(Exception):
    """A (non-optional) receiver that cannot be built; says which one and where it is declared."""

    def __init__(self, receiver: str, line: int, problem: str) -> None:
        super().__init__(f"receiver {receiver} (pack line {line}): {problem}")
        self.receiver = receiver
        self.line = line
        self.problem = problem


def missing_variables(spec: ReceiverSpec, env: Mapping[str, str]) -> list[str]:
    """The `${VAR}`s a receiver's options use that `env` leaves unset or empty, in order of appearance.

    Empty counts as unset: `SLACK_WEBHOOK_URL=` (or docker compose's `${SLACK_WEBHOOK_URL:-}`) means
    "no Slack here", which for an optional receiver is a reason to disable it, not to refuse to start.
    """
    return list(dict.fromkeys(name for name in _variables(spec.options) if not env.get(name)))


def receiver_problems(env: Mapping[str, str]) -> Callable[[ReceiverSpec], list[tuple[str | None, str]]]:
    """The pack loader's `check_receiver`: builds each receiver with `env`, answers (option, message) pairs."""

    def check(spec: ReceiverSpec) -> list[tuple[str | None, str]]:
        missing = missing_variables(spec, env)
        try:
            if spec.optional and missing:
                notifier_kind(spec.kind)  # disabled for now, but its kind must exist
            else:
                _build(spec, env)
        except NotifierConfigError as exc:
            message = _redacted(spec, env, str(exc))
            if any(name in message for name in missing):
                message += " (set it, or mark the receiver optional: true to run without it)"
            return [(exc.option, message)]
        except Exception as exc:  # a plugin's from_options failing some other way is still a problem of this pack
            return [(None, _redacted(spec, env, f"kind {spec.kind} cannot build it: {type(exc).__name__}: {exc}"))]
        return []

    return check


def build_receivers(routing: RoutingConfig, env: Mapping[str, str]) -> tuple[dict[str, Notifier], dict[str, str]]:
    """Ready notifiers by receiver name, and the disabled optional receivers with the reason.

    Raises `ReceiverError` for a receiver that cannot be built (a pack
    loaded with `check_receiver=receiver_problems(env)` has none).
    """
    ready: dict[str, Notifier] = {}
    disabled: dict[str, str] = {}
    for name, spec in routing.receivers.items():
        missing = missing_variables(spec, env)
        if spec.optional and missing:
            s = "s" if len(missing) > 1 else ""
            disabled[name] = f"environment variable{s} {', '.join(missing)} not set"  # or empty
            continue
        try:
            ready[name] = _build(spec, env)
        except NotifierConfigError as exc:
            raise ReceiverError(name, spec.line, _redacted(spec, env, str(exc))) from None
    return ready, disabled


def _build(spec: ReceiverSpec, env: Mapping[str, str]) -> Notifier:
    return build_notifier(spec.name, spec.kind, spec.options, env)


def _variables(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield from _VAR.findall(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _variables(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _variables(item)


def _redacted(spec: ReceiverSpec, env: Mapping[str, str], text: str) -> str:
    """`text` without the value of any variable the receiver uses: they may be secrets."""
    return redact(text, [env.get(name) for name in _variables(spec.options)])
