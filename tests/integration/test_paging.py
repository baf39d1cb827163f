"""The default pack on the real broker: a sustained breach pages, a 20-second blip does not."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

from tests.integration.records import produce, read_until
from tests.integration.worker import running_worker
from vigil.commands.run import default_pack_path

T0 = 1_700_000_000.0
PAGES = ("critical", "high")


def api_traffic(seconds: int, slow: tuple[int, int], per_second: int = 20, seed: int = 11) -> list[bytes]:
    """advisor-api requests: ~0.1 s normally, ~1.5 s (and 5 % 503s) inside `slow`."""
    rng = random.Random(seed)
    out = []
    for sec in range(seconds):
        bad = slow[0] <= sec < slow[1]
        for i in range(per_second):
            status = "503" if bad and i % 20 == 0 else "200"
            value = rng.uniform(1.2, 1.8) if bad else rng.uniform(0.05, 0.15)
            out.append(
                orjson.dumps(
                    {
                        "ts": T0 + sec + i / per_second,
                        "service": "advisor-api",
                        "name": "http_request_duration_seconds",
                        "value": value,
                        "labels": {"route": "/v1/advice", "status": status},
                    }
                )
            )
    return out


async def alerts_after(kafka_bootstrap: str, tmp_path: Path, values: list[bytes]) -> list[dict[str, object]]:
    """Run the default pack over `values` until event time has moved well past them; the alerts produced."""
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(default_pack_path())) as worker:
        await produce(worker.bootstrap, ((worker.topics.metrics, b"advisor-api", v) for v in values))

        def caught_up(_: list) -> bool:  # type: ignore[type-arg]
            return worker.metric("vigil_watermark_seconds") >= orjson.loads(values[-1])["ts"] - 10

        await read_until(worker.bootstrap, worker.topics.metrics, caught_up, timeout=90)
        records = await read_until(worker.bootstrap, worker.topics.alerts, lambda rs: False, timeout=3)
        return [orjson.loads(r.value) for r in records]


async def test_sustained_breach_pages(kafka_bootstrap: str, tmp_path: Path) -> None:
    alerts = await alerts_after(kafka_bootstrap, tmp_path, api_traffic(900, slow=(300, 600)))
    pages = {a["rule"] for a in alerts if a["status"] == "firing" and a["severity"] in PAGES}
    assert "ApiLatencyP95High" in pages
    assert any(":burn" in rule for rule in pages), pages  # the SLOs page too, not only the threshold


async def test_twenty_second_blip_does_not_page(kafka_bootstrap: str, tmp_path: Path) -> None:
    alerts = await alerts_after(kafka_bootstrap, tmp_path, api_traffic(900, slow=(300, 320)))
    pages = [(a["rule"], a["severity"]) for a in alerts if a["status"] == "firing" and a["severity"] in PAGES]
    assert pages == []
