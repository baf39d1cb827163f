"""A realistic report.json for the report tests: an hour of the advisory platform with two incidents.

`report()` builds it fresh every call (tests may mutate it). Times are
offsets from `START` (2026-01-01 12:00:00 UTC); the range is one hour.

- incident #1 `inc-api-latency`: advisor-api latency, root cause postgres, critical,
  opened +10m, acknowledged +14m, resolved +31m; a suspect deploy with a URL;
  three notifications (one escalation);
- incident #2 `inc-whatsapp`: WhatsApp delivery failures, high, opened +40m, still open;
- three series: advisor-api P95 (s), advisor-api 5xx ratio (%), whatsapp-gateway
  delivery failures (%), one point a minute, one null value in the P95;
- two dead letters (one preview holds HTML), two late entries;
- with `what_if`: an alternative run and a diff (the alternative detects #1 30 s
  earlier, never opens #2, opens one of its own, saves 3 notifications).
"""

from __future__ import annotations

import copy
from typing import Any

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
START = T0 + 12 * 3600  # 12:00:00 UTC
END = START + 3600  # 13:00:00 UTC

API_TITLE = "advisor-api: api-latency is burning its error budget 6.6× faster than sustainable"
WHATSAPP_TITLE = "whatsapp-gateway: WhatsApp delivery failures at 12.5% of messages"
SUSPECT_URL = "https://ci.example.com/advisor-api/deploys/142"


def at(minutes: float) -> float:
    """START + `minutes`."""
    return START + minutes * 60


def notification(
    incident_id: str, minutes: float, receiver: str, event: str, reason: str, level: int | None = None
) -> dict[str, Any]:
    return {
        "ts": at(minutes),
        "receiver": receiver,
        "event": event,
        "reason": reason,
        "key": f"{incident_id}:{receiver}:{event}:{level}",
        "level": level,
        "incident_id": incident_id,
    }


def api_incident() -> dict[str, Any]:
    notes = [
        notification("inc-api-latency", 10 + 10 / 60, "console", "OPENED", "opened → delivered"),
        notification(
            "inc-api-latency", 10 + 10 / 60, "team-slack", "OPENED", "opened → skipped: SLACK_WEBHOOK_URL not set"
        ),
        notification(
            "inc-api-latency", 11 + 10 / 60, "oncall-pager", "ESCALATED", "not acknowledged within 1 min → delivered", 0
        ),
    ]
    return {
        "id": "inc-api-latency",
        "title": API_TITLE,
        "severity": "critical",
        "status": "resolved",
        "services": ["advisor-api", "postgres"],
        "root_cause": "postgres",
        "group_key": "service=advisor-api",
        "opened_at": at(10),
        "acknowledged_at": at(14),
        "resolved_at": at(31),
        "detected_at": at(9 + 20 / 60),
        "time_to_detect": 95.0,
        "time_to_acknowledge": 280.0,
        "time_to_resolve": 1300.0,
        "reasons": [
            "advisor-api depends on postgres, which is alerting",
            "same group service=advisor-api within 5m",
        ],
        "suspects": [f"advisor-api 1.4.2 deployed 3 min before the incident: {SUSPECT_URL}"],
        "timeline": [
            {"ts": at(10), "kind": "opened", "text": "ApiLatencyP95High fired for advisor-api", "actor": None},
            {
                "ts": at(10.5),
                "kind": "severity_changed",
                "text": "high → critical (api-availability:burn14.4x)",
                "actor": None,
            },
            {
                "ts": at(12),
                "kind": "alert_added",
                "text": "PostgresLockWaits joined: advisor-api depends on postgres",
                "actor": None,
            },
            {"ts": at(14), "kind": "acknowledged", "text": "acknowledged", "actor": "ana@example.com"},
            {"ts": at(31), "kind": "resolved", "text": "all alerts resolved", "actor": None},
        ],
        "notifications": notes,
    }


def whatsapp_incident() -> dict[str, Any]:
    return {
        "id": "inc-whatsapp",
        "title": WHATSAPP_TITLE,
        "severity": "high",
        "status": "triggered",
        "services": ["whatsapp-gateway"],
        "root_cause": "whatsapp-gateway",
        "group_key": "service=whatsapp-gateway",
        "opened_at": at(40),
        "acknowledged_at": None,
        "resolved_at": None,
        "detected_at": at(39),
        "time_to_detect": 42.5,
        "time_to_acknowledge": None,
        "time_to_resolve": None,
        "reasons": [],
        "suspects": [],
        "timeline": [
            {
                "ts": at(40),
                "kind": "opened",
                "text": "WhatsAppDeliveryFailures fired for whatsapp-gateway",
                "actor": None,
            },
        ],
        "notifications": [notification("inc-whatsapp", 40 + 10 / 60, "console", "OPENED", "opened → delivered")],
    }


def _points(shape: Any) -> list[list[float | None]]:
    return [[at(m), shape(m)] for m in range(61)]


def api_latency(m: int) -> float | None:
    if m == 45:
        return None  # a minute without samples
    return 1.5 if 9 <= m <= 30 else 0.2 + (m % 5) * 0.02


def series() -> list[dict[str, Any]]:
    return [
        {
            "rule": "ApiLatencyP95High",
            "service": "advisor-api",
            "op": ">",
            "threshold": 0.5,
            "unit": "s",
            "points": _points(api_latency),
        },
        {
            "rule": "Api5xxRatioHigh",
            "service": "advisor-api",
            "op": ">",
            "threshold": 0.05,
            "unit": "%",
            "points": _points(lambda m: 0.08 if 10 <= m <= 25 else 0.004),
        },
        {
            "rule": "WhatsAppDeliveryFailures",
            "service": "whatsapp-gateway",
            "op": ">",
            "threshold": 0.05,
            "unit": "%",
            "points": _points(lambda m: 0.125 if m >= 39 else 0.01),
        },
    ]


def alerts() -> list[dict[str, Any]]:
    def alert(
        fp: str, rule: str, service: str, severity: str, starts: float, ends: float | None, status: str
    ) -> dict[str, Any]:
        return {
            "fingerprint": fp,
            "rule": rule,
            "status": status,
            "severity": severity,
            "labels": {"alertname": rule, "service": service, "severity": severity},
            "starts_at": at(starts),
            "ends_at": None if ends is None else at(ends),
            "event_ts": at(starts if ends is None else ends),
        }

    return [
        alert("a1", "ApiLatencyP95High", "advisor-api", "high", 9.33, None, "firing"),
        alert("a2", "api-availability:burn14.4x", "advisor-api", "critical", 10.5, None, "firing"),
        alert("a3", "PostgresLockWaits", "postgres", "medium", 12, None, "firing"),
        alert("a1", "ApiLatencyP95High", "advisor-api", "high", 9.33, 30, "resolved"),
        alert("a2", "api-availability:burn14.4x", "advisor-api", "critical", 10.5, 31, "resolved"),
        alert("a3", "PostgresLockWaits", "postgres", "medium", 12, 29, "resolved"),
        alert("a4", "WhatsAppDeliveryFailures", "whatsapp-gateway", "high", 39, None, "firing"),
    ]


def run() -> dict[str, Any]:
    incidents = [api_incident(), whatsapp_incident()]
    return {
        "alerts": alerts(),
        "incidents": incidents,
        "notifications": [n for i in incidents for n in i["notifications"]],
        "series": series(),
    }


def alternative_run() -> dict[str, Any]:
    api = api_incident()
    api.update(id="alt-api-latency", opened_at=at(9.5), detected_at=at(8 + 50 / 60), time_to_detect=65.0)
    api["notifications"] = api["notifications"][:1]
    compliance = {
        "id": "alt-compliance",
        "title": "compliance-svc: validation P95 above 1.5s",
        "severity": "medium",
        "status": "resolved",
        "services": ["compliance-svc"],
        "opened_at": at(50),
        "resolved_at": at(55),
        "notifications": [],
    }
    return {
        "alerts": alerts()[:4],
        "incidents": [api, compliance],
        "notifications": list(api["notifications"]),
        "series": series(),
    }


def report(*, what_if: bool = True) -> dict[str, Any]:
    """The whole report.json as `vigil replay` writes it."""
    current = run()
    alternative = alternative_run() if what_if else None
    diff = None
    if what_if:
        diff = {
            "only_current": [copy.deepcopy(current["incidents"][1])],
            "only_alternative": [copy.deepcopy(alternative["incidents"][1])],  # type: ignore[index]
            "both": [{"current": "inc-api-latency", "alternative": "alt-api-latency", "detect_delta_s": -30.0}],
            "notifications_saved": 3,
        }
    return {
        "vigil_replay": 1,
        "complete": True,
        "range": {"from": "2026-01-01T12:00:00Z", "to": "2026-01-01T13:00:00Z", "from_ts": START, "to_ts": END},
        "sources": ["logs", "metrics", "receipts"],
        "config": {"current": ["packs/default.yaml"], "alternative": ["alt.yaml"] if what_if else None},
        "stats": {"events": 237_412, "dead_lettered": 2, "late": 17, "event_seconds": 3600.0},
        "runs": {"current": current, "alternative": alternative},
        "diff": diff,
        "dead_letters": [
            {
                "topic": "vigil.logs",
                "partition": 2,
                "offset": 48213,
                "ts": at(12.25),
                "reason": "schema: missing required field",
                "field": "service",
                "preview": '{"level":"error","msg":"<b>lock wait</b> & timeout"}',
            },
            {
                "topic": "vigil.metrics",
                "partition": 0,
                "offset": 99120,
                "ts": at(41),
                "reason": "not JSON",
                "field": None,
                "preview": "latency_ms=1500 service=advisor-api",
            },
        ],
        "late": [
            {"topic": "vigil.metrics", "service": "advisor-api", "ts": at(20), "count": 12},
            {"topic": "vigil.receipts", "service": "whatsapp-gateway", "ts": at(44), "count": 5},
        ],
    }


#: How many charts the page of `report()` holds: #1 charts advisor-api's two series, #2 WhatsApp's one.
CHARTS = 3
