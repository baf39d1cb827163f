"""The dashboard's HTTP side: the page and its assets, three read endpoints and the live stream.

    GET /, /dashboard                          the page (no token needed: it asks for one)
    GET /dashboard/{app.js,style.css}          its assets, served from the package
    GET /api/whoami                            viewer   {name, role, ready}
    GET /api/slos                              viewer   the SLA board (board.py)
    GET /api/series                            viewer   the series there are
    GET /api/series?rule=&service=&group=&range=1h      viewer   points, threshold, incidents to mark
    GET /api/stream[?token=]                   viewer   server-sent events: incident, slos, heartbeats

Auth is the API's: a bearer token in the Authorization header (or, for the
stream only, in ``?token=``, since a browser's EventSource cannot set
headers). Refusals are the API's too: JSON ``{"error"}`` with 400, 401,
403 or 404; bad input never gets a 500.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

import faust
import msgspec
import orjson
from aiohttp import web

from correlator import RuleEngine
from schemas import IncidentEvent
from streams.api import ApiError, ApiTokens, IncidentQuery, IncidentReadModel, Role, Silence
from streams.dashboard.board import read_engine, series_info, sla_board
from streams.dashboard.feed import BoardFeed
from streams.dashboard.history import SeriesId, SliHistory
from streams.dashboard.hub import EventHub
from streams.dashboard.shared import BoardShare, snapshot
from streams.dashboard.sse import comment_frame, event_frame, retry_frame

__all__ = ["RANGES", "DashboardApi", "mount", "register_dashboard"]

log = logging.getLogger("vigil.dashboard")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RANGES = {"15m": 900.0, "1h": 3600.0, "3h": 3 * 3600.0, "6h": 6 * 3600.0}
"""The chart ranges one may ask /api/series for."""

_ASSETS = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
}
# The page loads nothing from anywhere else, and nothing else may frame it.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


class DashboardApi:
    """The dashboard's handlers, bound to the engine, the SLI history, the live hub and the read model."""

    def __init__(
        self,
        *,
        engine: RuleEngine,
        read_model: IncidentReadModel,
        tokens: ApiTokens,
        history: SliHistory | None = None,
        hub: EventHub | None = None,
        clock: Callable[[], float] = time.time,
        heartbeat: float = 15.0,
        write_timeout: float = 30.0,
        share: BoardShare | None = None,
    ) -> None:
        self.engine = engine
        self.read_model = read_model
        self.tokens = tokens
        self.history = history if history is not None else SliHistory()
        self.hub = hub if hub is not None else EventHub()
        self.clock = clock
        self.heartbeat = heartbeat
        #: a stream whose client has not taken a frame for this long is closed (a phone asleep with the page
        #: open keeps its connection, and the worker its buffers, until TCP gives up, which can take many minutes)
        self.write_timeout = write_timeout
        self.streams_open = 0  #: live streams being served now
        self.share = share  #: other workers' tiles (None: this worker's own board only)
        self._assets = {name: _asset(name) for name in _ASSETS}

    def routes(self) -> dict[str, dict[str, Handler]]:
        """Path → method → handler."""
        return {
            "/": {"GET": self.index},
            "/dashboard": {"GET": self.index},
            "/dashboard/{asset}": {"GET": self.asset},
            "/api/whoami": {"GET": self.whoami},
            "/api/slos": {"GET": self.slos},
            "/api/series": {"GET": self.series},
            "/api/stream": {"GET": self.stream},
        }

    # -- feeding the live stream ------------------------------------------------------------------

    def sample(self) -> dict[str, Any]:
        """Record one point of every SLI and send the board to every stream (the 10 s timer calls this).

        Returns this worker's own board, which it publishes for the others.
        """
        now = self.clock()
        self.history.record(now, read_engine(self.engine))
        own = sla_board(self.engine, self.history, now)
        self.hub.publish(event_frame("slos", orjson.dumps(self._merged(own, now))))
        return own

    def board(self) -> dict[str, Any]:
        """The whole board now: this worker's tiles and every other live worker's."""
        now = self.clock()
        return self._merged(sla_board(self.engine, self.history, now), now)

    def _merged(self, own: dict[str, Any], now: float) -> dict[str, Any]:
        if self.share is None:
            return own
        slos = [slo.name for slo in self.engine.slos]
        rules = [rule.name for rule in self.engine.rules]
        return self.share.merged(own, now, slo_order=slos, rule_order=rules)

    async def _write(self, response: web.StreamResponse, frame: bytes) -> None:
        async with asyncio.timeout(self.write_timeout):
            await response.write(frame)

    def on_silence(self, silence: Silence) -> None:
        """Send a silence that was created or ended to every stream (the read model calls this)."""
        self.hub.publish(event_frame("silence", orjson.dumps(silence.to_json(self.clock()))))

    def on_incident(self, event: IncidentEvent) -> None:
        """Send an incident event, as it is on the topic, to every stream (the read model calls this)."""
        self.hub.publish(event_frame("incident", msgspec.json.encode(event)))

    # -- the page -------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        return self._asset_response("index.html")

    async def asset(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("asset", "")
        if name not in self._assets or name == "index.html":
            return web.Response(status=404, text=f"no asset {name!r}\n", headers={"Cache-Control": "no-cache"})
        return self._asset_response(name)

    def _asset_response(self, name: str) -> web.Response:
        return web.Response(
            body=self._assets[name], content_type=_ASSETS[name], charset="utf-8", headers=dict(_PAGE_HEADERS)
        )

    # -- reads ----------------------------------------------------------------------------------

    async def whoami(self, request: web.Request) -> web.StreamResponse:
        return await _answer(self._whoami, request)

    async def _whoami(self, request: web.Request) -> web.Response:
        who = self.tokens.authorize(request.headers.get("Authorization"), Role.VIEWER)
        _only(request, ())
        # ready: the read model has caught up, so /api/incidents answers (the page waits rather than see 503s)
        return _json(200, {"name": who.name, "role": who.role.label, "ready": self.read_model.caught_up})

    async def slos(self, request: web.Request) -> web.StreamResponse:
        return await _answer(self._slos, request)

    async def _slos(self, request: web.Request) -> web.Response:
        self.tokens.authorize(request.headers.get("Authorization"), Role.VIEWER)
        _only(request, ())
        return _json(200, self.board())

    async def series(self, request: web.Request) -> web.StreamResponse:
        return await _answer(self._series, request)

    async def _series(self, request: web.Request) -> web.Response:
        self.tokens.authorize(request.headers.get("Authorization"), Role.VIEWER)
        _only(request, ("rule", "service", "group", "range"))
        params = {name: _single(request, name) for name in ("rule", "service", "group", "range")}
        span_text = params["range"] or "1h"
        if span_text not in RANGES:
            raise ApiError(400, f"query parameter range: {span_text!r} is not one of {', '.join(RANGES)}")
        span = min(RANGES[span_text], self.history.span)
        now = self.clock()
        if params["rule"] is None and params["service"] is None:
            listed = []
            for key in self.history.series_ids():
                info = series_info(self.engine, key)
                if info is not None:
                    listed.append({**info, "service": key.service, "group": key.group})
            return _json(200, {"series": listed, "ranges": list(RANGES)})
        if not params["rule"] or not params["service"]:
            raise ApiError(400, "query parameters rule and service go together (or leave both out for the list)")
        name, service = params["rule"], params["service"]
        kind = "slo" if any(s.name == name for s in self.engine.slos) else "rule"
        key = SeriesId(kind, name, service, params["group"] or "")
        info = series_info(self.engine, key)
        if info is None:
            raise ApiError(404, f"no rule or SLO {name!r}")
        found, _ = self.read_model.incidents(IncidentQuery(services=(service,), limit=1000))
        marks = [
            {
                "id": s.id,
                "severity": s.severity,
                "status": s.status,
                "title": s.title,
                "opened_at": s.opened_at,
                "resolved_at": s.resolved_at,
            }
            for s in found
            if s.opened_at <= now and (s.resolved_at is None or s.resolved_at >= now - span)
        ]
        return _json(
            200,
            {
                **info,
                "service": service,
                "group": key.group,
                "range": span_text,
                "from": now - span,
                "to": now,
                "points": self.history.points(key, since=now - span, max_points=720),
                "incidents": marks,
            },
        )

    # -- the live stream ------------------------------------------------------------------------

    async def stream(self, request: web.Request) -> web.StreamResponse:
        try:
            _only(request, ("token",))
            token = _single(request, "token")
            header = request.headers.get("Authorization") or (f"Bearer {token}" if token else None)
            self.tokens.authorize(header, Role.VIEWER)
        except ApiError as exc:
            return _json(exc.status, {"error": exc.message}, headers=exc.headers)
        subscription = self.hub.subscribe()
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache, no-store",
                "X-Accel-Buffering": "no",  # a proxy in front must not buffer the stream
            }
        )
        self.streams_open += 1
        try:
            await response.prepare(request)
            board = orjson.dumps(self.board())
            await self._write(
                response, retry_frame(2000) + comment_frame("vigil live stream") + event_frame("slos", board)
            )
            while True:
                frame = await subscription.next(self.heartbeat)
                if frame is None:
                    await self._write(response, comment_frame("heartbeat"))
                elif frame == b"":
                    if subscription.lagged:  # a client that stopped reading: no polite ending it would not read
                        raise TimeoutError(f"{subscription.maxsize} frames behind")
                    break  # the worker is stopping
                else:
                    await self._write(response, frame)
        except (ConnectionError, RuntimeError, TimeoutError) as exc:  # the client went away or stopped reading
            log.debug("stream closed: %r", exc)
            if request.transport is not None:
                request.transport.abort()
        finally:
            self.streams_open -= 1
            self.hub.unsubscribe(subscription)
        return response


async def _answer(handler: Callable[[web.Request], Awaitable[web.Response]], request: web.Request) -> web.Response:
    try:
        return await handler(request)
    except ApiError as exc:
        return _json(exc.status, {"error": exc.message}, headers=exc.headers)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return _json(500, {"error": "internal error; the worker's log has the details"})


def _json(status: int, body: Any, *, headers: Any = None) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json", headers=headers)


def _only(request: web.Request, allowed: tuple[str, ...]) -> None:
    for name in request.query:
        if name not in allowed:
            accepted = f" (accepted: {', '.join(allowed)})" if allowed else " (it takes none)"
            raise ApiError(400, f"query parameter {name!r}: unknown{accepted}")


def _single(request: web.Request, name: str) -> str | None:
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise ApiError(400, f"query parameter {name}: given more than once")
    if not values:
        return None
    value = values[0].strip()
    if len(value) > 500:
        raise ApiError(400, f"query parameter {name}: longer than 500 characters")
    return value


def _asset(name: str) -> bytes:
    return resources.files("streams.dashboard").joinpath("static", name).read_bytes()


def mount(web_app: web.Application, dashboard: DashboardApi) -> None:
    """Add the dashboard's routes to a plain aiohttp application (tests)."""
    for path, methods in dashboard.routes().items():
        for method, handler in methods.items():
            web_app.router.add_route(method, path, handler)
    web_app.on_shutdown.append(_closer(dashboard.hub))


def register_dashboard(
    app: faust.App,
    *,
    engine: RuleEngine,
    read_model: IncidentReadModel,
    tokens: ApiTokens,
    sample_every: float = 10.0,
    board_topic: str | None = None,
    bootstrap: str | None = None,
    worker: str = "",
) -> DashboardApi:
    """Declare the dashboard on a Faust app: its views, the SLI sampler timer and the incident feed.

    With a `board_topic` (and `bootstrap`), each sample is also published there under `worker`'s name, and
    every worker's samples are followed back into this one's board and history (see `shared`).
    """
    history = SliHistory()
    share = BoardShare(history, worker=worker) if board_topic is not None else None
    dashboard = DashboardApi(engine=engine, read_model=read_model, tokens=tokens, history=history, share=share)
    for path, methods in dashboard.routes().items():
        name = "dashboard" + path.replace("/", "_").replace("{", "").replace("}", "")
        app.page(path, name=name)(_faust_view(name, methods))
    read_model.subscribe(dashboard.on_incident)
    read_model.subscribe_silences(dashboard.on_silence)
    # Open streams would hold the web server's shutdown for its whole timeout: end them first.
    app.web.web_app.on_shutdown.append(_closer(dashboard.hub))
    board = app.topic(board_topic, key_serializer="raw", value_serializer="raw") if board_topic else None

    @app.timer(interval=sample_every, name="dashboard_sample")
    async def sample_slis() -> None:
        own = dashboard.sample()
        if board is not None:
            await board.send(key=worker.encode(), value=orjson.dumps(snapshot(worker, own)))

    if share is not None:
        assert board_topic is not None and bootstrap is not None, "a board topic needs the bootstrap servers"

        @app.task
        async def follow_board() -> None:
            feed = BoardFeed(bootstrap=bootstrap, topic=board_topic, share=share, span=history.span, loop=app.loop)
            await app.add_runtime_dependency(feed)

    return dashboard


def _closer(hub: EventHub) -> Callable[[web.Application], Awaitable[None]]:
    async def close_streams(_: web.Application) -> None:
        hub.close()
        await asyncio.sleep(0)  # let each stream see its end and return

    return close_streams


def _faust_view(name: str, methods: dict[str, Handler]) -> type[faust.web.View]:
    """A Faust view class whose methods call the plain aiohttp handlers."""

    def delegate(handler: Handler) -> Callable[..., Awaitable[web.StreamResponse]]:
        async def method(self: faust.web.View, request: web.Request, **match_info: str) -> web.StreamResponse:
            return await handler(request)

        return method

    return type(name, (faust.web.View,), {m.lower(): delegate(h) for m, h in methods.items()})
