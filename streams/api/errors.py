"""The one exception the API layer raises.

    Exception
     └── ApiError         a request the API refuses (4xx) or cannot serve now (503)

Every failure a handler can meet (bad JSON, a wrong type, an unknown field,
a bad matcher, a missing token, an unknown incident, Kafka unreachable) is
translated into an ApiError at the boundary, with ``raise … from exc`` where
there is a cause. The view layer turns it into a JSON response
``{"error": message}`` with ``status`` and ``headers``; nothing a client
sends ends up as a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["ApiError"]

_NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class ApiError(Exception):
    """A refused request: HTTP ``status``, a ``message`` for people, extra response ``headers``."""

    status: int
    message: str
    headers: Mapping[str, str]

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = MappingProxyType(dict(headers)) if headers else _NO_HEADERS

    def __reduce__(self):  # keep pickling working, like SchemaError
        return (_rebuild, (type(self), self.status, self.message, dict(self.headers)))


def _rebuild(cls: type[ApiError], status: int, message: str, headers: dict[str, str]) -> ApiError:
    return cls(status, message, headers=headers)
