"""Factories for the API tests: incident events, a read model, a running API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import test_utils, web

from schemas import Command, IncidentEvent, IncidentSnapshot
from streams.api import ApiTokens, IncidentApi, IncidentReadModel, Role, mount

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
VIEWER = "viewer-token-0123456789"
RESPONDER = "responder-token-0123456789"
ADMIN = "admin-token-0123456789abcdef"


def tokens() -> ApiTokens:
    return ApiTokens(
        [(VIEWER, Role.VIEWER, "vera"), (RESPONDER, Role.RESPONDER, "ana@example.com"), (ADMIN, Role.ADMIN, None)]
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def snapshot(incident_id: str = "inc-1", **changes: Any) -> IncidentSnapshot:
    fields: dict[str, Any] = {
        "id": incident_id,
        "status": "triggered",
        "severity": "high",
        "title": f"{incident_id}: advisor-api latency",
        "group_key": "service=advisor-api",
        "services": ["advisor-api"],
        "alerts": ["8c1d2e3f4a5b6c7d"],
        "labels": {"service": "advisor-api"},
        "opened_at": T0,
        "domain": "advisor-api",
    }
    fields.update(changes)
    if fields["status"] == "acknowledged":
        fields.setdefault("acknowledged_at", fields["opened_at"] + 60)
    if fields["status"] == "resolved":
        fields.setdefault("resolved_at", fields["opened_at"] + 120)
    return IncidentSnapshot(**fields)


def event(
    kind: str = "opened",
    *,
    ts: float | None = None,
    actor: str | None = None,
    note: str | None = None,
    **snapshot_changes: Any,
) -> IncidentEvent:
    incident = snapshot(**snapshot_changes)
    return IncidentEvent(
        event=kind,
        incident_id=incident.id,
        ts=ts if ts is not None else incident.opened_at,
        actor=actor,
        note=note,
        incident=incident,
    )


@dataclass
class RunningApi:
    """An API on a real aiohttp server, with the commands it sent."""

    client: test_utils.TestClient
    model: IncidentReadModel
    sent: list[Command] = field(default_factory=list)
    now: list[float] = field(default_factory=lambda: [T0 + 3600])

    @property
    def url(self) -> str:
        return str(self.client.make_url("")).rstrip("/")


@asynccontextmanager
async def running_api(model: IncidentReadModel | None = None, *, fail_send: bool = False) -> AsyncIterator[RunningApi]:
    model = model if model is not None else IncidentReadModel(caught_up=True)
    sent: list[Command] = []
    now = [T0 + 3600]

    async def send_command(command: Command) -> None:
        if fail_send:
            raise ConnectionError("broker down")
        sent.append(command)

    api = IncidentApi(read_model=model, send_command=send_command, tokens=tokens(), clock=lambda: now[0])
    app = web.Application()
    mount(app, api)
    async with test_utils.TestClient(test_utils.TestServer(app)) as client:
        yield RunningApi(client=client, model=model, sent=sent, now=now)
