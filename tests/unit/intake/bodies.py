"""Bodies as Prometheus and Alertmanager send them, and factories for variations.

The clock: T0 is 2026-01-01T00:00:00Z and the tests convert at NOW, ten
minutes later. Prometheus (strfmt.DateTime) writes milliseconds; Alertmanager's
webhook (Go's time.Time) writes nanoseconds and the server's offset.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
NOW = T0 + 600.0

# What Prometheus POSTs to /api/v2/alerts after an evaluation: a firing alert whose
# endsAt is a timeout ahead of now, one that resolved (endsAt in the past), with the
# server's external labels on every alert.
PROMETHEUS_BATCH = b"""[
  {
    "annotations": {
      "summary": "advisor-api P95 latency above 500ms",
      "description": "P95 is 1.507s on advisor-api (route /advice).",
      "runbook_url": "https://runbooks.example.com/ApiLatencyHigh"
    },
    "endsAt": "2026-01-01T00:14:00.000Z",
    "startsAt": "2026-01-01T00:03:30.125Z",
    "generatorURL": "http://prometheus:9090/graph?g0.expr=histogram_quantile%280.95%2C+sum+by+%28le%2C+job%29+%28rate%28http_request_duration_seconds_bucket%5B5m%5D%29%29%29+%3E+0.5&g0.tab=1",
    "labels": {
      "alertname": "ApiLatencyHigh",
      "cluster": "eu-prod-1",
      "job": "advisor-api",
      "route": "/advice",
      "severity": "critical"
    }
  },
  {
    "annotations": {"summary": "postgres replication lag above 30s"},
    "endsAt": "2026-01-01T00:09:15.500Z",
    "startsAt": "2026-01-01T00:01:00.000Z",
    "generatorURL": "http://prometheus:9090/graph?g0.expr=pg_replication_lag_seconds+%3E+30&g0.tab=1",
    "labels": {
      "alertname": "PostgresReplicationLag",
      "cluster": "eu-prod-1",
      "instance": "pg-replica-2:9187",
      "job": "postgres-exporter",
      "service": "postgres",
      "severity": "warning"
    }
  }
]"""

# The same (critical) alert after Alertmanager grouped it with a sibling and called
# its webhook receiver: version 4, Go timestamps with nanoseconds and an offset,
# the firing alert's endsAt as Go's zero time.
ALERTMANAGER_GROUP = """{
  "receiver": "vigil",
  "status": "firing",
  "alerts": [
    {
      "status": "firing",
      "labels": {
        "alertname": "ApiLatencyHigh",
        "cluster": "eu-prod-1",
        "job": "advisor-api",
        "route": "/advice",
        "severity": "critical"
      },
      "annotations": {
        "summary": "advisor-api P95 latency above 500ms",
        "description": "P95 is 1.507s on advisor-api (route /advice)."
      },
      "startsAt": "2026-01-01T01:03:30.125000000+01:00",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "http://prometheus:9090/graph?g0.expr=histogram_quantile%280.95%29&g0.tab=1",
      "fingerprint": "5d8a5c1e0b7f2a91"
    },
    {
      "status": "resolved",
      "labels": {
        "alertname": "ApiLatencyHigh",
        "cluster": "eu-prod-1",
        "job": "advisor-api",
        "route": "/portfolio",
        "severity": "critical"
      },
      "annotations": {"summary": "advisor-api P95 latency above 500ms"},
      "startsAt": "2026-01-01T00:02:00.5Z",
      "endsAt": "2026-01-01T00:08:42.739266876Z",
      "generatorURL": "http://prometheus:9090/graph?g0.expr=histogram_quantile%280.95%29&g0.tab=1",
      "fingerprint": "0c93e2b4f1a65d07"
    },
    {
      "status": "firing",
      "labels": {
        "alertname": "ApiLatencyHigh",
        "cluster": "eu-prod-1",
        "job": "advisor-api",
        "route": "/consultas/relatório",
        "severity": "critical",
        "équipe": "conformité ✓"
      },
      "annotations": {"summary": "latência P95 acima de 500 ms — 顧客向け API"},
      "startsAt": "2026-01-01T00:04:00Z",
      "endsAt": "0001-01-01T00:00:00Z",
      "generatorURL": "",
      "fingerprint": "a1b2c3d4e5f60718"
    }
  ],
  "groupLabels": {"alertname": "ApiLatencyHigh"},
  "commonLabels": {"alertname": "ApiLatencyHigh", "cluster": "eu-prod-1", "job": "advisor-api", "severity": "critical"},
  "commonAnnotations": {"summary": "advisor-api P95 latency above 500ms"},
  "externalURL": "http://alertmanager:9093",
  "version": "4",
  "groupKey": "{}/{severity=\\"critical\\"}:{alertname=\\"ApiLatencyHigh\\"}",
  "truncatedAlerts": 0
}""".encode()


def v2_alert(**fields: Any) -> dict[str, Any]:
    """One postable alert, firing since T0 (endsAt a timeout after NOW); ``fields`` replace or add."""
    alert: dict[str, Any] = {
        "labels": {"alertname": "DiskFilling", "job": "node", "instance": "db-1:9100", "severity": "warning"},
        "annotations": {"summary": "disk /data on db-1 is 91% full"},
        "startsAt": "2026-01-01T00:00:00.000Z",
        "endsAt": "2026-01-01T00:14:00.000Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=disk_used_ratio+%3E+0.9&g0.tab=1",
    }
    alert.update(fields)
    return alert


def webhook_alert(**fields: Any) -> dict[str, Any]:
    alert = v2_alert(status="firing", endsAt="0001-01-01T00:00:00Z", fingerprint="7e5d3c1b9a8f6e4d")
    alert.update(fields)
    return alert


def webhook(alerts: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    """A version-4 webhook message around ``alerts`` (one firing alert by default)."""
    alerts = [webhook_alert()] if alerts is None else alerts
    resolved = bool(alerts) and all(isinstance(a, dict) and a.get("status") == "resolved" for a in alerts)
    message: dict[str, Any] = {
        "receiver": "vigil",
        "status": "resolved" if resolved else "firing",
        "alerts": alerts,
        "groupLabels": {"alertname": "DiskFilling"},
        "commonLabels": {"alertname": "DiskFilling", "job": "node"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{alertname="DiskFilling"}',
        "truncatedAlerts": 0,
    }
    message.update(fields)
    return message


def dumps(value: Any) -> bytes:
    return orjson.dumps(value)


def without(mapping: dict[str, Any], key: str) -> dict[str, Any]:
    out = copy.deepcopy(mapping)
    del out[key]
    return out
