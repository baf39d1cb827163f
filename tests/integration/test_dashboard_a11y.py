"""The dashboard's accessibility, audited by axe-core on a real worker in a real headless Chromium.

axe-core (pinned in tests/a11y/package-lock.json, installed by `make a11y-deps`)
is injected into the page with CDP's Runtime.evaluate, which the page's
Content-Security-Policy does not govern (no `script-src` change, no CSP
bypass), and runs the WCAG 2.0/2.1 A and AA rules on every state a person
meets, with content in each: the sign-in form (also with its error); a
responder's board with tiles in every status, threshold rules, incidents
triggered, acknowledged and resolved, active and pending silences; an
incident's detail; the silence dialog (also with an error); the
connection-lost banner; the charts; a viewer's board and detail on a phone
(390×844). Every state is audited in light and in dark mode
(prefers-color-scheme). Any violation fails the test, reported with its
rule, impact, help and the failing elements, so it can be fixed from the
report alone.

And one keyboard path: from the top of a freshly loaded board, Tab reaches
an incident in the list and Enter opens its detail (real key events).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.browser import Browser, Page, require_chromium
from tests.integration.records import produce
from tests.integration.test_dashboard import (
    ARTIFACTS,
    PACK,
    RESPONDER,
    VIEWER,
    click,
    press,
    raise_alert,
    set_value,
    sign_in,
    wait_js,
)
from tests.integration.test_incidents import call, prometheus_alert
from tests.integration.worker import RunningWorker, running_worker

A11Y = Path(__file__).resolve().parents[1] / "a11y"
AXE = A11Y / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = ("light", "dark")
TOKENS = f"{RESPONDER}:responder:ana,{VIEWER}:viewer:vera"

# Something for every colour the page has: SLO tiles ok, burning and breached (advisor-api, ~10 % of
# requests over 0.5 s, ~half over 0.1 s) and one with no data (nobody reports checkout); one threshold
# rule pending, one ok.
RICH_PACK = """
slos:
  - name: api-latency
    objective: 95
    period: 6h
    sli: {source: metrics, metric: http_request_duration_seconds, match: ['service="advisor-api"'], le: 0.5}
  - name: api-fast
    objective: 99
    period: 6h
    sli: {source: metrics, metric: http_request_duration_seconds, match: ['service="advisor-api"'], le: 0.1}
  - name: api-relaxed
    objective: 80
    period: 6h
    sli: {source: metrics, metric: http_request_duration_seconds, match: ['service="advisor-api"'], le: 0.5}
  - name: checkout-latency
    objective: 99
    period: 6h
    sli: {source: metrics, metric: http_request_duration_seconds, match: ['service="checkout"'], le: 0.5}
rules:
  - name: ApiLatencyP95High
    source: metrics
    metric: http_request_duration_seconds
    match: ['service="advisor-api"']
    aggregation: p95
    op: ">"
    threshold: 0.5
    window: 30s
    for: 1h
    severity: high
  - name: ApiLatencyP50High
    source: metrics
    metric: http_request_duration_seconds
    match: ['service="advisor-api"']
    aggregation: p50
    op: ">"
    threshold: 0.5
    window: 30s
    for: 1m
    severity: medium
correlation:
  topology: {advisor-api: [postgres]}
"""


def axe_source() -> str:
    """axe.min.js as `make a11y-deps` installed it, at the version the lock file pins; else fail with the fix."""
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is not installed: {AXE} is missing. Run `make a11y-deps` "
            "(npm ci --prefix tests/a11y, from the pinned tests/a11y/package-lock.json); `make test` runs it first.",
            pytrace=False,
        )
    pinned = json.loads((A11Y / "package-lock.json").read_text())["packages"]["node_modules/axe-core"]["version"]
    installed = json.loads((AXE.parent / "package.json").read_text())["version"]
    if installed != pinned:
        pytest.fail(
            f"axe-core {installed} is installed, but tests/a11y/package-lock.json pins {pinned}: run `make a11y-deps`.",
            pytrace=False,
        )
    return AXE.read_text()


async def axe_violations(page: Page, source: str) -> list[dict[str, Any]]:
    """axe's WCAG 2.0/2.1 A and AA violations on the page as it is now (axe injected first if the page lacks it)."""
    if await page.evaluate("typeof window.axe") == "undefined":
        await page.evaluate(source + "\n;true")
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    found = await page.evaluate(
        f"axe.run(document, {json.dumps(options)}).then((r) => r.violations.map((v) => ({{"
        "id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,"
        " nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),"
        "})))"
    )
    return list(found)


def report(findings: dict[str, list[dict[str, Any]]], per_rule: int = 5) -> str:
    """Every violation in every state: a summary, then the rule, how bad, what to do and the elements at fault."""
    summary: dict[str, list[str]] = {}
    lines = []
    for where, violations in findings.items():
        for v in violations:
            summary.setdefault(f"{v['id']} ({v['impact']})", []).append(f"{where}: {len(v['nodes'])}")
            lines.append(f"[{where}] {v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
            for node in v["nodes"][:per_rule]:
                lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html']}")
                lines.extend(f"        {detail}" for detail in (node["summary"] or "").splitlines())
            if len(v["nodes"]) > per_rule:
                lines.append(f"    … and {len(v['nodes']) - per_rule} more element(s)")
    head = ["axe-core found WCAG 2.x A/AA violations (rule: elements per state):"]
    head += [f"  {rule}: {', '.join(states)}" for rule, states in summary.items()]
    return "\n".join([*head, "", *lines])


async def traffic_now(bootstrap: str, topic: str, seconds: int = 90, per_second: int = 10) -> None:
    """advisor-api requests over the last `seconds`: 1 in 10 slow, so tiles, sparklines and charts have a story."""
    rng = random.Random(7)
    start = time.time() - seconds
    values = [
        orjson.dumps(
            {
                "ts": start + sec + i / per_second,
                "service": "advisor-api",
                "name": "http_request_duration_seconds",
                "value": rng.uniform(0.6, 0.9) if i == 0 else rng.uniform(0.05, 0.15),
                "labels": {"route": "/v1/advice", "status": "200"},
            }
        )
        for sec in range(seconds)
        for i in range(per_second)
    ]
    await produce(bootstrap, ((topic, b"advisor-api", v) for v in values))


async def api(worker: RunningWorker, path: str, *, method: str = "GET", body: object = None) -> dict[str, Any]:
    status, answer = await asyncio.to_thread(call, f"{worker.web}{path}", method=method, token=RESPONDER, body=body)
    assert status in (200, 202), (path, status, answer)
    return answer


async def incidents_by_service(worker: RunningWorker, services: set[str], timeout: float = 60) -> dict[str, str]:
    """Incident id per service, once each of `services` has one."""
    deadline = time.monotonic() + timeout
    while True:
        status, body = await asyncio.to_thread(call, f"{worker.web}/api/incidents?limit=200", token=RESPONDER)
        listed = body["incidents"] if status == 200 else []  # 503 until the worker has read the incidents topic
        found = {s: inc["id"] for inc in listed for s in inc["services"] if s in services}
        if set(found) == services or time.monotonic() > deadline:
            assert set(found) == services, listed
            return found
        await asyncio.sleep(0.3)


async def seed(worker: RunningWorker) -> None:
    """Content for every part of the page: SLI traffic, three incidents (triggered, acknowledged,
    resolved), an active and a pending silence."""
    await traffic_now(worker.bootstrap, worker.topics.metrics)
    alerts = [
        prometheus_alert("PostgresDown", "postgres", "critical"),
        prometheus_alert("BillingQueueLag", "billing", "high"),
        prometheus_alert("MailerRetries", "mailer", "medium"),
    ]
    status, _ = await asyncio.to_thread(call, f"{worker.web}/api/v2/alerts", method="POST", body=alerts)
    assert status == 200
    ids = await incidents_by_service(worker, {"postgres", "billing", "mailer"})
    await api(worker, f"/api/incidents/{ids['billing']}/ack", method="POST", body={"note": "on it"})
    await api(worker, f"/api/incidents/{ids['mailer']}/resolve", method="POST", body={"note": "retries drained"})
    await api(
        worker,
        "/api/silences",
        method="POST",
        body={"matchers": ['service="batch"', 'alertname=~"Batch.*"'], "duration": "4h", "comment": "nightly batch"},
    )
    await api(
        worker,
        "/api/silences",
        method="POST",
        body={
            "matchers": ['service="billing"'],
            "starts_at": time.time() + 3600,
            "duration": "2h",
            "comment": "billing maintenance window",
        },
    )


# What the board must show before it is audited: every kind of content seeded above.
BOARD_READY = " && ".join(
    [
        "!document.getElementById('board').hidden",
        "document.querySelectorAll('#tiles .tile svg polyline').length >= 3",
        "document.querySelector('#tiles .tile[data-status=no_data]') !== null",
        "document.querySelectorAll('#rules tr[data-rule]').length === 2",
        "document.querySelector('[data-incident][data-status=triggered]') !== null",
        "document.querySelector('[data-incident][data-status=acknowledged]') !== null",
        "document.querySelector('[data-incident][data-status=resolved]') !== null",
        "document.querySelector('#silences [data-state=active]') !== null",
        "document.querySelector('#silences [data-state=pending]') !== null",
    ]
)


async def test_dashboard_passes_axe(kafka_bootstrap: str, tmp_path: Path) -> None:
    source = axe_source()
    binary = require_chromium()
    pack = tmp_path / "pack.yaml"
    pack.write_text(RICH_PACK)
    findings: dict[str, list[dict[str, Any]]] = {}
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(pack), VIGIL_API_TOKENS=TOKENS) as worker:
        await seed(worker)
        async with Browser(binary=binary) as browser:
            page = await browser.new_page()
            phone = await browser.new_page(width=390, height=844)

            # axe runs under the page's own CSP (script-src 'self'): CDP's Runtime.evaluate is not subject to it.
            await page.goto(f"{worker.web}/")
            assert await page.evaluate("typeof window.axe") == "undefined"
            await page.evaluate(source + "\n;true")
            version = json.loads((AXE.parent / "package.json").read_text())["version"]
            assert await page.evaluate("typeof axe.run === 'function' && axe.version") == version

            async def login() -> None:
                await page.evaluate("sessionStorage.clear(); true")  # signed out: the tab forgets its token
                await page.goto(f"{worker.web}/")
                await wait_js(page, "!document.getElementById('login').hidden")

            async def login_error() -> None:
                await set_value(page, "token", "not-a-token-0123456789")
                await page.evaluate("document.getElementById('login-form').requestSubmit(); true")
                await wait_js(page, "document.getElementById('login-error').textContent !== ''")

            async def board() -> None:
                await sign_in(page, f"{worker.web}/", RESPONDER, "ana")
                await wait_js(page, BOARD_READY, timeout=90)

            async def detail() -> None:
                await click(page, "[data-incident][data-status=triggered]")
                await wait_js(page, "document.querySelector('#detail .timeline li') !== null")
                await wait_js(page, "document.getElementById('silence') !== null")

            async def silence_dialog() -> None:
                await click(page, "#silence")
                await wait_js(page, "document.getElementById('silence-dialog').open")

            async def silence_error() -> None:
                await set_value(page, "sil-custom", "2 hours")
                await click(page, "#sil-submit")
                await wait_js(page, "document.getElementById('sil-error').textContent !== ''")

            async def connection_lost() -> None:
                await press(page, "Escape", 27)
                await wait_js(page, "!document.getElementById('silence-dialog').open")
                await page.evaluate("setConnected(false); true")  # as the page does when the stream drops
                await wait_js(page, "!document.getElementById('banner').hidden")

            async def charts() -> None:
                await page.evaluate("setConnected(true); true")
                await click(page, "#tab-charts")
                await wait_js(page, "document.querySelector('#chart-list figure.chart svg polyline') !== null", 60)

            async def viewer_board() -> None:
                await phone.evaluate("try { sessionStorage.clear() } catch (_) {} true")
                await sign_in(phone, f"{worker.web}/", VIEWER, "vera")
                await wait_js(phone, BOARD_READY, timeout=60)

            async def viewer_detail() -> None:
                await click(phone, "[data-incident][data-status=acknowledged]")
                await wait_js(phone, "document.querySelector('#detail .timeline li') !== null")

            states: list[tuple[str, Page, Callable[[], Awaitable[None]]]] = [
                ("sign-in", page, login),
                ("sign-in, token refused", page, login_error),
                ("board", page, board),
                ("incident detail", page, detail),
                ("silence dialog", page, silence_dialog),
                ("silence dialog, bad duration", page, silence_error),
                ("connection lost", page, connection_lost),
                ("charts", page, charts),
                ("viewer's board, phone", phone, viewer_board),
                ("viewer's incident detail, phone", phone, viewer_detail),
            ]
            for scheme in SCHEMES:
                for p in (page, phone):
                    await p.send(
                        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
                    )
                    assert await p.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
                for name, p, reach in states:
                    await reach()
                    findings[f"{name}, {scheme}"] = await axe_violations(p, source)
                    if name == "incident detail":  # the board, with everything on it, as axe saw it
                        await page.screenshot(ARTIFACTS / f"dashboard-a11y-{scheme}.png")
                await phone.screenshot(ARTIFACTS / f"dashboard-a11y-phone-{scheme}.png")

            for p in (page, phone):
                assert p.console_errors == [] or all(
                    m.source == "log" and "status of 401" in m.text and m.url.endswith("/api/whoami")
                    for m in p.console_errors
                ), [str(m) for m in p.console_errors]  # the refused token's 401 is the only error expected
                assert all(worker.web in url or url.startswith(("data:", "about:")) for url in p.requests), p.requests

    if any(findings.values()):
        pytest.fail(report(findings), pytrace=False)


# What has the focus, in a word: an incident's id, an element's id or name, or the start of its text.
FOCUSED = (
    "(el => el.dataset.incident || el.id || el.getAttribute('aria-label')"
    " || el.textContent.trim().slice(0, 40) || el.tagName)(document.activeElement)"
)


async def test_keyboard_tab_reaches_an_incident_and_enter_opens_it(kafka_bootstrap: str, tmp_path: Path) -> None:
    binary = require_chromium()
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK)
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(pack), VIGIL_API_TOKENS=TOKENS) as worker:
        await raise_alert(worker.web)
        async with Browser(binary=binary) as browser:
            page = await browser.new_page()
            await sign_in(page, f"{worker.web}/", RESPONDER, "ana")
            await wait_js(page, "document.querySelector('[data-incident]') !== null", timeout=60)

            # The top of the page: loaded afresh (the token is kept for the tab), nothing focused yet.
            await page.goto(f"{worker.web}/")
            await wait_js(
                page, "document.body.dataset.live === 'up' && document.querySelector('[data-incident]') !== null"
            )
            assert await page.evaluate("document.activeElement === document.body")

            stops = []
            for _ in range(15):
                await press(page, "Tab", 9)
                stops.append(await page.evaluate(FOCUSED))
                if await page.evaluate("document.activeElement.matches('[data-incident]')"):
                    break
            else:
                raise AssertionError(f"15 presses of Tab never reached an incident; the focus went {stops}")
            assert stops[0] == "Skip to content", stops  # the first stop lets a keyboard user skip the header
            incident_id = stops[-1]

            await press(page, "Enter", 13, "\r")
            await wait_js(page, f"document.getElementById('detail').dataset.incident === {json.dumps(incident_id)}")
            await wait_js(page, "!document.getElementById('detail').hidden")
            assert await page.evaluate("document.activeElement.id") == "detail"  # the detail, not lost on the body
            current = (
                f"document.querySelector('[data-incident={json.dumps(incident_id)}]').getAttribute('aria-current')"
            )
            assert await page.evaluate(current) == "true"
            assert page.console_errors == [], [str(m) for m in page.console_errors]
