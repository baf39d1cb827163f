"""Alerts become one incident on the real broker, and people act on it through the HTTP API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson

from tests.integration.records import read_until
from tests.integration.worker import running_worker

RESPONDER = "responder-token-0123456789"
VIEWER = "viewer-token-0123456789ab"
PACK = """
correlation:
  topology: {advisor-api: [postgres, compliance-svc], compliance-svc: [postgres]}
"""


def call(url: str, *, method: str = "GET", token: str | None = None, body: object = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def prometheus_alert(name: str, service: str, severity: str) -> dict[str, object]:
    return {
        "labels": {"alertname": name, "service": service, "severity": severity},
        "annotations": {"summary": f"{name} on {service}"},
        "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 30)),
        "endsAt": "2999-01-01T00:00:00Z",
    }


def wait_for(predicate, timeout: float = 30.0, show=None):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{predicate.__name__} not met in {timeout}s; last seen: {show() if show else None}")


async def test_storm_becomes_one_incident_with_root_cause_and_can_be_acked(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK)
    tokens = f"{RESPONDER}:responder:ana,{VIEWER}:viewer"
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(pack), VIGIL_API_TOKENS=tokens) as worker:
        body = [
            prometheus_alert("PostgresDown", "postgres", "critical"),
            prometheus_alert("ApiLatencyHigh", "advisor-api", "high"),
            prometheus_alert("ValidationsSlow", "compliance-svc", "high"),
        ]
        status, _ = call(f"{worker.web}/api/v2/alerts", method="POST", body=body)
        assert status == 200
        status, _ = call(f"{worker.web}/api/v2/alerts", method="POST", body=body[:1])  # a re-send: dedup
        assert status == 200

        def one_incident() -> dict | None:  # type: ignore[type-arg]
            code, answer = call(f"{worker.web}/api/incidents", token=VIEWER)
            return (
                answer if code == 200 and answer["count"] == 1 and len(answer["incidents"][0]["alerts"]) == 3 else None
            )

        incident = wait_for(one_incident, show=lambda: call(f"{worker.web}/api/incidents", token=VIEWER))["incidents"][
            0
        ]
        assert incident["root_cause"] == "postgres"
        assert incident["severity"] == "critical" and incident["status"] == "triggered"
        assert incident["reasons"], incident

        assert call(f"{worker.web}/api/incidents")[0] == 401
        assert call(f"{worker.web}/api/incidents", token="wrong-token-0123456789")[0] == 401
        assert call(f"{worker.web}/api/incidents/{incident['id']}/ack", method="POST", token=VIEWER, body={})[0] == 403
        assert (
            call(f"{worker.web}/api/incidents/{incident['id']}/comment", method="POST", token=RESPONDER, body={})[0]
            == 400
        )
        assert call(f"{worker.web}/api/incidents/nope/ack", method="POST", token=RESPONDER, body={})[0] == 404

        status, answer = call(
            f"{worker.web}/api/incidents/{incident['id']}/ack", method="POST", token=RESPONDER, body={"note": "on it"}
        )
        assert status == 202, answer

        def acked() -> bool:
            code, answer = call(f"{worker.web}/api/incidents/{incident['id']}", token=VIEWER)
            return code == 200 and answer["incident"]["status"] == "acknowledged"

        wait_for(
            acked, show=lambda: call(f"{worker.web}/api/incidents/{incident['id']}", token=VIEWER)[1].get("events")
        )
        records = await read_until(
            worker.bootstrap,
            worker.topics.incidents,
            lambda rs: any(orjson.loads(r.value)["event"] == "acknowledged" for r in rs),
            timeout=30,
        )
        events = [orjson.loads(r.value) for r in records]
        assert len({e["incident_id"] for e in events}) == 1  # the storm is one incident
        acked_event = next(e for e in events if e["event"] == "acknowledged")
        assert acked_event["actor"] == "ana" and acked_event["incident"]["acknowledged_by"] == "ana"
