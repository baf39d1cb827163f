"""The live dashboard end to end: a real worker on the real broker, in a real headless Chromium.

An incident produced on the broker appears on the page within 2 s of its
record on `incidents`; a responder's ack changes it on the page and on the
topic; a viewer gets no ack button; the page logs no console error; the
board's screenshot is kept in test-artifacts/dashboard.png.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer

from tests.browser import Browser, Page, require_chromium
from tests.integration.test_incidents import call, prometheus_alert
from tests.integration.worker import running_worker

RESPONDER = "responder-token-0123456789"
VIEWER = "viewer-token-0123456789ab"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PACK = """
slos:
  - name: api-latency
    objective: 95
    period: 6h
    sli: {source: metrics, metric: http_request_duration_seconds, match: ['service="advisor-api"'], le: 0.5}
correlation:
  topology: {advisor-api: [postgres]}
"""


async def wait_js(page: Page, expression: str, timeout: float = 20.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await page.evaluate(expression)
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"{expression} not true within {timeout}s; console: {[str(m) for m in page.console]}")


async def sign_in(page: Page, url: str, token: str, name: str) -> None:
    await page.goto(url)
    await wait_js(page, "!document.getElementById('login').hidden")
    await page.evaluate(
        f"document.getElementById('token').value = {json.dumps(token)};"
        "document.getElementById('login-form').requestSubmit(); true"
    )
    await wait_js(page, f"document.getElementById('me-name').textContent === {json.dumps(name)}")
    await wait_js(page, "document.body.dataset.live === 'up'")


async def first_record_time(bootstrap: str, topic: str, event: str, timeout: float = 60.0) -> tuple[float, dict]:
    """When (monotonic) the first `event` record lands on `topic`, as a reader following it sees it."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        metadata_max_age_ms=1000,
    )
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                for record in records:
                    value = orjson.loads(record.value)
                    if value["event"] == event:
                        return time.monotonic(), value
        raise AssertionError(f"no {event} record on {topic} within {timeout}s")
    finally:
        await consumer.stop()


async def test_dashboard_live_incident_ack_and_viewer(kafka_bootstrap: str, tmp_path: Path) -> None:
    binary = require_chromium()
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK)
    tokens = f"{RESPONDER}:responder:ana,{VIEWER}:viewer:vera"
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(pack), VIGIL_API_TOKENS=tokens) as worker:
        assert call(f"{worker.web}/api/whoami")[0] == 401
        assert call(f"{worker.web}/api/whoami", token=VIEWER)[1]["role"] == "viewer"
        async with Browser(binary=binary) as browser:
            page = await browser.new_page()
            await sign_in(page, f"{worker.web}/", RESPONDER, "ana")
            await wait_js(page, "document.querySelector('#tiles .tile[data-slo=api-latency]') !== null")

            # An incident produced on the broker appears within 2 s of its record on `incidents`.
            on_topic = asyncio.create_task(first_record_time(worker.bootstrap, worker.topics.incidents, "opened"))
            await asyncio.sleep(1.0)  # the reader is following the topic before anything is on it
            status, _ = await asyncio.to_thread(
                call,
                f"{worker.web}/api/v2/alerts",
                method="POST",
                body=[prometheus_alert("PostgresDown", "postgres", "critical")],
            )
            assert status == 200
            await wait_js(page, "document.querySelector('[data-incident]') !== null", timeout=60)
            on_page = time.monotonic()
            landed, opened = await on_topic
            assert on_page - landed < 2.0, f"on the page {on_page - landed:.2f}s after its record"
            incident_id = opened["incident_id"]
            assert await page.evaluate(f"document.querySelector('[data-incident={json.dumps(incident_id)}]') !== null")

            # A responder presses ack: the page and the topic both change.
            await page.evaluate(f"document.querySelector('[data-incident={json.dumps(incident_id)}]').click(); true")
            await wait_js(page, "document.getElementById('ack') !== null && !document.getElementById('ack').disabled")
            await page.evaluate("document.getElementById('ack').click(); true")
            acked, ack_event = await first_record_time(worker.bootstrap, worker.topics.incidents, "acknowledged")
            assert ack_event["actor"] == "ana" and ack_event["incident"]["acknowledged_by"] == "ana"
            await wait_js(
                page,
                f"document.querySelector('[data-incident={json.dumps(incident_id)}]').dataset.status === 'acknowledged'",
                timeout=10,
            )
            await wait_js(page, "document.querySelector('[data-field=acknowledged_by]').textContent === 'ana'")
            await page.screenshot(ARTIFACTS / "dashboard.png")

            # A viewer sees the incident but no responder buttons.
            viewer = await browser.new_page(width=390, height=844)
            await sign_in(viewer, f"{worker.web}/", VIEWER, "vera")
            await wait_js(viewer, f"document.querySelector('[data-incident={json.dumps(incident_id)}]') !== null")
            await viewer.evaluate(f"document.querySelector('[data-incident={json.dumps(incident_id)}]').click(); true")
            await wait_js(viewer, "!document.getElementById('detail').hidden")
            assert await viewer.evaluate("document.getElementById('ack') === null")
            assert await viewer.evaluate("document.querySelectorAll('.actions button').length") == 0
            await viewer.screenshot(ARTIFACTS / "dashboard-phone.png")

            # The charts view draws without errors.
            await page.evaluate("document.getElementById('tab-charts').click(); true")
            await wait_js(page, "!document.getElementById('charts').hidden")
            await asyncio.sleep(0.5)

            for p in (page, viewer):
                assert p.console_errors == [], [str(m) for m in p.console_errors]
                text = await p.evaluate("document.body.innerText")
                assert "null" not in text and "undefined" not in text and "NaN" not in text, text
                assert all(worker.web in url or url.startswith(("data:", "about:")) for url in p.requests), p.requests
