"""A one-line account of what a pack holds, for `vigil check-config` and the worker's start-up log."""

from __future__ import annotations

from correlator.durations import format_duration
from correlator.pack import RulePack
from correlator.routing.model import Route

__all__ = ["describe_pack"]


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def describe_pack(pack: RulePack) -> str:
    """E.g. `5 rules, 1 absence rule, 5 SLOs → 20 burn-rate alerts, 1 log pattern, 4 receivers, 4 routes,
    1 escalation policy; base window 10s` (routing only when the pack has receivers)."""
    base = pack.settings.window_seconds
    burns = sum(len(slo.burn_alerts(base)) for slo in pack.slos)
    parts = [_count(len(pack.rules), "rule"), _count(len(pack.absence), "absence rule")]
    parts.append(f"{_count(len(pack.slos), 'SLO')} → {_count(burns, 'burn-rate alert')}")
    parts.append(_count(len(pack.log_patterns), "log pattern"))
    routing = pack.routing
    if routing.receivers:
        parts.append(
            f"{_count(len(routing.receivers), 'receiver')}, {_count(_routes(routing.route), 'route')},"
            f" {_count(len(routing.policies), 'escalation policy', 'escalation policies')}"
        )
    return ", ".join(parts) + f"; base window {format_duration(base)}"


def _routes(route: Route) -> int:
    """Routes below the root (the root catches what none of them takes)."""
    return sum(1 + _routes(child) for child in route.routes)
