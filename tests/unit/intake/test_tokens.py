"""Optional sender tokens on the intake endpoints, served for real on loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from schemas import Alert
from streams.intake import IntakeError, accepted_response, error_response, from_v2_alerts, read_body
from streams.intake.auth import IntakeTokens

from .bodies import NOW, PROMETHEUS_BATCH


def app_with(tokens: IntakeTokens, sent: list[Alert]) -> web.Application:
    """The endpoint as streams/app.py wires it: the token first, then the body."""

    def endpoint(convert: Callable[..., list[Alert]]) -> Callable[[web.Request], Any]:
        async def handle(request: web.Request) -> web.Response:
            try:
                tokens.check(request)
                alerts = convert(await read_body(request), now=NOW)
            except IntakeError as exc:
                return error_response(exc)
            sent.extend(alerts)
            return accepted_response(len(alerts))

        return handle

    app = web.Application()
    app.router.add_post("/api/v2/alerts", endpoint(from_v2_alerts))
    return app


async def post(tokens: IntakeTokens, headers: dict[str, str]) -> tuple[int, dict[str, Any], str | None, int]:
    sent: list[Alert] = []
    async with TestClient(TestServer(app_with(tokens, sent))) as client:
        body = PROMETHEUS_BATCH if isinstance(PROMETHEUS_BATCH, bytes) else orjson.dumps(PROMETHEUS_BATCH)
        response = await client.post(
            "/api/v2/alerts", data=body, headers={"Content-Type": "application/json", **headers}
        )
        return response.status, await response.json(), response.headers.get("WWW-Authenticate"), len(sent)


def test_from_env_reads_a_comma_separated_list_and_empty_means_open() -> None:
    assert IntakeTokens.from_env({}).open
    assert IntakeTokens.from_env({"VIGIL_INTAKE_TOKENS": " , "}).open
    tokens = IntakeTokens.from_env({"VIGIL_INTAKE_TOKENS": "prom-0123456789, am-0123456789"})
    assert not tokens.open
    assert "prom-0123456789" not in repr(tokens)  # never printed


async def test_open_intake_accepts_without_a_token() -> None:
    status, _, _, accepted = await post(IntakeTokens(), {})
    assert status == 200 and accepted > 0


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing bearer token"),
        ({"Authorization": "Basic cHJvbTpzZWNyZXQ="}, "missing bearer token"),
        ({"Authorization": "Bearer "}, "missing bearer token"),
        ({"Authorization": "Bearer wrong-token-000"}, "unknown bearer token"),
    ],
)
async def test_a_guarded_intake_answers_401_with_a_message_and_keeps_nothing(
    headers: dict[str, str], message: str
) -> None:
    status, body, challenge, accepted = await post(IntakeTokens(["prom-0123456789"]), headers)
    assert status == 401
    assert message in body["error"]
    assert challenge == 'Bearer realm="vigil-intake"'
    assert accepted == 0


async def test_a_known_token_is_accepted() -> None:
    tokens = IntakeTokens(["prom-0123456789", "am-0123456789"])
    status, _, _, accepted = await post(tokens, {"Authorization": "Bearer am-0123456789"})
    assert status == 200 and accepted > 0
