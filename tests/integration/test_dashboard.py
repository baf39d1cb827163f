"""The live dashboard end to end: a real worker on the real broker, in a real headless Chromium.

An incident produced on the broker appears on the page within 2 s of its
record on `incidents`; a responder's ack changes it on the page and on the
topic; a viewer gets no ack button; the page logs no console error; the
board's screenshot is kept in test-artifacts/dashboard.png.

The silence form: a responder opens it from an incident (focus inside,
Escape cancels), picks 4 h, edits the matchers and submits; the page says
so and lists the silence, the API has it as submitted, a bad matcher gets
the server's 400 message in the form, and the silence can be expired.
Screenshots: test-artifacts/dashboard-silence.png (desktop) and
dashboard-silence-phone.png (390 px).
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


async def raise_alert(web: str, name: str = "PostgresDown", service: str = "postgres") -> None:
    """A critical Prometheus alert through the worker's intake, which opens an incident."""
    status, body = await asyncio.to_thread(
        call, f"{web}/api/v2/alerts", method="POST", body=[prometheus_alert(name, service, "critical")]
    )
    assert status == 200, body


async def sign_in(page: Page, url: str, token: str, name: str) -> None:
    await page.goto(url)
    await wait_js(page, "!document.getElementById('login').hidden")
    await page.evaluate(
        f"document.getElementById('token').value = {json.dumps(token)};"
        "document.getElementById('login-form').requestSubmit(); true"
    )
    await wait_js(page, f"document.getElementById('me-name').textContent === {json.dumps(name)}")
    await wait_js(page, "document.body.dataset.live === 'up'")


async def press(page: Page, key: str, code: int, text: str = "") -> None:
    """A real key press (trusted events, as a keyboard's), not a synthetic JavaScript event."""
    down = {"type": "keyDown", "text": text} if text else {"type": "rawKeyDown"}
    for event in (down, {"type": "keyUp"}):
        await page.send("Input.dispatchKeyEvent", {**event, "key": key, "code": key, "windowsVirtualKeyCode": code})


async def click(page: Page, selector: str) -> None:
    await page.evaluate(f"document.querySelector({json.dumps(selector)}).click(); true")


async def set_value(page: Page, element_id: str, value: str) -> None:
    await page.evaluate(
        f"(() => {{ const el = document.getElementById({json.dumps(element_id)}); el.value = {json.dumps(value)};"
        "el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()"
    )


def unexpected_errors(page: Page) -> list[str]:
    """Console errors, less the browser's own note of the one 400 the bad matcher is meant to get."""
    return [
        str(m)
        for m in page.console_errors
        if not (m.source == "log" and "status of 400" in m.text and m.url.endswith("/api/silences"))
    ]


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
            assert await asyncio.to_thread(worker.metric, "vigil_dashboard_streams") == 1  # this page, live

            # An incident produced on the broker appears within 2 s of its record on `incidents`.
            on_topic = asyncio.create_task(first_record_time(worker.bootstrap, worker.topics.incidents, "opened"))
            await asyncio.sleep(1.0)  # the reader is following the topic before anything is on it
            await raise_alert(worker.web)
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


async def api_silences(web: str, *, until: object = None, expired: bool = False, timeout: float = 20.0) -> list[dict]:
    """GET /api/silences as the responder; with `until`, again until `until(silences)` holds."""
    deadline = time.monotonic() + timeout
    while True:
        url = f"{web}/api/silences" + ("?expired=true" if expired else "")
        status, body = await asyncio.to_thread(call, url, token=RESPONDER)
        assert status == 200, body
        if until is None or until(body["silences"]) or time.monotonic() > deadline:  # type: ignore[operator]
            return body["silences"]
        await asyncio.sleep(0.2)


async def test_dashboard_silence_form(kafka_bootstrap: str, tmp_path: Path) -> None:
    binary = require_chromium()
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK)
    tokens = f"{RESPONDER}:responder:ana,{VIEWER}:viewer:vera"
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(pack), VIGIL_API_TOKENS=tokens) as worker:
        async with Browser(binary=binary) as browser:
            page = await browser.new_page()
            await sign_in(page, f"{worker.web}/", RESPONDER, "ana")
            await wait_js(page, "document.querySelector('#silences .empty') !== null")
            await raise_alert(worker.web)
            incident_id = await wait_js(
                page, "document.querySelector('[data-incident]')?.dataset.incident || ''", timeout=60
            )
            await click(page, f"[data-incident={json.dumps(incident_id)}]")
            await wait_js(page, "document.getElementById('silence') !== null")

            # A live event re-renders the detail: the focus, and a half-written note, stay where they were.
            await set_value(page, "note", "looking")
            await page.evaluate("document.getElementById('silence').focus(); renderDetail(); true")
            assert await page.evaluate("[document.activeElement.id, document.getElementById('note').value]") == [
                "silence",
                "looking",
            ]

            # "Silence…" opens the form from the keyboard, prefilled, focus inside; every field has a label;
            # Escape cancels and gives the focus back.
            await press(page, "Enter", 13, "\r")
            await wait_js(page, "document.getElementById('silence-dialog')?.open")
            assert await page.evaluate("document.activeElement.id") == "sil-matchers"
            assert await page.evaluate("document.getElementById('sil-matchers').value") == 'service="postgres"'
            comment = f"silenced from the dashboard during {incident_id}"
            assert await page.evaluate("document.getElementById('sil-comment').value") == comment
            assert await page.evaluate("document.getElementById('sil-dur-1h').checked")
            assert await page.evaluate(
                "[...document.querySelectorAll('#silence-form input, #silence-form textarea')]"
                ".every((el) => el.labels.length > 0 && el.labels[0].textContent.trim() !== '')"
            )
            await press(page, "Escape", 27)
            await wait_js(page, "!document.getElementById('silence-dialog').open")
            await wait_js(page, "document.activeElement.id === 'silence'")

            # A custom duration the API would refuse is refused on the page, with the syntax to use.
            await click(page, "#silence")
            await wait_js(page, "document.getElementById('silence-dialog').open")
            await set_value(page, "sil-custom", "2 hours")
            assert await page.evaluate("document.getElementById('sil-dur-custom').checked")
            await click(page, "#sil-submit")
            error = await wait_js(page, "document.getElementById('sil-error').textContent")
            assert str(error).startswith('Custom duration: "2 hours" is not a duration'), error
            assert await page.evaluate("document.getElementById('sil-custom').getAttribute('aria-invalid')") == "true"
            assert await page.evaluate("document.getElementById('silence-dialog').open")

            # 4 h and an edited matcher, submitted; picking a preset clears the custom duration's error.
            matchers = ['service="postgres"', 'alertname=~"Postgres.*"']
            await set_value(page, "sil-custom", "")
            await click(page, "#sil-dur-4h")
            assert await page.evaluate("document.getElementById('sil-error').textContent") == ""
            assert await page.evaluate("document.getElementById('sil-custom').getAttribute('aria-invalid')") is None
            await set_value(page, "sil-matchers", "\n".join(matchers) + "\n")
            await page.screenshot(ARTIFACTS / "dashboard-silence.png", full_page=False)
            submitted = time.time()
            await click(page, "#sil-submit")
            await wait_js(page, "!document.getElementById('silence-dialog').open")
            message = str(
                await wait_js(
                    page,
                    "(t => /^Silence \\S+ created/.test(t) ? t : '')(document.getElementById('action-msg').textContent)",
                )
            )

            # (b) The API has it: exactly those matchers, 4 h from now, by the responder.
            silences = await api_silences(worker.web, until=len)
            assert len(silences) == 1, silences
            silence = silences[0]
            assert silence["matchers"] == matchers
            assert silence["created_by"] == "ana"
            assert silence["comment"] == comment
            assert silence["state"] == "active"
            assert abs(silence["ends_at"] - silence["starts_at"] - 4 * 3600) < 0.001
            assert abs(silence["starts_at"] - submitted) < 30

            # (a) The page said so, with its id and end time, and lists it.
            assert silence["id"] in message, message
            assert await page.evaluate(f"when({silence['ends_at']})") in message, message
            item = f"document.querySelector('#silences [data-silence={json.dumps(silence['id'])}]')"
            await wait_js(page, f"{item} !== null")
            text = await page.evaluate(f"{item}.innerText")
            for expected in [*matchers, "by ana", comment]:
                assert expected in text, text
            assert await page.evaluate(f"{item}.querySelector('[data-expire]') !== null")

            # (c) A matcher the server refuses: its 400 message in the form, which stays open as it was.
            await click(page, "#silence")
            await wait_js(page, "document.getElementById('silence-dialog').open")
            await set_value(page, "sil-matchers", "service postgres")
            await click(page, "#sil-submit")
            status, refused = await asyncio.to_thread(
                call,
                f"{worker.web}/api/silences",
                method="POST",
                token=RESPONDER,
                body={"matchers": ["service postgres"], "duration": "1h", "comment": comment},
            )
            assert status == 400 and refused["error"].startswith("body.matchers[0]: not a label matcher"), refused
            shown = await wait_js(page, "document.getElementById('sil-error').textContent")
            assert shown == refused["error"]
            assert await page.evaluate("document.getElementById('silence-dialog').open")
            assert await page.evaluate("document.getElementById('sil-matchers').value") == "service postgres"
            assert await page.evaluate("document.activeElement.id") == "sil-matchers"
            await click(page, "#sil-cancel")
            await wait_js(page, "!document.getElementById('silence-dialog').open")
            assert len(await api_silences(worker.web)) == 1

            # A viewer sees the silence but can neither expire it nor open the form.
            viewer = await browser.new_page(width=390, height=844)
            await sign_in(viewer, f"{worker.web}/", VIEWER, "vera")
            await wait_js(viewer, f"{item} !== null")
            await click(viewer, f"[data-incident={json.dumps(incident_id)}]")
            await wait_js(viewer, "!document.getElementById('detail').hidden")
            assert (
                await viewer.evaluate(
                    "document.querySelectorAll('[data-expire], #silence, #silence-dialog, .actions button').length"
                )
                == 0
            )

            # On a phone the form fits the screen, nothing scrolls sideways.
            phone = await browser.new_page(width=390, height=844)
            await sign_in(phone, f"{worker.web}/", RESPONDER, "ana")
            await wait_js(phone, f"document.querySelector('[data-incident={json.dumps(incident_id)}]') !== null")
            await click(phone, f"[data-incident={json.dumps(incident_id)}]")
            await wait_js(phone, "document.getElementById('silence') !== null")
            await click(phone, "#silence")
            await wait_js(phone, "document.getElementById('silence-dialog').open")
            assert await phone.evaluate(
                "[...document.querySelectorAll('#silence-dialog, #silence-form input, #silence-form button')]"
                ".every((el) => { const r = el.getBoundingClientRect();"
                " return r.left >= 0 && r.right <= window.innerWidth; })"
                " && document.getElementById('silence-dialog').scrollWidth"
                " <= document.getElementById('silence-dialog').clientWidth"
            )
            await phone.screenshot(ARTIFACTS / "dashboard-silence-phone.png", full_page=False)
            await press(phone, "Escape", 27)
            await wait_js(phone, "!document.getElementById('silence-dialog').open")

            # Expire: gone from the list, and over for the API, ended by the responder. The viewer's page hears
            # of it on the live stream (a `silence` event), not by its 15 s re-read.
            await viewer.evaluate(
                "window.heard = []; const seen = dispatch;"
                " dispatch = (name, data) => { window.heard.push(name); seen(name, data); }; true"
            )
            await click(page, f"[data-expire={json.dumps(silence['id'])}]")
            await wait_js(page, f"{item} === null && document.querySelector('#silences .empty') !== null")
            await wait_js(viewer, f"window.heard.includes('silence') && {item} === null", timeout=5)
            assert await api_silences(worker.web) == []
            ended = await api_silences(worker.web, expired=True)
            assert [(s["id"], s["state"], s["ended_by"]) for s in ended] == [(silence["id"], "expired", "ana")]

            for p in (page, viewer, phone):
                assert unexpected_errors(p) == [], unexpected_errors(p)
                text = await p.evaluate("document.body.innerText")
                assert "null" not in text and "undefined" not in text and "NaN" not in text, text
                assert all(worker.web in url or url.startswith(("data:", "about:")) for url in p.requests), p.requests
