"""The demo generator is deterministic, chunking-invariant and tells the intended story."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from vigil.demo.traffic import DEFAULT_FAULTS, DemoEvent, Fault, PlatformTraffic, fault_active

START = 1_700_000_000.0
ROUTES = {"/v1/portfolio", "/v1/advice", "/v1/accounts", "/v1/quotes"}
SERVICES = {"advisor-api", "compliance-svc", "whatsapp-gateway", "postgres"}


def p95(values: Iterable[float]) -> float:
    xs = sorted(values)
    return xs[int(0.95 * len(xs))]


def api_latencies(events: Iterable[DemoEvent], t0: float, t1: float) -> list[float]:
    return [
        e.value["value"]
        for e in events
        if e.value.get("name") == "http_request_duration_seconds" and t0 <= e.value["ts"] < t1
    ]


@pytest.fixture(scope="module")
def story() -> list[DemoEvent]:
    """Default schedule: calm [0, 30), api_latency [30, 150), recovery after."""
    return list(PlatformTraffic(seed=7, start=START).events(START, START + 300))


@pytest.fixture(scope="module")
def baseline() -> list[DemoEvent]:
    return list(PlatformTraffic(seed=11, start=START, faults=()).events(START, START + 300))


def test_same_seed_same_events_and_different_seed_differs() -> None:
    a = list(PlatformTraffic(seed=3, start=START).events(START, START + 20))
    b = list(PlatformTraffic(seed=3, start=START).events(START, START + 20))
    c = list(PlatformTraffic(seed=4, start=START).events(START, START + 20))
    assert a == b
    assert a != c


def test_chunking_does_not_change_the_stream() -> None:
    whole = list(PlatformTraffic(seed=5, start=START).events(START, START + 60))
    chunked_gen = PlatformTraffic(seed=5, start=START)
    chunked: list[DemoEvent] = []
    t = START
    for step in (0.25, 0.1, 3.7, 10, 0.013, 20, 25.937):  # uneven, sub-second, and across receipt lags
        chunked.extend(chunked_gen.events(t, t + step))
        t += step
    chunked.extend(chunked_gen.events(t, START + 60))
    assert chunked == whole
    # A fresh instance asked only for a late window agrees too (no hidden state).
    late = list(PlatformTraffic(seed=5, start=START).events(START + 40, START + 60))
    assert late == [e for e in whole if e.value["ts"] >= START + 40]


def test_window_bounds_and_order(story: list[DemoEvent]) -> None:
    ts = [e.value["ts"] for e in story]
    assert ts == sorted(ts)
    assert all(START <= t < START + 300 for t in ts)
    assert list(PlatformTraffic(seed=7, start=START).events(START - 50, START)) == []
    assert list(PlatformTraffic(seed=7, start=START).events(START + 10, START + 10)) == []


def test_rates_roughly_right(baseline: list[DemoEvent]) -> None:
    seconds = 300
    api = sum(1 for e in baseline if e.value.get("name") == "http_request_duration_seconds")
    comp = sum(1 for e in baseline if e.value.get("name") == "compliance_validation_duration_seconds")
    sent = sum(1 for e in baseline if e.topic == "receipts" and e.value["status"] == "sent")
    assert 36 <= api / seconds <= 44
    assert 7 <= comp / seconds <= 9
    assert 4.3 <= sent / seconds <= 5.7
    up = [e for e in baseline if e.value.get("name") == "up"]
    assert {e.value["service"] for e in up} == SERVICES
    assert len(up) == len(SERVICES) * seconds // 5
    assert all(e.value["value"] == 1.0 for e in up)


def test_rate_multiplier_scales_traffic() -> None:
    def count(rate: float) -> int:
        events = PlatformTraffic(seed=1, start=START, rate=rate, faults=()).events(START, START + 60)
        return sum(1 for e in events if e.value.get("name") == "http_request_duration_seconds")

    assert 2.6 <= count(3.0) / count(1.0) <= 3.4
    assert count(0.0) == 0


def test_api_baseline_latency_and_status_mix(baseline: list[DemoEvent]) -> None:
    assert p95(api_latencies(baseline, START, START + 300)) < 0.3
    statuses = [e.value["labels"]["status"] for e in baseline if e.value.get("name") == "http_request_duration_seconds"]
    client_errors = sum(s.startswith("4") for s in statuses) / len(statuses)
    assert 0.003 <= client_errors <= 0.02
    assert not any(s.startswith("5") for s in statuses)


def test_api_latency_fault_story(story: list[DemoEvent]) -> None:
    assert p95(api_latencies(story, START, START + 30)) < 0.3
    during = api_latencies(story, START + 35, START + 150)
    assert 1.0 < p95(during) < 2.0
    assert p95(api_latencies(story, START + 160, START + 300)) < 0.3
    errors = [
        e
        for e in story
        if e.topic == "logs" and e.value["level"] == "error" and "upstream timeout: postgres" in e.value["message"]
    ]
    assert errors and all(START + 30 <= e.value["ts"] < START + 155 for e in errors)
    assert any(e.topic == "logs" and e.value["level"] == "warning" and e.value["service"] == "postgres" for e in story)


def test_whatsapp_baseline_success(baseline: list[DemoEvent]) -> None:
    receipts = [e.value for e in baseline if e.topic == "receipts"]
    sent = {r["message_id"]: r["ts"] for r in receipts if r["status"] == "sent"}
    finals = {r["message_id"]: r for r in receipts if r["status"] in ("delivered", "failed", "undelivered")}
    settled = [m for m, ts in sent.items() if ts < START + 280]  # receipts can lag the send by seconds
    delivered = sum(1 for m in settled if finals[m]["status"] == "delivered")
    assert delivered / len(settled) >= 0.99
    for r in receipts:
        assert r["ts"] >= sent[r["message_id"]]
        assert (r["error_code"] is not None) == (r["status"] in ("failed", "undelivered"))
    assert any(r["status"] == "read" for r in receipts)
    assert any(r["ts"] > sent[r["message_id"]] for r in receipts if r["status"] == "delivered")


def test_other_faults() -> None:
    faults = (
        Fault("whatsapp_failures", 10, 30, 0.5),
        Fault("api_errors", 10, 30, 0.2),
        Fault("compliance_slow", 10, 30, 2.0),
        Fault("service_down", 10, 30, 0.5),
    )
    events = list(PlatformTraffic(seed=2, start=START, faults=faults).events(START, START + 50))
    window = [e.value for e in events if START + 12 <= e.value["ts"] < START + 38]
    failed = [r for r in window if r.get("status") in ("failed", "undelivered")]
    sent = [r for r in window if r.get("status") == "sent"]
    assert len(failed) > 0.3 * len(sent)
    api = [m for m in window if m.get("name") == "http_request_duration_seconds"]
    assert sum(m["labels"]["status"].startswith("5") for m in api) > 0.4 * len(api)
    comp = [m["value"] for m in window if m.get("name") == "compliance_validation_duration_seconds"]
    assert p95(comp) > 1.5
    pg_up = [m["value"] for m in window if m.get("name") == "up" and m["service"] == "postgres"]
    assert pg_up and all(v == 0.0 for v in pg_up)


def test_fault_active_and_validation() -> None:
    f = DEFAULT_FAULTS[0]
    assert f.kind == "api_latency" and f.start_offset_s == 30 and f.duration_s == 120
    assert fault_active(DEFAULT_FAULTS, START, START + 29.99) == []
    assert fault_active(DEFAULT_FAULTS, START, START + 30) == [f]
    assert fault_active(DEFAULT_FAULTS, START, START + 149.99) == [f]
    assert fault_active(DEFAULT_FAULTS, START, START + 150) == []
    assert f.describe() == "api_latency on advisor-api (p95 ≈ 1.5 s)"
    with pytest.raises(ValueError):
        Fault("meltdown", 0, 10, 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault("api_errors", 0, 0, 1.0)


LEVELS = {"debug", "info", "warning", "error", "critical"}
CHANNELS = {"whatsapp", "sms", "email", "push"}
STATUSES = {"queued", "sent", "delivered", "read", "failed", "undelivered"}
FIELDS = {
    "metrics": {"v", "ts", "service", "name", "value", "labels"},
    "logs": {"v", "ts", "service", "level", "message", "logger", "labels"},
    "receipts": {"v", "ts", "service", "message_id", "channel", "provider", "status", "error_code", "labels"},
}


def _str_map(m: object) -> bool:
    return isinstance(m, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in m.items())


def test_every_value_matches_the_wire_format(story: list[DemoEvent]) -> None:
    extra = list(
        PlatformTraffic(
            seed=2,
            start=START,
            faults=(
                Fault("whatsapp_failures", 0, 60, 0.5),
                Fault("api_errors", 0, 60, 0.3),
                Fault("service_down", 0, 60, 0.5),
                Fault("compliance_slow", 0, 60, 3.0),
            ),
        ).events(START, START + 60)
    )
    seen = set()
    for e in story + extra:
        v = e.value
        assert e.topic in FIELDS and set(v) == FIELDS[e.topic], v
        seen.add(e.topic)
        assert e.key == v["service"].encode() and v["service"] in SERVICES
        assert v["v"] == 1 and type(v["v"]) is int
        assert type(v["ts"]) is float
        assert _str_map(v["labels"])
        if e.topic == "metrics":
            assert isinstance(v["name"], str) and type(v["value"]) is float
            if v["name"] == "http_request_duration_seconds":
                assert set(v["labels"]) == {"route", "method", "status"}
                assert v["labels"]["route"] in ROUTES
                assert v["labels"]["status"] in {"200", "201", "400", "404", "500", "503"}
            elif v["name"] == "compliance_validation_duration_seconds":
                assert v["labels"]["check"] in {"kyc", "suitability", "aml"}
                assert v["labels"]["outcome"] in {"pass", "fail"}
            else:
                assert v["name"] == "up" and set(v["labels"]) == {"instance"}
        elif e.topic == "logs":
            assert v["level"] in LEVELS and isinstance(v["message"], str) and v["message"]
            assert v["logger"] is None or isinstance(v["logger"], str)
        else:
            assert v["channel"] in CHANNELS and v["status"] in STATUSES
            assert isinstance(v["message_id"], str) and isinstance(v["provider"], str)
            assert v["error_code"] is None or isinstance(v["error_code"], str)
    assert seen == set(FIELDS)
