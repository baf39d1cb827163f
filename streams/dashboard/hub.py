"""Fan-out of server-sent event frames to every open stream of this worker.

Publishing never blocks and never raises: each subscriber has a bounded
queue, and one that falls that far behind (a stalled client) is closed.
Its page reconnects and reloads what it missed from the API, rather than
the worker holding an unbounded backlog for it.
"""

from __future__ import annotations

import asyncio

__all__ = ["EventHub", "Subscription"]

_END = b""  # queued last: the stream is over


class Subscription:
    """One open stream's queue of frames."""

    def __init__(self, hub: EventHub, maxsize: int) -> None:
        self.hub = hub
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize + 1)  # + 1: room for the end marker
        self.maxsize = maxsize
        self.closed = False
        self.lagged = False  #: closed because it fell `maxsize` frames behind

    async def next(self, timeout: float) -> bytes | None:
        """The next frame; None when `timeout` seconds pass without one; b"" once closed."""
        if self.closed and self.queue.empty():
            return _END
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None

    def offer(self, frame: bytes) -> bool:
        if self.closed:
            return False
        if self.queue.qsize() >= self.maxsize:
            self.lagged = True
            self.close()
            return False
        self.queue.put_nowait(frame)
        return True

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_END)


class EventHub:
    """Subscribers and the frames published to all of them."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self.queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self.closed = False

    def __len__(self) -> int:
        return len(self._subscribers)

    def subscribe(self) -> Subscription:
        subscription = Subscription(self, self.queue_size)
        if self.closed:
            subscription.close()
        else:
            self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscription.close()
        self._subscribers.discard(subscription)

    def publish(self, frame: bytes) -> int:
        """Queue `frame` for every subscriber; returns how many took it (lagging ones are closed)."""
        taken = 0
        for subscription in list(self._subscribers):
            if subscription.offer(frame):
                taken += 1
            else:
                self._subscribers.discard(subscription)
        return taken

    def close(self) -> None:
        """End every stream (the web server is shutting down) and refuse new ones."""
        self.closed = True
        for subscription in list(self._subscribers):
            self.unsubscribe(subscription)
