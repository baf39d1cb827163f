"""The HTTP API: incidents and silences for people and tools (issue 4).

    IncidentReadModel   incidents and silences folded from the topics (pure)
    IncidentFollower    feeds it in every worker (group-less consumer)
    ApiTokens, Role     bearer tokens and what each role may do
    register_api        declares the views on the Faust app
    mount               the same handlers on a plain aiohttp app (tests)

Reads come from the read model; writes leave as ``schemas.Command``
records and are applied by the correlator that owns the incident.
"""

from streams.api.auth import ApiTokens, Principal, Role, TokenConfigError
from streams.api.errors import ApiError
from streams.api.follower import IncidentFollower
from streams.api.readmodel import IncidentQuery, IncidentReadModel, Silence
from streams.api.views import ALL_DOMAINS, IncidentApi, SendCommand, mount, register_api

__all__ = [
    "ALL_DOMAINS",
    "ApiError",
    "ApiTokens",
    "IncidentApi",
    "IncidentFollower",
    "IncidentQuery",
    "IncidentReadModel",
    "Principal",
    "Role",
    "SendCommand",
    "Silence",
    "TokenConfigError",
    "mount",
    "register_api",
]
