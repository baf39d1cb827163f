"""The live dashboard a worker serves (issue 7).

    SliHistory, SeriesId   the last hours of every SLI, one point per 10 s (pure)
    sla_board, read_engine the SLA board's tiles, read from the rule engine (pure)
    EventHub               fans server-sent event frames out to open streams
    DashboardApi           the page, /api/whoami, /api/slos, /api/series, /api/stream
    register_dashboard     declares it all on the Faust app; mount: on a plain aiohttp app (tests)

The page itself (static/) is vanilla JavaScript with no build step, served
by the worker: nothing is loaded from anywhere else.
"""

from streams.dashboard.board import read_engine, series_info, sla_board
from streams.dashboard.history import SeriesId, SliHistory
from streams.dashboard.hub import EventHub, Subscription
from streams.dashboard.sse import comment_frame, event_frame, retry_frame
from streams.dashboard.views import RANGES, DashboardApi, mount, register_dashboard

__all__ = [
    "RANGES",
    "DashboardApi",
    "EventHub",
    "SeriesId",
    "SliHistory",
    "Subscription",
    "comment_frame",
    "event_frame",
    "mount",
    "read_engine",
    "register_dashboard",
    "retry_frame",
    "series_info",
    "sla_board",
]
