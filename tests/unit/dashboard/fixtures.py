"""Factories for the dashboard tests: an engine with some state, a running dashboard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import test_utils, web

from correlator import RuleEngine
from correlator.alerts import AlertPhase, AlertState
from correlator.config.packfile import parse_pack
from correlator.engine import SloStatus
from streams.api import IncidentReadModel
from streams.dashboard import DashboardApi, EventHub, SliHistory, mount
from tests.unit.api.fixtures import T0, tokens

PACK = """
rules:
  - name: ApiLatencyP95High
    source: metrics
    metric: http_request_duration_seconds
    match: ['service="advisor-api"']
    aggregation: p95
    op: ">"
    threshold: 0.5
    window: 30s
slos:
  - name: api-latency
    objective: 95
    period: 6h
    sli: {source: metrics, metric: http_request_duration_seconds, match: ['service="advisor-api"'], le: 0.5}
  - name: uptime
    objective: 99
    period: 6h
    sli: {source: metrics, metric: up, ge: 1}
"""

API = (("service", "advisor-api"),)


def engine(
    *,
    p95: float = 0.3,
    short_rate: float = 0.2,
    sustained_rate: float = 0.5,
    budget: float = 0.9,
    firing: str | None = None,
) -> RuleEngine:
    """An engine whose advisor-api shard has a P95 value and an api-latency standing (uptime: no data)."""
    e = RuleEngine(parse_pack(PACK))
    shard = e.shard("advisor-api")
    shard.rule_values[("ApiLatencyP95High", API)] = p95
    shard.slo_status[("api-latency", API)] = SloStatus(
        budget_remaining=budget, burn_rates={"10s": short_rate, "3m": sustained_rate}
    )
    if firing is not None:
        shard.alerts[(firing, API)] = AlertState(phase=AlertPhase.FIRING)
    return e


@dataclass
class RunningDashboard:
    client: test_utils.TestClient
    dashboard: DashboardApi
    model: IncidentReadModel
    now: list[float] = field(default_factory=lambda: [T0 + 3600])


@asynccontextmanager
async def running_dashboard(e: RuleEngine | None = None, *, heartbeat: float = 15.0) -> AsyncIterator[RunningDashboard]:
    model = IncidentReadModel(caught_up=True)
    now = [T0 + 3600]
    dashboard = DashboardApi(
        engine=e if e is not None else engine(),
        read_model=model,
        tokens=tokens(),
        history=SliHistory(),
        hub=EventHub(queue_size=50),
        clock=lambda: now[0],
        heartbeat=heartbeat,
    )
    model.subscribe(dashboard.on_incident)
    app = web.Application()
    mount(app, dashboard)
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        yield RunningDashboard(client=client, dashboard=dashboard, model=model, now=now)
