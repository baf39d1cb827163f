"""Every query of the Grafana dashboard runs on a real Prometheus and returns data.

Prometheus scrapes the same worker registry tests/unit/test_grafana.py
checks names against (a RuleEngine on packs/default.yaml after traffic for
every rule, and a read model holding a few incidents), served by
prometheus_client's own HTTP server, so no broker is needed. Each
expression is sent as Grafana sends it with the `service` variable on All
(`.*`): Prometheus must accept it (no parse or type error) and return at
least one series; the incident panels must show the incidents held.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, start_http_server

from tests.integration.prometheus import prometheus_binary, running_prometheus, scalar
from tests.unit.test_grafana import OPEN_INCIDENTS, exprs, worker_registry

SCRAPES = 3  # rate() over a window needs two samples; one more for slack


@contextmanager
def serving(registry: CollectorRegistry) -> Iterator[str]:
    """`registry` on /metrics of a free port of 127.0.0.1; its host:port."""
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_every_dashboard_query_runs_and_returns_data(tmp_path: Path) -> None:
    try:
        prometheus_binary()
    except RuntimeError as exc:  # fail, never skip: a skipped test would look green while testing nothing
        pytest.fail(str(exc), pytrace=False)
    with serving(worker_registry()) as target, running_prometheus([target], tmp_path, scrape_interval="1s") as prom:
        prom.wait_for("count_over_time(vigil_series[1m])", lambda r: len(r) == 1 and scalar(r) >= SCRAPES, timeout=30)
        empty = []
        for title, expr in exprs():
            promql = expr.replace("$service", ".*")
            result = prom.query(promql)  # raises with Prometheus' message on a parse or evaluation error
            if not result:
                empty.append(f"{title}: {promql}")
        assert not empty, "queries that return no series:\n" + "\n".join(empty)
        # The incident panels show what the read model holds, every severity included.
        for title, expr in exprs():
            if "vigil_incidents" in expr:
                got = {r["metric"]["severity"]: float(r["value"][1]) for r in prom.query(expr)}
                assert got == OPEN_INCIDENTS, f"{title}: {expr}"
