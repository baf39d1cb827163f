"""The aiohttp helpers, served for real on loopback: status codes and bounded reads."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from schemas import Alert
from streams.intake import (
    MAX_BODY_BYTES,
    IntakeError,
    accepted_response,
    error_response,
    from_v2_alerts,
    from_webhook_v4,
    read_body,
)

from .bodies import ALERTMANAGER_GROUP, NOW, PROMETHEUS_BATCH


def intake_app(sent: list[Alert]) -> web.Application:
    """The endpoints as the worker wires them (handlers.py's docstring), the topic a list."""

    def endpoint(convert: Callable[..., list[Alert]]) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            try:
                alerts = convert(await read_body(request), now=NOW)
            except IntakeError as exc:
                return error_response(exc)
            sent.extend(alerts)
            return accepted_response(len(alerts))

        return handle

    app = web.Application()
    app.router.add_post("/api/v2/alerts", endpoint(from_v2_alerts))
    app.router.add_post("/api/v1/alertmanager-webhook", endpoint(from_webhook_v4))
    return app


async def post(path: str, data: Any, **kwargs: Any) -> tuple[int, Any, list[Alert]]:
    sent: list[Alert] = []
    async with TestClient(TestServer(intake_app(sent))) as client:
        response = await client.post(path, data=data, headers={"Content-Type": "application/json"}, **kwargs)
        return response.status, await response.json(), sent


async def test_prometheus_batch_is_accepted() -> None:
    status, payload, sent = await post("/api/v2/alerts", PROMETHEUS_BATCH)
    assert (status, payload) == (200, {"status": "success", "accepted": 2})
    assert [a.rule for a in sent] == ["ApiLatencyHigh", "PostgresReplicationLag"]


async def test_alertmanager_group_is_accepted() -> None:
    status, payload, sent = await post("/api/v1/alertmanager-webhook", ALERTMANAGER_GROUP)
    assert (status, payload["accepted"], len(sent)) == (200, 3, 3)


async def test_an_empty_batch_is_200_and_nothing_sent() -> None:
    assert await post("/api/v2/alerts", b"[]") == (200, {"status": "success", "accepted": 0}, [])


async def test_a_malformed_body_is_400_with_the_message_and_nothing_sent() -> None:
    status, payload, sent = await post("/api/v2/alerts", b'[{"labels": {"job": "api"}}]')
    assert status == 400
    assert payload == {
        "status": "error",
        "error": "alerts[0].labels.alertname: required: it names the alert (Vigil's rule)",
    }
    assert sent == []


async def test_a_declared_oversize_body_is_413_without_reading_it() -> None:
    body = io.BytesIO(b"[" + b" " * MAX_BODY_BYTES + b"]")  # BytesIO: aiohttp sends its length
    status, payload, _ = await post("/api/v2/alerts", body)
    assert status == 413
    assert payload["error"] == f"body: {MAX_BODY_BYTES + 2} bytes is over the limit of {MAX_BODY_BYTES}"


async def test_a_chunked_oversize_body_is_413_once_past_the_limit() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"["
        for _ in range(20):
            yield b" " * 65536
        yield b"]"

    status, payload, _ = await post("/api/v2/alerts", chunks())
    assert status == 413
    assert payload["error"] == f"body: over the limit of {MAX_BODY_BYTES} bytes"


async def test_a_chunked_body_within_the_limit_is_read_whole() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(PROMETHEUS_BATCH), 100):
            yield PROMETHEUS_BATCH[i : i + 100]

    status, payload, _ = await post("/api/v2/alerts", chunks())
    assert (status, payload["accepted"]) == (200, 2)
