"""Bearer tokens and roles for the HTTP API.

Roles are ordered: ``viewer`` reads, ``responder`` also acks, resolves,
comments and manages silences, ``admin`` can do everything a responder can
(and whatever later needs more). Tokens come from the environment:

- ``VIGIL_API_TOKENS``: ``token:role[:name],token:role[:name]``;
- ``VIGIL_API_TOKENS_FILE``: a YAML file::

      tokens:
        - token: 3f9c…            # at least 16 characters of [A-Za-z0-9-._~+/]
          role: responder
          name: ana@example.com   # optional; recorded as the actor of her commands

Both may be set; their tokens add up. ``name`` defaults to ``token-`` and
the first 8 hex digits of the token's SHA-256, so commands always name an
actor without revealing the token.

A token is compared by its SHA-256 digest against every known digest with
:func:`hmac.compare_digest`, never stopping early, so neither the time
taken nor an error message says anything about a token. Tokens never
appear in logs, messages or ``repr``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import yaml

from streams.api.errors import ApiError

__all__ = ["MIN_TOKEN_LENGTH", "ApiTokens", "Principal", "Role", "TokenConfigError"]

MIN_TOKEN_LENGTH = 16
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*", re.ASCII)  # RFC 6750 b64token
_REALM = 'Bearer realm="vigil"'


class Role(IntEnum):
    """What a token may do; a higher role may do everything a lower one may."""

    VIEWER = 1
    RESPONDER = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            known = ", ".join(r.label for r in cls)
            raise ValueError(f"unknown role {text.strip()!r} (known: {known})") from None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request comes from: the token's name and role."""

    name: str
    role: Role


class TokenConfigError(ValueError):
    """The token configuration is unusable; the message never contains a token."""


class ApiTokens:
    """The known tokens; answers who a request is and whether it may do something."""

    def __init__(self, entries: Iterable[tuple[str, Role, str | None]] = ()) -> None:
        self._known: list[tuple[bytes, Principal]] = []
        for n, (token, role, name) in enumerate(entries, start=1):
            where = f"token #{n}" + (f" ({name})" if name else "")
            if not isinstance(token, str) or not _TOKEN.fullmatch(token):
                raise TokenConfigError(f"{where}: must be a string of letters, digits and -._~+/ (then any =)")
            if len(token) < MIN_TOKEN_LENGTH:
                raise TokenConfigError(f"{where}: is shorter than {MIN_TOKEN_LENGTH} characters")
            if name is not None and not (isinstance(name, str) and 0 < len(name) <= 200):
                raise TokenConfigError(f"{where}: name must be 1 to 200 characters")
            digest = _digest(token)
            if any(hmac.compare_digest(digest, known) for known, _ in self._known):
                raise TokenConfigError(f"{where}: the same token is listed twice")
            self._known.append((digest, Principal(name or f"token-{digest.hex()[:8]}", Role(role))))

    @classmethod
    def parse(cls, text: str) -> ApiTokens:
        """Tokens from ``token:role[:name],…`` (the form of ``VIGIL_API_TOKENS``)."""
        return cls(_parse_pairs(text))

    @classmethod
    def from_file(cls, path: str | Path) -> ApiTokens:
        """Tokens from a YAML file (see the module docstring)."""
        return cls(_read_file(Path(path)))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ApiTokens:
        """Tokens from ``VIGIL_API_TOKENS`` and ``VIGIL_API_TOKENS_FILE``; none if neither is set."""
        env = os.environ if env is None else env
        entries: list[tuple[str, Role, str | None]] = []
        if env.get("VIGIL_API_TOKENS", "").strip():
            entries.extend(_parse_pairs(env["VIGIL_API_TOKENS"], source="VIGIL_API_TOKENS"))
        if env.get("VIGIL_API_TOKENS_FILE", "").strip():
            entries.extend(_read_file(Path(env["VIGIL_API_TOKENS_FILE"])))
        return cls(entries)

    def __len__(self) -> int:
        return len(self._known)

    def __repr__(self) -> str:
        roles = ", ".join(f"{p.name}:{p.role.label}" for _, p in self._known)
        return f"ApiTokens([{roles}])"

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal an ``Authorization`` header names; ApiError(401) if none."""
        if not authorization or not authorization.strip():
            raise ApiError(401, "missing bearer token (send 'Authorization: Bearer <token>')", headers=_challenge())
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(
                401, "the Authorization header must be 'Bearer <token>'", headers=_challenge("invalid_request")
            )
        presented = _digest(token)
        found: Principal | None = None
        for digest, principal in self._known:  # no early exit: same work whichever token matches
            if hmac.compare_digest(presented, digest):
                found = principal
        if found is None:
            raise ApiError(401, "invalid bearer token", headers=_challenge("invalid_token"))
        return found

    def authorize(self, authorization: str | None, needs: Role) -> Principal:
        """Like :meth:`authenticate`, then ApiError(403) unless the role is at least ``needs``."""
        principal = self.authenticate(authorization)
        if principal.role < needs:
            raise ApiError(
                403,
                f"this needs the {needs.label} role; the token has {principal.role.label}",
                headers=_challenge("insufficient_scope"),
            )
        return principal


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def _challenge(error: str | None = None) -> dict[str, str]:
    return {"WWW-Authenticate": _REALM + (f', error="{error}"' if error else "")}


def _parse_pairs(text: str, *, source: str = "tokens") -> list[tuple[str, Role, str | None]]:
    entries: list[tuple[str, Role, str | None]] = []
    for n, item in enumerate((p.strip() for p in text.split(",")), start=1):
        if not item:
            continue
        token, sep, rest = item.partition(":")
        role_text, _, name = rest.partition(":")
        if not sep or not token.strip() or not role_text.strip():
            raise TokenConfigError(f"{source} entry {n}: expected token:role or token:role:name")
        try:
            role = Role.parse(role_text)
        except ValueError as exc:
            raise TokenConfigError(f"{source} entry {n}: {exc}") from None
        entries.append((token.strip(), role, name.strip() or None))
    return entries


def _read_file(path: Path) -> list[tuple[str, Role, str | None]]:
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TokenConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError:
        # The parser's message quotes the offending line, which may hold a token.
        raise TokenConfigError(f"{path}: not valid YAML") from None
    items = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise TokenConfigError(f"{path}: expected a mapping with a 'tokens' list")
    entries: list[tuple[str, Role, str | None]] = []
    for n, item in enumerate(items, start=1):
        where = f"{path}: tokens[{n - 1}]"
        if not isinstance(item, dict) or set(item) - {"token", "role", "name"}:
            raise TokenConfigError(f"{where}: expected a mapping with token, role and optionally name")
        token, role_text, name = item.get("token"), item.get("role"), item.get("name")
        if not isinstance(token, str):
            raise TokenConfigError(f"{where}: token must be a string")
        if not isinstance(role_text, str):
            raise TokenConfigError(f"{where}: role must be a string")
        if name is not None and not isinstance(name, str):
            raise TokenConfigError(f"{where}: name must be a string")
        try:
            role = Role.parse(role_text)
        except ValueError as exc:
            raise TokenConfigError(f"{where}: {exc}") from None
        entries.append((token, role, name))
    return entries
