"""register_dashboard declares real Faust views, a sampler timer and the incident feed."""

from __future__ import annotations

import faust
from aiohttp import test_utils

from streams.api import IncidentReadModel, register_api
from streams.dashboard import register_dashboard
from tests.unit.api.fixtures import VIEWER, bearer, event, tokens
from tests.unit.dashboard.fixtures import engine


async def test_the_faust_app_serves_the_dashboard(tmp_path):
    model = IncidentReadModel(caught_up=True)

    async def send_command(command):
        pass

    app = faust.App("vigil-dash-test", broker="memory://", datadir=str(tmp_path), web_in_thread=False)
    register_api(app, read_model=model, send_command=send_command, tokens=tokens())
    dashboard = register_dashboard(app, engine=engine(), read_model=model, tokens=tokens())
    assert {"/", "/dashboard", "/dashboard/{asset}", "/api/whoami", "/api/slos", "/api/series", "/api/stream"} <= set(
        app.web.views
    )
    app.web.init_server()  # Faust's own blueprints too: its index at "/" must not win over the page
    async with test_utils.TestClient(test_utils.TestServer(app.web.web_app)) as client:
        resp = await client.get("/")
        assert resp.status == 200 and resp.content_type == "text/html"
        assert (await client.get("/api/whoami", headers=bearer(VIEWER))).status == 200
        sub = dashboard.hub.subscribe()
        model.apply(event(incident_id="inc-1"))
        assert (await sub.next(1)).startswith(b"event: incident\n")
