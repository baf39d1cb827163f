"""Waiting, in an async test, for something a worker does in its own time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def eventually(
    check: Callable[[], object], what: str, timeout: float, *, explain: Callable[[], str] | None = None
) -> None:
    """Until `check()` is true, else fail naming `what` and, from `explain`, what was seen instead.

    Checks run in a thread, so one may block (an HTTP call to a worker) without stalling the test's own tasks.
    """
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() >= deadline:
            seen = f":\n{await asyncio.to_thread(explain)}" if explain is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{seen}")
        await asyncio.sleep(0.25)
