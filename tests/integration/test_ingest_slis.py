"""Ingest's two indicators on a real broker and a real worker.

Delivery outcomes: each message counts once by its first final status, or
as a failure once event time passes first receipt + `receipt_timeout`.
Log pattern matches: one count per configured pattern a message matches.
The worker reads its pack (timeout and patterns) from `VIGIL_CONFIG`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from tests.integration.records import produce, read_until
from tests.integration.worker import running_worker

T0 = 1_700_000_000.0
END = T0 + 300  #: the last event of each topic: every timeout (at most T0 + 89) is due by then

PACK = """\
settings:
  receipt_timeout: 30s
log_patterns:
  - name: upstream_timeout
    regex: 'upstream timeout'
"""

#: A message's receipts, as (status, seconds after its first receipt), by fate; and the outcome it must count as.
FATES: list[tuple[list[tuple[str, float]], str]] = [
    ([("queued", 0), ("sent", 1), ("delivered", 3), ("read", 8)], "success"),  # read after delivered: once
    ([("queued", 0), ("sent", 1), ("delivered", 3), ("delivered", 4), ("read", 9)], "success"),  # duplicate final
    ([("queued", 0), ("sent", 1), ("failed", 4)], "failure"),
    ([("queued", 0), ("sent", 1), ("undelivered", 4), ("failed", 5)], "failure"),
    ([("queued", 0), ("sent", 1)], "failure"),  # never final: times out at +30 s
    ([("queued", 0), ("sent", 1), ("delivered", 3), ("failed", 6)], "success"),  # the first final decides
]


def receipts() -> tuple[list[dict[str, Any]], Counter[tuple[str, str, str]]]:
    """Receipts in event-time order, and the outcomes expected per (channel, provider, outcome)."""
    events: list[dict[str, Any]] = []
    expected: Counter[tuple[str, str, str]] = Counter()

    def message(message_id: str, start: float, steps: list[tuple[str, float]], channel: str, provider: str) -> None:
        for status, after in steps:
            events.append(
                {
                    "ts": start + after,
                    "service": "whatsapp-gateway",
                    "message_id": message_id,
                    "channel": channel,
                    "provider": provider,
                    "status": status,
                }
            )

    for i in range(60):
        steps, outcome = FATES[i % len(FATES)]
        message(f"wa-{i}", T0 + i, steps, "whatsapp", "meta")
        expected["whatsapp", "meta", outcome] += 1
    for i in range(6):
        message(f"sms-{i}", T0 + 100 + i, [("sent", 0), ("delivered", 2)], "sms", "twilio")
        expected["sms", "twilio", "success"] += 1
    message("wa-tail", END, [("read", 0)], "whatsapp", "meta")  # a final status for an unseen message
    expected["whatsapp", "meta", "success"] += 1
    events.sort(key=lambda e: e["ts"])  # stable: a message's receipts keep their order
    return events, expected


def logs() -> tuple[list[dict[str, Any]], Counter[tuple[str, str]]]:
    """Log lines, and the pattern matches expected per (level, pattern)."""
    lines = [
        ("error", "upstream timeout calling quotes"),
        ("warning", "upstream timeout, retrying in 2s"),
        ("error", "Upstream Timeout"),  # the regex is case-sensitive
        ("info", "request ok"),
    ]
    events = []
    expected: Counter[tuple[str, str]] = Counter()
    for i in range(100):
        level, message = lines[i % len(lines)]
        events.append({"ts": T0 + 2 * i, "service": "advisor-api", "level": level, "message": f"{message} #{i}"})
        if "upstream timeout" in message:
            expected[level, "upstream_timeout"] += 1
    events.append({"ts": END, "service": "advisor-api", "level": "info", "message": "request ok #tail"})
    return events, expected


async def test_delivery_outcomes_and_log_pattern_counts_are_exact(kafka_bootstrap: str, tmp_path: Path) -> None:
    config = tmp_path / "pack.yaml"
    config.write_text(PACK)
    receipt_events, expected_outcomes = receipts()
    log_events, expected_matches = logs()

    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(config)) as worker:
        stream = [(worker.topics.receipts, b"whatsapp-gateway", orjson.dumps(e)) for e in receipt_events]
        stream += [(worker.topics.logs, b"advisor-api", orjson.dumps(e)) for e in log_events]
        assert await produce(worker.bootstrap, stream) == len(stream)

        def reached_end(records: list[Any]) -> bool:
            """Both services stamped with the last event time: every outcome is written before that."""
            done = set()
            for r in records:
                p = orjson.loads(r.value)
                if "series" not in p and p["wm"] >= END:
                    done.add(p["service"])
            return done >= {"whatsapp-gateway", "advisor-api"}

        records = await read_until(worker.bootstrap, worker.topics.partials, reached_end, timeout=90)
        assert reached_end(records), f"the watermark never reached the last event; worker log: {worker.log}"
        late = worker.metric("vigil_events_late_total")

    outcomes: Counter[tuple[str, str, str]] = Counter()
    matches: Counter[tuple[str, str]] = Counter()
    raw: Counter[str] = Counter()
    for r in records:
        p = orjson.loads(r.value)
        if "series" not in p:
            continue  # a watermark
        _, _, name, labels = p["series"]
        label = dict(labels)
        if name == "delivery_outcomes":
            outcomes[label["channel"], label["provider"], label["outcome"]] += p["count"]
        elif name == "log_pattern_matches":
            matches[label["level"], label["pattern"]] += p["count"]
        else:
            raw[name] += p["count"]

    assert outcomes == expected_outcomes
    assert matches == expected_matches
    # The per-status receipt counts and per-level log counts are still there, unchanged.
    assert raw == {"delivery_receipts": len(receipt_events), "log_events": len(log_events)}
    assert late == 0  # timeouts are stamped inside windows that are still open
