"""The postmortem report in a real browser: headless Chromium opens report.html from disk.

It must load with no console error, exception or failed request, ask for
nothing but its own file, and draw every chart with a real size. A
full-page screenshot is kept in test-artifacts/ for people (and CI) to look at.
No Kafka here: the page is rendered from the report fixture.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import (
    ALLOW_NO_BROWSER,
    Browser,
    BrowserUnavailable,
    JavaScriptError,
    chromium_binary,
    require_chromium,
)
from tests.unit.report.fixtures import API_TITLE, CHARTS, WHATSAPP_TITLE, report
from vigil.report import render_html

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SCREENSHOT = ARTIFACTS / "report.png"
PHONE_SCREENSHOT = ARTIFACTS / "report-phone.png"

CHART_SIZES = """
[...document.querySelectorAll('svg.chart')].map(svg => {
  const box = svg.getBoundingClientRect();
  return {id: svg.id, width: box.width, height: box.height,
          lines: svg.querySelectorAll('.series-line').length,
          thresholds: svg.querySelectorAll('.threshold').length,
          spans: [...svg.querySelectorAll('.incident-span')].map(r => r.getBBox().width)};
})
"""


@pytest.fixture
def report_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    path.write_text(render_html(report()), encoding="utf-8")
    return path


async def test_report_renders_in_chromium_without_errors(report_file: Path) -> None:
    binary = require_chromium()
    async with Browser(binary=binary, width=1280, height=900) as browser:
        page = await browser.new_page()
        await page.goto(report_file.as_uri())
        await page.screenshot(SCREENSHOT)

        assert page.console_errors == [], "\n".join(map(str, page.console_errors))
        assert page.exceptions == []
        assert page.failed_requests == []
        assert page.requests == [report_file.as_uri()], "the page must load nothing but itself"

        assert await page.evaluate("document.title") == "Vigil postmortem: 2026-01-01 12:00 – 2026-01-01 13:00 UTC"
        assert await page.evaluate("document.querySelectorAll('svg').length") == CHARTS
        charts = await page.evaluate(CHART_SIZES)
        assert len(charts) == CHARTS
        for chart in charts:
            assert chart["width"] > 300 and chart["height"] > 100, chart
            assert chart["lines"] >= 1 and chart["thresholds"] == 1, chart
            assert chart["spans"] and all(width > 0 for width in chart["spans"]), chart

        text = await page.evaluate("document.body.innerText")
        for title in (API_TITLE, WHATSAPP_TITLE):
            assert title in text
        titles = await page.evaluate(
            "[...document.querySelectorAll('.incident-title')].map(e => {"
            " const box = e.getBoundingClientRect(); const style = getComputedStyle(e);"
            " return {text: e.innerText, visible: box.width > 0 && box.height > 0"
            " && style.visibility === 'visible' && style.display !== 'none'}; })"
        )
        assert titles == [{"text": API_TITLE, "visible": True}, {"text": WHATSAPP_TITLE, "visible": True}]
        headings = await page.evaluate("[...document.querySelectorAll('h2')].map(h => h.innerText)")
        assert headings == ["Summary", "Incidents", "What if", "Alerts", "Dead-lettered events", "Late events"]

    assert SCREENSHOT.stat().st_size > 10_000
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_report_fits_a_phone(report_file: Path) -> None:
    """At 390 CSS px nothing but the scrolling table wrappers may be wider than the screen."""
    binary = require_chromium()
    async with Browser(binary=binary, width=390, height=844) as browser:
        page = await browser.new_page()
        await page.goto(report_file.as_uri())
        await page.screenshot(PHONE_SCREENSHOT)
        assert page.console_errors == []
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        widths = await page.evaluate(
            "[...document.querySelectorAll('svg.chart')].map(svg => svg.getBoundingClientRect().right)"
        )
        assert len(widths) == CHARTS and all(right <= 390 for right in widths)


async def test_the_browser_helper_sees_what_goes_wrong(tmp_path: Path) -> None:
    """The checks above are only worth something if errors would be seen: show that they are."""
    page_file = tmp_path / "broken.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body><p>x</p>"
        f'<img src="{(tmp_path / "missing.png").as_uri()}">'
        "<script>console.error('boom', 42); console.log('fine'); undefinedFunction();</script>"
        "</body></html>"
    )
    async with Browser(binary=require_chromium()) as browser:
        page = await browser.new_page()
        await page.goto(page_file.as_uri())
        assert await page.evaluate("document.title") == "broken"
        assert await page.evaluate("Promise.resolve(6 * 7)") == 42
        with pytest.raises(JavaScriptError, match="nope"):
            await page.evaluate("(() => { throw new Error('nope') })()")
        assert [m.text for m in page.console if m.source == "console"] == ["boom 42", "fine"]
        assert len(page.exceptions) == 1 and "undefinedFunction" in page.exceptions[0].text
        assert {m.source for m in page.console_errors} >= {"console", "exception"}
        assert [(Path(r.url).name, r.resource) for r in page.failed_requests] == [("missing.png", "Image")]
        shot = await page.screenshot(tmp_path / "viewport.png", full_page=False)
        assert shot.read_bytes()[:4] == b"\x89PNG"


def test_no_browser_fails_with_the_fix_unless_allowed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CHROMIUM_BIN", raising=False)
    monkeypatch.delenv(ALLOW_NO_BROWSER, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on it
    with pytest.raises(BrowserUnavailable, match="make system-deps"):
        chromium_binary()
    with pytest.raises(pytest.fail.Exception, match="make system-deps"):
        require_chromium()
    monkeypatch.setenv(ALLOW_NO_BROWSER, "1")
    with pytest.raises(pytest.skip.Exception, match=ALLOW_NO_BROWSER):
        require_chromium()
    monkeypatch.setenv("CHROMIUM_BIN", str(tmp_path / "no-such-chromium"))
    with pytest.raises(BrowserUnavailable, match="CHROMIUM_BIN"):
        chromium_binary()
