"""Prometheus and Alertmanager can send their alerts to a real worker; they land on `alerts`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from tests.integration.records import read_until
from tests.integration.worker import running_worker

V2_BODY = [
    {
        "labels": {"alertname": "PostgresDown", "service": "postgres", "severity": "critical", "instance": "db-1"},
        "annotations": {"summary": "postgres db-1 is down"},
        "startsAt": "2026-11-27T10:00:00Z",
        "endsAt": "2999-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
    }
]


def post(url: str, body: bytes) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


async def test_prometheus_alerts_become_vigil_alerts_and_bad_bodies_get_400(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    with running_worker(kafka_bootstrap, tmp_path) as worker:
        status, answer = post(f"{worker.web}/api/v2/alerts", json.dumps(V2_BODY).encode())
        assert (status, answer["accepted"]) == (200, 1)
        status, answer = post(f"{worker.web}/api/v2/alerts", b'[{"labels": "nope"}]')
        assert status == 400 and "labels" in str(answer["error"])
        status, answer = post(f"{worker.web}/api/v1/alertmanager-webhook", b'{"version": "3", "alerts": []}')
        assert status == 400

        records = await read_until(worker.bootstrap, worker.topics.alerts, lambda rs: len(rs) >= 1, timeout=30)
        alert = orjson.loads(records[0].value)
        assert (alert["rule"], alert["status"], alert["severity"]) == ("PostgresDown", "firing", "critical")
        assert alert["labels"]["source"] == "prometheus" and records[0].key == b"postgres"
