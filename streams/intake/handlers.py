"""Thin aiohttp helpers for the intake endpoints; the decisions are in ``alertmanager``.

A Faust page with a ``post`` method (Faust's aiohttp driver hands it the
aiohttp request and sends back the aiohttp response it returns) reads::

    try:
        alerts = convert(await read_body(request), now=time.time())
    except IntakeError as exc:
        return error_response(exc)
    for alert in alerts:
        await topic.send(key=alert.labels["service"].encode(), value=encode(alert))
    return accepted_response(len(alerts))
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from streams.intake._reader import MAX_BODY_BYTES
from streams.intake.errors import IntakeError

__all__ = ["accepted_response", "error_response", "read_body"]


async def read_body(request: Any, *, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refused with IntakeError(413) as soon as it passes ``limit`` bytes.

    Reads ``request.content`` in chunks, so an oversize body is never held
    whole (aiohttp's ``request.read()`` would take up to its own
    ``client_max_size``; Faust's ``read_request_content`` has no limit).
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise IntakeError(413, f"body: {declared} bytes is over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > limit:
            raise IntakeError(413, f"body: over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def error_response(error: IntakeError) -> web.Response:
    """``{"status": "error", "error": message}`` with the error's HTTP status (401 says how to authenticate)."""
    headers = {"WWW-Authenticate": 'Bearer realm="vigil-intake"'} if error.status == 401 else None
    return web.json_response({"status": "error", "error": error.message}, status=error.status, headers=headers)


def accepted_response(count: int) -> web.Response:
    """200 ``{"status": "success", "accepted": count}``; senders only look at the status code."""
    return web.json_response({"status": "success", "accepted": count})
