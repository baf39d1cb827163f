"""register_api declares real Faust views: served through Faust's own aiohttp application."""

from __future__ import annotations

import faust
from aiohttp import test_utils

from schemas import Command
from streams.api import IncidentReadModel, register_api
from tests.unit.api.fixtures import RESPONDER, VIEWER, bearer, event, tokens


async def test_the_faust_app_serves_the_api(tmp_path):
    model = IncidentReadModel(caught_up=True)
    model.apply(event(incident_id="inc-1"))
    sent: list[Command] = []

    async def send_command(command: Command) -> None:
        sent.append(command)

    app = faust.App("vigil-api-test", broker="memory://", datadir=str(tmp_path), web_in_thread=False)
    register_api(app, read_model=model, send_command=send_command, tokens=tokens())
    assert {p for p in app.web.views if p.startswith("/api")} == {
        "/api/incidents",
        "/api/incidents/{id}",
        "/api/incidents/{id}/ack",
        "/api/incidents/{id}/resolve",
        "/api/incidents/{id}/comment",
        "/api/silences",
        "/api/silences/{id}",
    }

    async with test_utils.TestClient(test_utils.TestServer(app.web.web_app)) as client:
        resp = await client.get("/api/incidents", headers=bearer(VIEWER))
        assert resp.status == 200 and [i["id"] for i in (await resp.json())["incidents"]] == ["inc-1"]
        resp = await client.get("/api/incidents/inc-1", headers=bearer(VIEWER))
        assert resp.status == 200
        resp = await client.post("/api/incidents/inc-1/ack", headers=bearer(RESPONDER), json={"note": "mine"})
        assert resp.status == 202 and sent[-1].note == "mine"
        resp = await client.post("/api/incidents/inc-1/ack", headers=bearer(VIEWER))
        assert resp.status == 403
        resp = await client.delete("/api/silences/nope")
        assert resp.status == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")
        resp = await client.put("/api/incidents/inc-1")
        assert resp.status == 405
