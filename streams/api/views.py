"""The HTTP API: incidents and silences, read from the read model, written as commands.

    GET    /api/incidents?status=&severity=&service=&since=&until=&limit=   viewer
    GET    /api/incidents/{id}                                              viewer
    POST   /api/incidents/{id}/ack       {"note"?}                          responder → 202
    POST   /api/incidents/{id}/resolve   {"note"?}                          responder → 202
    POST   /api/incidents/{id}/comment   {"note"}                           responder → 202
    GET    /api/silences?expired=true                                       viewer
    POST   /api/silences  {"matchers", "starts_at"?, "ends_at" | "duration", "comment"}  responder → 202
    DELETE /api/silences/{id}                                               responder → 202

The API holds no state of its own: reads come from an
:class:`IncidentReadModel` that any worker builds from the topics, and
writes leave as :class:`schemas.Command` records through ``send_command``
(the worker produces them on the ``commands`` topic), answered with 202 and
the command's id; the correlator that owns the incident applies them.

The handlers are plain aiohttp handlers: :func:`mount` puts them on an
``aiohttp.web.Application`` (tests) and :func:`register_api` declares them
as Faust web views (the worker). Every failure becomes a JSON body
``{"error": "…"}`` with its status: 400 malformed input, 401 no or wrong
token, 403 role too low, 404 unknown incident or silence, 409 ack or
resolve of a resolved incident or delete of a silence that is over, 413
body too large, 503 not caught up yet or Kafka
unreachable. Anything else is a bug: logged, answered with 500.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import faust
import msgspec
import orjson
from aiohttp import web

from correlator.incidents.commands import command_problem
from correlator.incidents.muting import silence_id_for
from schemas import Command, CommandKind, IncidentSnapshot, IncidentStatus, SchemaError, SilenceSpec, encode
from streams.api.auth import ApiTokens, Principal, Role
from streams.api.errors import ApiError
from streams.api.inputs import MAX_BODY_BYTES, flag_param, incident_query, json_body, no_query, note_body, silence_body
from streams.api.readmodel import IncidentReadModel

__all__ = ["ALL_DOMAINS", "IncidentApi", "SendCommand", "mount", "register_api"]

log = logging.getLogger("vigil.api")

SendCommand = Callable[[Command], Awaitable[None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ALL_DOMAINS = "*"
"""The ``domain`` of a silence command: silences apply to every domain, so the sender fans them out."""

_JSON = "application/json"


def _new_id() -> str:
    return uuid.uuid4().hex


class IncidentApi:
    """The API's handlers, bound to a read model, a command sender and the tokens."""

    def __init__(
        self,
        *,
        read_model: IncidentReadModel,
        send_command: SendCommand,
        tokens: ApiTokens,
        clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = _new_id,
    ) -> None:
        self.read_model = read_model
        self.send_command = send_command
        self.tokens = tokens
        self.clock = clock
        self.new_id = new_id

    def routes(self) -> dict[str, dict[str, Handler]]:
        """Path → method → handler."""
        return {
            "/api/incidents": {"GET": self.list_incidents},
            "/api/incidents/{id}": {"GET": self.get_incident},
            "/api/incidents/{id}/ack": {"POST": self.ack},
            "/api/incidents/{id}/resolve": {"POST": self.resolve},
            "/api/incidents/{id}/comment": {"POST": self.comment},
            "/api/silences": {"GET": self.list_silences, "POST": self.create_silence},
            "/api/silences/{id}": {"DELETE": self.delete_silence},
        }

    # -- reads ----------------------------------------------------------------------------------

    async def list_incidents(self, request: web.Request) -> web.Response:
        return await _answer(self._list_incidents, request)

    async def _list_incidents(self, request: web.Request) -> web.Response:
        self.tokens.authorize(request.headers.get("Authorization"), Role.VIEWER)
        query = incident_query(request.query, now=self.clock())
        self._need_caught_up()
        found, total = self.read_model.incidents(query)
        return _json(200, {"incidents": [msgspec.to_builtins(s) for s in found], "count": len(found), "total": total})

    async def get_incident(self, request: web.Request) -> web.Response:
        return await _answer(self._get_incident, request)

    async def _get_incident(self, request: web.Request) -> web.Response:
        self.tokens.authorize(request.headers.get("Authorization"), Role.VIEWER)
        no_query(request.query)
        snapshot = self._incident(request.match_info["id"])
        return _json(
            200,
            {"incident": msgspec.to_builtins(snapshot), "events": self.read_model.events(snapshot.id)},
        )

    async def list_silences(self, request: web.Request) -> web.Response:
        return await _answer(self._list_silences, request)

    async def _list_silences(self, request: web.Request) -> web.Response:
        self.tokens.authorize(request.headers.get("Authorization"), Role.VIEWER)
        expired = flag_param(request.query, "expired", allowed=("expired",))
        self._need_caught_up()
        now = self.clock()
        silences = self.read_model.silences(now, include_expired=expired)
        return _json(200, {"silences": [s.to_json(now) for s in silences], "count": len(silences)})

    # -- writes ---------------------------------------------------------------------------------

    async def ack(self, request: web.Request) -> web.Response:
        return await _answer(self._incident_command, request, CommandKind.ACK)

    async def resolve(self, request: web.Request) -> web.Response:
        return await _answer(self._incident_command, request, CommandKind.RESOLVE)

    async def comment(self, request: web.Request) -> web.Response:
        return await _answer(self._incident_command, request, CommandKind.COMMENT)

    async def _incident_command(self, request: web.Request, kind: CommandKind) -> web.Response:
        who = self.tokens.authorize(request.headers.get("Authorization"), Role.RESPONDER)
        no_query(request.query)
        snapshot = self._incident(request.match_info["id"])
        if kind != CommandKind.COMMENT and snapshot.status == IncidentStatus.RESOLVED:
            raise ApiError(409, f"incident {snapshot.id!r} is already resolved; a comment is still possible")
        required = kind == CommandKind.COMMENT
        note = note_body(json_body(await _read_body(request), required=required), required=required)
        command = Command(
            id=self.new_id(),
            kind=kind,
            domain=snapshot.domain or ALL_DOMAINS,
            incident_id=snapshot.id,
            actor=who.name,
            ts=self.clock(),
            note=note,
        )
        await self._send(command, who)
        return _json(202, {"command_id": command.id, "kind": str(kind), "incident_id": snapshot.id})

    async def create_silence(self, request: web.Request) -> web.Response:
        return await _answer(self._create_silence, request)

    async def _create_silence(self, request: web.Request) -> web.Response:
        who = self.tokens.authorize(request.headers.get("Authorization"), Role.RESPONDER)
        no_query(request.query)
        now = self.clock()
        wanted = silence_body(json_body(await _read_body(request), required=True), now=now)
        command_id = self.new_id()
        silence_id = silence_id_for(ALL_DOMAINS, command_id)  # the id the correlator derives, too
        command = Command(
            id=command_id,
            kind=CommandKind.SILENCE,
            domain=ALL_DOMAINS,
            actor=who.name,
            ts=now,
            silence=SilenceSpec(
                matchers=list(wanted.matchers),
                starts_at=wanted.starts_at,
                ends_at=wanted.ends_at,
                comment=wanted.comment,
            ),
            silence_id=silence_id,
        )
        await self._send(command, who)
        return _json(
            202,
            {
                "command_id": command.id,
                "kind": "silence",
                "silence_id": silence_id,
                "starts_at": wanted.starts_at,
                "ends_at": wanted.ends_at,
            },
        )

    async def delete_silence(self, request: web.Request) -> web.Response:
        return await _answer(self._delete_silence, request)

    async def _delete_silence(self, request: web.Request) -> web.Response:
        who = self.tokens.authorize(request.headers.get("Authorization"), Role.RESPONDER)
        no_query(request.query)
        silence_id = request.match_info["id"]
        silence = self.read_model.silence(silence_id)
        if silence is None:
            self._need_caught_up()
            raise ApiError(404, f"no silence {silence_id!r}")
        now = self.clock()
        if silence.state(now) == "expired":
            raise ApiError(409, f"silence {silence_id!r} is already over")
        command = Command(
            id=self.new_id(),
            kind=CommandKind.UNSILENCE,
            domain=ALL_DOMAINS,
            actor=who.name,
            ts=now,
            silence_id=silence_id,
        )
        await self._send(command, who)
        return _json(202, {"command_id": command.id, "kind": "unsilence", "silence_id": silence_id})

    # -- helpers --------------------------------------------------------------------------------

    def _need_caught_up(self) -> None:
        if not self.read_model.caught_up:
            raise ApiError(
                503, "this worker is still reading the incidents topic; try again shortly", headers={"Retry-After": "1"}
            )

    def _incident(self, incident_id: str) -> IncidentSnapshot:
        snapshot = self.read_model.incident(incident_id)
        if snapshot is None:
            self._need_caught_up()
            raise ApiError(404, f"no incident {incident_id!r}")
        return snapshot

    async def _send(self, command: Command, who: Principal) -> None:
        try:
            encode(command)  # what the topic would refuse is the client's mistake, said here
        except SchemaError as exc:
            raise ApiError(400, f"command {exc.field}: {exc.problem}") from exc
        problem = command_problem(command)  # what the correlator would reject, likewise
        if problem is not None:
            raise ApiError(400, problem)
        try:
            await self.send_command(command)
        except Exception as exc:
            log.warning("could not queue %s command %s: %r", command.kind, command.id, exc)
            raise ApiError(503, "could not queue the command (Kafka unreachable?); try again") from exc
        log.info(
            "%s %s by %s (command %s)", command.kind, command.incident_id or command.silence_id, who.name, command.id
        )


async def _answer(handler: Callable[..., Awaitable[web.Response]], request: web.Request, *args: Any) -> web.Response:
    try:
        return await handler(request, *args)
    except ApiError as exc:
        return _json(exc.status, {"error": exc.message}, headers=exc.headers)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return _json(500, {"error": "internal error; the worker's log has the details"})


def _json(status: int, body: Any, *, headers: Any = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type=_JSON, headers=headers)


async def _read_body(request: web.Request) -> bytes:
    """The body, refused with 413 as soon as it is over MAX_BODY_BYTES."""
    too_large = ApiError(413, f"body: over the limit of {MAX_BODY_BYTES} bytes")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    while chunk := await request.content.read(MAX_BODY_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    return bytes(body)


def mount(web_app: web.Application, api: IncidentApi) -> None:
    """Add the API's routes to a plain aiohttp application."""
    for path, methods in api.routes().items():
        for method, handler in methods.items():
            web_app.router.add_route(method, path, handler)


def register_api(
    app: faust.App,
    *,
    read_model: IncidentReadModel,
    send_command: SendCommand,
    tokens: ApiTokens,
    clock: Callable[[], float] = time.time,
) -> IncidentApi:
    """Declare the API as Faust web views on ``app``; returns the handlers."""
    api = IncidentApi(read_model=read_model, send_command=send_command, tokens=tokens, clock=clock)
    if not len(tokens):
        log.warning("no API tokens (VIGIL_API_TOKENS, VIGIL_API_TOKENS_FILE): every /api request gets 401")
    for path, methods in api.routes().items():
        name = "api" + path.removeprefix("/api").replace("/", "_").replace("{", "").replace("}", "")
        app.page(path, name=name)(_faust_view(name, methods))
    return api


def _faust_view(name: str, methods: dict[str, Handler]) -> type[faust.web.View]:
    """A Faust view class whose methods call the plain aiohttp handlers."""

    def delegate(handler: Handler) -> Callable[..., Awaitable[web.StreamResponse]]:
        async def method(self: faust.web.View, request: web.Request, **match_info: str) -> web.StreamResponse:
            return await handler(request)  # Faust's aiohttp driver hands over aiohttp's own request

        return method

    return type(name, (faust.web.View,), {m.lower(): delegate(h) for m, h in methods.items()})
