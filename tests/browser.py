"""A real headless Chromium for tests, driven over the DevTools protocol (CDP) with aiohttp.

No Playwright or Selenium: Playwright downloads its own browser from a CDN
and Selenium needs a driver binary; Debian's `chromium` package (installed
by `make system-deps`) plus one WebSocket is all this needs.

    async with Browser() as browser:
        page = await browser.new_page()
        await page.goto(path.as_uri())
        assert page.console_errors == []
        assert await page.evaluate("document.querySelectorAll('svg').length") == 3
        await page.screenshot(Path("test-artifacts/report.png"))

The binary is `CHROMIUM_BIN`, else the first of `chromium`, `chromium-browser`
and `google-chrome` on PATH. `require_chromium()` is what tests call: with
no browser it fails the test with the fix (never a silent skip), unless
`VIGIL_ALLOW_NO_BROWSER=1` lets a developer machine skip instead.

Each `Browser` is its own process with a throwaway profile, tied to the
test process's life (it dies with it), listening for CDP on a port the OS
picks (`--remote-debugging-port=0`, read back from `DevToolsActivePort`).
Pages are targets attached in flat mode: one WebSocket carries every
page's commands and events, told apart by `sessionId`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from vigil.children import die_with_parent

__all__ = [
    "Browser",
    "BrowserError",
    "BrowserUnavailable",
    "ConsoleMessage",
    "FailedRequest",
    "JavaScriptError",
    "Page",
    "chromium_binary",
    "require_chromium",
]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
ALLOW_NO_BROWSER = "VIGIL_ALLOW_NO_BROWSER"

_FLAGS = (
    "--headless=new",
    "--disable-gpu",
    "--no-sandbox",  # containers and root: the sandbox needs user namespaces they often lack
    "--remote-debugging-port=0",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",  # no update checks, safe browsing lists, …: tests see only their own requests
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",  # /dev/shm is tiny in many containers
    "--hide-scrollbars",
    "--mute-audio",
)


class BrowserError(RuntimeError):
    """The browser failed to start, answered a command with an error, or took too long."""


class BrowserUnavailable(BrowserError):
    """No Chromium binary to run."""


class JavaScriptError(BrowserError):
    """`Page.evaluate` threw in the page."""


@dataclass(frozen=True, slots=True)
class ConsoleMessage:
    """Something the page reported: a console call, a browser log entry or an uncaught exception."""

    source: str  #: `console` (console.*), `log` (the browser's own log) or `exception`
    level: str  #: `error`, `warning`, `info`, `debug` or `log`
    text: str
    url: str = ""  #: where it came from, when the browser says

    def __str__(self) -> str:
        where = f" ({self.url})" if self.url else ""
        return f"[{self.source} {self.level}] {self.text}{where}"


@dataclass(frozen=True, slots=True)
class FailedRequest:
    """A network request that did not complete (Network.loadingFailed)."""

    url: str
    error: str  #: e.g. `net::ERR_NAME_NOT_RESOLVED`, `net::ERR_FILE_NOT_FOUND`
    resource: str = ""  #: Document, Stylesheet, Image, Script, Font, …


def chromium_binary() -> str:
    """Path of the Chromium to run; raises BrowserUnavailable saying how to get one."""
    explicit = os.environ.get("CHROMIUM_BIN")
    if explicit:
        found = shutil.which(explicit)
        if found is None:
            raise BrowserUnavailable(f"CHROMIUM_BIN={explicit!r} is not an executable.")
        return found
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise BrowserUnavailable(
        f"No Chromium: none of {', '.join(CANDIDATES)} is on PATH and CHROMIUM_BIN is unset. "
        "Run `make system-deps` (installs the Debian package `chromium`), or point CHROMIUM_BIN at a "
        f"Chromium or Chrome binary. On a machine without one, {ALLOW_NO_BROWSER}=1 skips browser tests."
    )


def require_chromium() -> str:
    """For tests: the Chromium binary; without one, fail with the fix, or skip when VIGIL_ALLOW_NO_BROWSER=1."""
    import pytest

    try:
        return chromium_binary()
    except BrowserUnavailable as exc:
        if os.environ.get(ALLOW_NO_BROWSER) == "1":
            pytest.skip(f"{exc} (skipped: {ALLOW_NO_BROWSER}=1)")
        pytest.fail(str(exc), pytrace=False)


class Browser:
    """A headless Chromium process and its CDP connection; an async context manager.

    `timeout` bounds every wait: start-up, each command, each page load.
    """

    def __init__(
        self, *, binary: str | None = None, width: int = 1280, height: int = 900, timeout: float = 30.0
    ) -> None:
        self.binary = binary or chromium_binary()
        self.width = width
        self.height = height
        self.timeout = timeout
        self._profile: Path | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._log: Any = None
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pages: dict[str, Page] = {}
        self._closed_error: BaseException | None = None

    async def __aenter__(self) -> Browser:
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @property
    def log_path(self) -> Path | None:
        """The browser's own stderr (start-up problems, crashes), kept until close."""
        return self._profile / "chromium.log" if self._profile else None

    async def new_page(self, *, width: int | None = None, height: int | None = None) -> Page:
        """A fresh tab at about:blank, its console, network and page events already recorded."""
        created = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send("Target.attachToTarget", {"targetId": created["targetId"], "flatten": True})
        page = Page(self, target_id=created["targetId"], session_id=attached["sessionId"])
        self._pages[page.session_id] = page
        for domain in ("Page", "Runtime", "Log", "Network"):
            await page.send(f"{domain}.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width or self.width,
                "height": height or self.height,
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
        return page

    async def send(
        self, method: str, params: Mapping[str, Any] | None = None, *, session_id: str | None = None
    ) -> dict[str, Any]:
        """Send one CDP command and wait for its result; BrowserError if it fails or times out."""
        if self._ws is None or self._ws.closed:
            raise BrowserError(f"{method}: the browser connection is closed") from self._closed_error
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": dict(params or {})}
        if session_id is not None:
            message["sessionId"] = session_id
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            await self._ws.send_json(message)
            async with asyncio.timeout(self.timeout):
                reply = await future
        except TimeoutError:
            raise BrowserError(f"{method}: no answer within {self.timeout:g}s") from None
        finally:
            self._pending.pop(ident, None)
        if "error" in reply:
            error = reply["error"]
            raise BrowserError(
                f"{method}: {error.get('message')} ({error.get('code')}) {error.get('data', '')}".strip()
            )
        return dict(reply.get("result") or {})

    async def close(self) -> None:
        """Close the connection, stop the process (politely, then not), remove the profile."""
        if self._ws is not None and not self._ws.closed:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await self.send("Browser.close")
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._http is not None:
            await self._http.close()
        if self._proc is not None:
            if self._proc.returncode is None:
                try:
                    async with asyncio.timeout(10):
                        await self._proc.wait()
                except TimeoutError:
                    self._proc.kill()
                    await self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    async def _start(self) -> None:
        self._profile = Path(tempfile.mkdtemp(prefix="vigil-chromium-"))
        self._log = open(self._profile / "chromium.log", "wb")  # noqa: SIM115 (closed in close())
        self._proc = await asyncio.create_subprocess_exec(
            self.binary,
            *_FLAGS,
            f"--user-data-dir={self._profile / 'profile'}",
            f"--window-size={self.width},{self.height}",
            "about:blank",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self._log,
            preexec_fn=die_with_parent(),
        )
        endpoint = await self._endpoint()
        self._http = aiohttp.ClientSession()
        self._ws = await self._http.ws_connect(endpoint, max_msg_size=0, timeout=aiohttp.ClientWSTimeout(ws_close=5))
        self._reader = asyncio.create_task(self._read(), name="chromium-cdp-reader")

    async def _endpoint(self) -> str:
        """The browser's CDP WebSocket URL, from the DevToolsActivePort file it writes once listening."""
        assert self._profile is not None and self._proc is not None
        active = self._profile / "profile" / "DevToolsActivePort"
        deadline = asyncio.get_running_loop().time() + self.timeout
        while True:
            if active.exists():
                lines = active.read_text().splitlines()
                if len(lines) >= 2:
                    return f"ws://127.0.0.1:{lines[0].strip()}{lines[1].strip()}"
            if self._proc.returncode is not None:
                raise BrowserError(
                    f"{self.binary} exited with {self._proc.returncode} at start-up:\n{self._log_tail()}"
                )
            if asyncio.get_running_loop().time() > deadline:
                raise BrowserError(
                    f"{self.binary} did not open its DevTools port within {self.timeout:g}s:\n{self._log_tail()}"
                )
            await asyncio.sleep(0.05)

    def _log_tail(self, lines: int = 30) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for message in self._ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    continue
                data = message.json()
                if "id" in data:
                    future = self._pending.get(data["id"])
                    if future is not None and not future.done():
                        future.set_result(data)
                elif "method" in data:
                    page = self._pages.get(data.get("sessionId", ""))
                    if page is not None:
                        page._event(data["method"], data.get("params") or {})
        except Exception as exc:  # reported to every waiting command below
            self._closed_error = exc
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(BrowserError("the browser connection closed"))


@dataclass(eq=False)
class Page:
    """One tab. Everything it reports is recorded from the moment it is created.

    `console` holds console calls, browser log entries and uncaught
    exceptions; `requests` every URL it asked for; `failed_requests` the
    ones that did not load.
    """

    browser: Browser
    target_id: str
    session_id: str
    console: list[ConsoleMessage] = field(default_factory=list)
    exceptions: list[ConsoleMessage] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    failed_requests: list[FailedRequest] = field(default_factory=list)
    _urls: dict[str, tuple[str, str]] = field(default_factory=dict)
    _load: asyncio.Future[None] | None = None

    @property
    def console_errors(self) -> list[ConsoleMessage]:
        """Error-level console messages and log entries, and uncaught exceptions."""
        return [m for m in self.console if m.level == "error"]

    async def send(self, method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return await self.browser.send(method, params, session_id=self.session_id)

    async def goto(self, url: str) -> None:
        """Navigate and wait for the load event (and web fonts); BrowserError if the document fails to load."""
        loop = asyncio.get_running_loop()
        self._load = loop.create_future()
        result = await self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"{url}: {result['errorText']}")
        try:
            async with asyncio.timeout(self.browser.timeout):
                await self._load
        except TimeoutError:
            raise BrowserError(f"{url}: no load event within {self.browser.timeout:g}s") from None
        await self.evaluate("document.fonts.ready.then(() => true)")

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited), as JSON; JavaScriptError if it throws."""
        result = await self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            description = (details.get("exception") or {}).get("description") or details.get("text")
            raise JavaScriptError(f"{expression!r} threw: {description}")
        return (result.get("result") or {}).get("value")

    async def screenshot(self, path: Path | str, *, full_page: bool = True) -> Path:
        """A PNG of the viewport, or of the whole page, written to `path` (parents created)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            metrics = await self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = await self.send("Page.captureScreenshot", params)
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(shot["data"]))
        return target

    async def close(self) -> None:
        await self.browser.send("Target.closeTarget", {"targetId": self.target_id})
        self.browser._pages.pop(self.session_id, None)

    def _event(self, method: str, params: dict[str, Any]) -> None:
        if method == "Page.loadEventFired":
            if self._load is not None and not self._load.done():
                self._load.set_result(None)
        elif method == "Runtime.consoleAPICalled":
            kind = params.get("type", "log")
            level = {"error": "error", "assert": "error", "warning": "warning", "debug": "debug", "info": "info"}
            text = " ".join(_remote_text(arg) for arg in params.get("args") or [])
            self.console.append(ConsoleMessage("console", level.get(kind, "log"), text))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails") or {}
            text = (details.get("exception") or {}).get("description") or details.get("text") or "exception"
            message = ConsoleMessage("exception", "error", text, details.get("url", ""))
            self.exceptions.append(message)
            self.console.append(message)
        elif method == "Log.entryAdded":
            entry = params.get("entry") or {}
            level = "info" if entry.get("level") == "verbose" else entry.get("level", "info")
            self.console.append(ConsoleMessage("log", level, entry.get("text", ""), entry.get("url", "")))
        elif method == "Network.requestWillBeSent":
            url = (params.get("request") or {}).get("url", "")
            self._urls[params.get("requestId", "")] = (url, params.get("type", ""))
            self.requests.append(url)
        elif method == "Network.loadingFailed":
            url, resource = self._urls.get(params.get("requestId", ""), ("", ""))
            error = params.get("errorText", "") + (" (canceled)" if params.get("canceled") else "")
            self.failed_requests.append(FailedRequest(url, error, params.get("type", resource)))


def _remote_text(arg: Mapping[str, Any]) -> str:
    """A console argument (a CDP RemoteObject) as text."""
    if "value" in arg:
        return str(arg["value"])
    return str(arg.get("description") or arg.get("unserializableValue") or arg.get("type", ""))
