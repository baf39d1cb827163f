"""The dashboard's endpoints through a real aiohttp server: the page, the reads, the live stream."""

from __future__ import annotations

import asyncio

import msgspec
import orjson
import pytest

from streams.api import Silence
from streams.dashboard import SeriesId
from tests.unit.api.fixtures import RESPONDER, T0, VIEWER, bearer, event
from tests.unit.dashboard.fixtures import running_dashboard

SILENCE = Silence(
    id="sil-1",
    matchers=('service="postgres"',),
    starts_at=T0,
    ends_at=T0 + 86400,
    comment="vacuum",
    created_by="ana",
    created_at=T0,
)


async def test_the_page_and_its_assets_need_no_token_and_load_nothing_from_elsewhere():
    async with running_dashboard() as d:
        for path in ("/", "/dashboard"):
            resp = await d.client.get(path)
            assert resp.status == 200 and resp.content_type == "text/html"
            html = await resp.text()
            assert "/dashboard/app.js" in html and "http://" not in html and "https://" not in html
            assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
        resp = await d.client.get("/dashboard/app.js")
        assert resp.status == 200 and resp.content_type == "text/javascript"
        assert "https://" not in await resp.text()
        assert (await d.client.get("/dashboard/style.css")).content_type == "text/css"
        assert (await d.client.get("/dashboard/nope.js")).status == 404
        assert (await d.client.get("/dashboard/..%2Fviews.py")).status == 404


async def test_whoami():
    async with running_dashboard() as d:
        resp = await d.client.get("/api/whoami", headers=bearer(RESPONDER))
        assert resp.status == 200 and await resp.json() == {
            "name": "ana@example.com",
            "role": "responder",
            "ready": True,
        }
        assert (await (await d.client.get("/api/whoami", headers=bearer(VIEWER))).json())["role"] == "viewer"
        resp = await d.client.get("/api/whoami")
        assert resp.status == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await d.client.get("/api/whoami", headers=bearer("wrong-token-0123456789"))).status == 401
        resp = await d.client.get("/api/whoami?x=1", headers=bearer(VIEWER))
        assert resp.status == 400 and "query parameter 'x'" in (await resp.json())["error"]


async def test_slos_board_and_the_sampler():
    async with running_dashboard() as d:
        assert (await d.client.get("/api/slos")).status == 401
        d.dashboard.sample()
        resp = await d.client.get("/api/slos", headers=bearer(VIEWER))
        assert resp.status == 200
        board = await resp.json()
        assert [t["name"] for t in board["slos"]] == ["api-latency", "uptime"]
        assert board["slos"][0]["spark"] == [[T0 + 3600, pytest.approx(0.99)]]
        assert (await d.client.get("/api/slos?limit=3", headers=bearer(VIEWER))).status == 400


async def test_series_list_points_and_incident_marks():
    async with running_dashboard() as d:
        for i in range(3):
            d.now[0] = T0 + 3600 + 10 * i
            d.dashboard.sample()
        d.model.apply(event(incident_id="inc-1", opened_at=T0 + 3500))
        d.model.apply(event(incident_id="inc-2", opened_at=T0 - 7200, services=["postgres"], domain="postgres"))
        listing = await (await d.client.get("/api/series", headers=bearer(VIEWER))).json()
        assert {(s["kind"], s["name"], s["service"]) for s in listing["series"]} == {
            ("rule", "ApiLatencyP95High", "advisor-api"),
            ("slo", "api-latency", "advisor-api"),
        }
        resp = await d.client.get(
            "/api/series?rule=ApiLatencyP95High&service=advisor-api&range=15m", headers=bearer(VIEWER)
        )
        assert resp.status == 200
        body = await resp.json()
        assert body["threshold"] == 0.5 and body["op"] == ">" and len(body["points"]) == 3
        assert [m["id"] for m in body["incidents"]] == ["inc-1"]
        slo = await (
            await d.client.get("/api/series?rule=api-latency&service=advisor-api", headers=bearer(VIEWER))
        ).json()
        assert slo["kind"] == "slo" and slo["threshold"] == 0.95 and slo["range"] == "1h"


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("rule=ApiLatencyP95High&service=advisor-api&range=2d", 400, "range"),
        ("rule=ApiLatencyP95High", 400, "go together"),
        ("service=advisor-api", 400, "go together"),
        ("rule=a&rule=b&service=x", 400, "more than once"),
        ("rule=nope&service=advisor-api", 404, "no rule or SLO"),
        ("rule=ApiLatencyP95High&service=advisor-api&color=red", 400, "unknown"),
        ("rule=" + "x" * 600 + "&service=advisor-api", 400, "longer than"),
    ],
)
async def test_series_bad_input_is_a_400_or_404_never_a_500(query, status, message):
    async with running_dashboard() as d:
        resp = await d.client.get(f"/api/series?{query}", headers=bearer(VIEWER))
        assert resp.status == status and message in (await resp.json())["error"]


async def _frames(resp, count, timeout=5.0):
    """The next `count` SSE blocks (events or comments), as text."""
    out, buffer = [], b""
    async with asyncio.timeout(timeout):
        while len(out) < count:
            buffer += await resp.content.readany()
            while b"\n\n" in buffer and len(out) < count:
                block, buffer = buffer.split(b"\n\n", 1)
                out.append(block.decode())
    return out


def _data(block: str) -> dict:
    return orjson.loads("\n".join(line[6:] for line in block.split("\n") if line.startswith("data: ")))


async def test_stream_auth_by_header_or_query_token():
    async with running_dashboard() as d:
        assert (await d.client.get("/api/stream")).status == 401
        assert (await d.client.get("/api/stream?token=wrong-token-0123456789")).status == 401
        assert (await d.client.get("/api/stream?token=")).status == 401
        assert (await d.client.get(f"/api/stream?token={VIEWER}&x=1")).status == 400
        resp = await d.client.get(f"/api/stream?token={VIEWER}")
        assert resp.status == 200 and resp.content_type == "text/event-stream"
        resp.close()


async def test_stream_sends_the_board_then_incident_events_slos_and_heartbeats():
    async with running_dashboard(heartbeat=0.2) as d:
        resp = await d.client.get("/api/stream", headers=bearer(VIEWER))
        retry, hello, board = await _frames(resp, 3)
        assert retry == "retry: 2000" and hello.startswith(":")
        assert board.startswith("event: slos\n") and _data(board)["slos"][0]["name"] == "api-latency"

        opened = event(incident_id="inc-9")
        d.model.apply(opened)
        d.model.apply(opened)  # a redelivery: not sent twice
        d.model.apply(event("acknowledged", ts=T0 + 60, actor="ana", incident_id="inc-9", status="acknowledged"))
        first, second = await _frames(resp, 2)
        assert first.startswith("event: incident\n") and _data(first)["incident"]["id"] == "inc-9"
        assert _data(first) == orjson.loads(msgspec.json.encode(opened))
        assert _data(second)["event"] == "acknowledged"

        d.dashboard.on_silence(SILENCE)
        (silenced,) = await _frames(resp, 1)
        assert silenced.startswith("event: silence\n") and _data(silenced)["id"] == "sil-1"
        assert _data(silenced)["state"] == "active" and _data(silenced)["created_by"] == "ana"

        d.dashboard.sample()
        (snapshot,) = await _frames(resp, 1)
        assert snapshot.startswith("event: slos\n")
        assert _data(snapshot)["slos"][0]["spark"]
        (beat,) = await _frames(resp, 1)
        assert beat == ": heartbeat"
        assert len(d.dashboard.hub) == 1
        resp.close()
        for _ in range(50):
            if not len(d.dashboard.hub):
                break
            await asyncio.sleep(0.05)
        d.dashboard.hub.publish(b": x\n\n")  # the next write notices the client is gone
        for _ in range(50):
            if not len(d.dashboard.hub):
                break
            await asyncio.sleep(0.05)
        assert len(d.dashboard.hub) == 0


async def test_shutdown_ends_open_streams():
    async with running_dashboard() as d:
        resp = await d.client.get("/api/stream", headers=bearer(VIEWER))
        await _frames(resp, 3)
        d.dashboard.hub.close()
        async with asyncio.timeout(5):
            rest = await resp.content.read()
        assert rest == b""


def test_series_ids_are_named_tuples():
    assert SeriesId("rule", "a", "b") == ("rule", "a", "b", "")


async def test_a_client_that_stops_reading_is_let_go() -> None:
    """A stalled reader (a phone asleep with the page open) frees its stream instead of parking the handler."""
    async with running_dashboard() as d:
        d.dashboard.write_timeout = 0.3
        server = d.client.server
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            writer.write(f"GET /api/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {VIEWER}\r\n\r\n".encode())
            await writer.drain()
            for _ in range(100):
                if d.dashboard.streams_open:
                    break
                await asyncio.sleep(0.02)
            assert d.dashboard.streams_open == 1
            frame = b"event: incident\ndata: " + b"x" * 256 * 1024 + b"\n\n"
            for _ in range(200):  # 50 MB the client never reads: socket buffers fill, then writes wait
                d.dashboard.hub.publish(frame)
                await asyncio.sleep(0.01)
                if not d.dashboard.streams_open:
                    break
            for _ in range(300):
                if not d.dashboard.streams_open:
                    break
                await asyncio.sleep(0.02)
            assert d.dashboard.streams_open == 0
            assert len(d.dashboard.hub) == 0
        finally:
            writer.close()  # (were the handler parked, this lets it and the test server finish)
