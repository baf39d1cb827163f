"""report.json: one or two runs over one range, their difference, and what ingest refused.

Everything in it is a function of the records and the configuration: no
wall-clock time, no randomness, lists in a stable order, so the same
range and config give the same bytes (`report_bytes`). How fast the
replay ran is the caller's business (`timing.json`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from correlator.replay.replayer import Replayer
from correlator.replay.summary import incident_summary

__all__ = ["REPORT_VERSION", "build_report", "diff_runs", "iso_time", "report_bytes"]

REPORT_VERSION = 1


def build_report(
    current: Replayer,
    alternative: Replayer | None = None,
    *,
    sources: Sequence[str],
    config: Sequence[str],
    alternative_config: Sequence[str] | None = None,
    complete: bool | None = None,
) -> dict[str, Any]:
    """The report of `current` (and `alternative`, fed the same records); `complete` defaults to
    whether the runs finished."""
    if complete is None:
        complete = current.finished and (alternative is None or alternative.finished)
    runs = {"current": current.result(), "alternative": alternative.result() if alternative is not None else None}
    ingest = current.ingest
    return {
        "vigil_replay": REPORT_VERSION,
        "complete": complete,
        "range": {
            "from": iso_time(current.from_ts),
            "to": iso_time(current.to_ts),
            "from_ts": current.from_ts,
            "to_ts": current.to_ts,
            "drain_s": current.drain_seconds,
            "position_ts": current.now,
        },
        "sources": list(sources),
        "config": {
            "current": list(config),
            "alternative": list(alternative_config) if alternative_config is not None else None,
        },
        "stats": {
            "events": ingest.events,
            "changes": current.control_records["changes"],
            "commands": current.control_records["commands"],
            "dead_lettered": ingest.dead_lettered,
            "late": current.engine.late_events,
            "event_seconds": max(0.0, min(current.now, current.to_ts) - current.from_ts),
            "alert_records": current.alert_records,
            "ignored": len(current.ignored),
        },
        "runs": runs,
        "diff": diff_runs(runs["current"], runs["alternative"]) if runs["alternative"] is not None else None,
        "dead_letters": [note.to_report() for note in ingest.dead_letters],
        "ignored": [note.to_report() for note in current.ignored],
        "late": [
            {"topic": family, "service": service, "ts": start, "count": count}
            for (family, service, start), count in sorted(current.late.items(), key=lambda kv: (kv[0][2], kv[0]))
        ],
    }


def diff_runs(current: dict[str, Any], alternative: dict[str, Any]) -> dict[str, Any]:
    """Incidents only one run opened, detection gained or lost on those both opened, notifications saved.

    Two incidents are the same when they share a service and their lifetimes overlap (an open incident
    lasts to the end); each is matched at most once, earliest first, preferring the same group.
    """
    alt_left = list(alternative["incidents"])
    both = []
    only_current = []
    for incident in current["incidents"]:
        candidates = [other for other in alt_left if _same(incident, other)]
        if not candidates:
            only_current.append(incident_summary(incident))
            continue
        match = min(candidates, key=lambda o: (o["group_key"] != incident["group_key"], o["opened_at"], o["id"]))
        alt_left.remove(match)
        delta = None
        if incident["detected_at"] is not None and match["detected_at"] is not None:
            delta = match["detected_at"] - incident["detected_at"]
        both.append(
            {
                "current": incident["id"],
                "alternative": match["id"],
                "detect_delta_s": delta,
                "open_delta_s": match["opened_at"] - incident["opened_at"],
                "severity": {"current": incident["severity"], "alternative": match["severity"]},
                "notifications": {
                    "current": len(incident["notifications"]),
                    "alternative": len(match["notifications"]),
                },
            }
        )
    return {
        "only_current": only_current,
        "only_alternative": [incident_summary(incident) for incident in alt_left],
        "both": both,
        "notifications_saved": len(current["notifications"]) - len(alternative["notifications"]),
        "alerts": {
            "current": sum(1 for a in current["alerts"] if a["status"] == "firing"),
            "alternative": sum(1 for a in alternative["alerts"] if a["status"] == "firing"),
        },
    }


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if not set(a["services"]) & set(b["services"]):
        return False
    a_end = a["resolved_at"] if a["status"] == "resolved" else float("inf")
    b_end = b["resolved_at"] if b["status"] == "resolved" else float("inf")
    return a["opened_at"] <= b_end and b["opened_at"] <= a_end


def report_bytes(report: dict[str, Any]) -> bytes:
    """The report as it is written: sorted keys, two-space indent, so equal reports are equal bytes."""
    return orjson.dumps(report, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2)


def iso_time(ts: float) -> str:
    """`2026-11-27T10:00:00Z`, with milliseconds only when there are some."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"
