"""Optional bearer tokens for the alert-intake endpoints.

Prometheus (`alerting.alertmanagers[].authorization`) and Alertmanager
(`webhook_configs[].http_config.authorization`) can both send a bearer
token. When `VIGIL_INTAKE_TOKENS` lists some, intake refuses any request
without one of them; unset, intake stays open (for a trusted network),
and the worker says so when it starts.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Mapping
from typing import Any

from streams.intake.errors import IntakeError

__all__ = ["IntakeTokens"]


class IntakeTokens:
    """The senders' tokens; none means intake is open."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self._tokens = tuple(t for t in (token.strip() for token in tokens) if t)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IntakeTokens:
        env = os.environ if env is None else env
        return cls(env.get("VIGIL_INTAKE_TOKENS", "").split(","))

    @property
    def open(self) -> bool:
        return not self._tokens

    def check(self, request: Any) -> None:
        """IntakeError(401) unless intake is open or the request carries a known bearer token."""
        if self.open:
            return
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise IntakeError(401, "missing bearer token (intake requires one of VIGIL_INTAKE_TOKENS)")
        given = token.strip().encode()
        # Compare against every token, always, so timing does not say how much of one matched.
        if not any([hmac.compare_digest(given, known.encode()) for known in self._tokens]):
            raise IntakeError(401, "unknown bearer token")

    def __repr__(self) -> str:
        return f"IntakeTokens({len(self._tokens)} token(s))"
