"""IngestFold: the fold the live ingest loop and replay share."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from correlator import Partial, RulePack, Watermark
from correlator.ingestfold import IngestFold
from schemas import SchemaError


@dataclass(frozen=True)
class Rec:
    value: bytes | None


def metric(service: str, ts: float, value: float = 0.1) -> Rec:
    return Rec(orjson.dumps({"v": 1, "ts": ts, "service": service, "name": "latency", "value": value}))


def receipt(message_id: str, status: str, ts: float) -> Rec:
    body = {"v": 1, "ts": ts, "service": "wa-gw", "message_id": message_id, "channel": "whatsapp"}
    return Rec(orjson.dumps({**body, "provider": "meta", "status": status}))


def test_bad_records_are_rejected_and_the_rest_folded() -> None:
    fold = IngestFold(RulePack())
    rejected: list[tuple[Rec, SchemaError]] = []
    bad = Rec(b'{"v": 1, "ts": 3.0, "service": "api"}')
    newest = fold.fold(
        "metrics", 0, [metric("api", 5.0), Rec(None), bad, metric("api", 2.0)], lambda r, e: rejected.append((r, e))
    )
    assert newest == 5.0
    assert [(r, e.field) for r, e in rejected][0] == (Rec(None), "$")
    assert rejected[1][0] is bad
    assert fold.folder.events == 2


def test_nothing_folded_leaves_the_watermark_alone() -> None:
    fold = IngestFold(RulePack())
    newest = fold.fold("metrics", 0, [Rec(b"nope")], lambda r, e: None)
    fold.seen(0, newest, now=0.0)
    assert fold.low_watermark.value(0.0) is None
    assert fold.flush(0.0, read=False) is None


def test_quiet_services_get_a_bare_watermark_until_forgotten() -> None:
    fold = IngestFold(RulePack(), service_memory_seconds=100.0)
    for service in ("b", "a"):
        fold.seen(0, fold.fold("metrics", 0, [metric(service, 10.0)], lambda r, e: None), now=0.0)
    first = fold.flush(0.0, read=True)
    assert first is not None and {p.service for p in first if isinstance(p, Partial)} == {"a", "b"}
    fold.seen(0, fold.fold("metrics", 0, [metric("a", 20.0)], lambda r, e: None), now=50.0)
    second = fold.flush(50.0, read=True)
    assert second is not None and Watermark("b", 20.0) in second
    assert fold.flush(51.0, read=False) is None  # nothing read, event time still
    fold.seen(0, fold.fold("metrics", 0, [metric("a", 30.0)], lambda r, e: None), now=200.0)
    third = fold.flush(200.0, read=True)
    assert third is not None and {p.service for p in third} == {"a"}  # b unseen for 150 s: forgotten


def test_receipts_add_their_delivery_outcome() -> None:
    fold = IngestFold(RulePack())
    fold.fold(
        "receipts", ("receipts", 0), [receipt("m1", "sent", 1.0), receipt("m1", "delivered", 2.0)], lambda r, e: None
    )
    out = fold.flush(0.0, read=True, watermark=10.0)
    assert out is not None
    outcomes = [p.series.labels for p in out if isinstance(p, Partial) and p.series.name == "delivery_outcomes"]
    assert outcomes == [(("channel", "whatsapp"), ("outcome", "success"), ("provider", "meta"))]
