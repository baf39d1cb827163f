"""A one-line account of what a pack holds, for `vigil check-config` and the worker's start-up log."""

from __future__ import annotations

from correlator.durations import format_duration
from correlator.pack import RulePack

__all__ = ["describe_pack"]


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def describe_pack(pack: RulePack) -> str:
    """E.g. `5 rules, 1 absence rule, 5 SLOs → 20 burn-rate alerts, 1 log pattern; base window 10s`."""
    base = pack.settings.window_seconds
    burns = sum(len(slo.burn_alerts(base)) for slo in pack.slos)
    parts = [_count(len(pack.rules), "rule"), _count(len(pack.absence), "absence rule")]
    parts.append(f"{_count(len(pack.slos), 'SLO')} → {_count(burns, 'burn-rate alert')}")
    parts.append(_count(len(pack.log_patterns), "log pattern"))
    return ", ".join(parts) + f"; base window {format_duration(base)}"
