"""Server-sent events framing (the `text/event-stream` format of the HTML standard).

A frame is ``event: NAME`` then one ``data:`` line per line of the payload,
ended by a blank line; a line starting with ``:`` is a comment, which
clients ignore and proxies see as traffic (the heartbeat).
"""

from __future__ import annotations

__all__ = ["comment_frame", "event_frame", "retry_frame"]


def event_frame(event: str, data: bytes | str) -> bytes:
    """One event; a payload with line breaks becomes several ``data:`` lines, rejoined by the client."""
    if not event or any(c in event for c in "\r\n:"):
        raise ValueError(f"bad event name {event!r}")
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return (f"event: {event}\n" + "".join(f"data: {line}\n" for line in lines) + "\n").encode("utf-8")


def comment_frame(text: str = "") -> bytes:
    """A comment line (a heartbeat): ignored by clients, keeps idle connections open."""
    return "".join(f": {line}\n" for line in (text or "").splitlines() or [""]).encode("utf-8") + b"\n"


def retry_frame(milliseconds: int) -> bytes:
    """Tells an EventSource how long to wait before reconnecting."""
    return f"retry: {int(milliseconds)}\n\n".encode()
