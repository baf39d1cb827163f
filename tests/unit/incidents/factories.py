"""Factories for incident tests: alerts as the rule engine sends them, changes, commands, books."""

from __future__ import annotations

from typing import Any

from correlator.alerts import fingerprint
from correlator.incidents import CorrelationSettings, IncidentBook, Topology
from schemas import Alert, Change, Command, IncidentEvent, SilenceSpec, encode

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a Thursday

PLATFORM = Topology(
    {
        "advisor-api": ("postgres", "compliance-svc"),
        "compliance-svc": ("postgres",),
        "reports-svc": ("postgres",),
    }
)


def alert(
    rule: str,
    service: str,
    *,
    severity: str = "high",
    status: str = "firing",
    starts: float = 0.0,
    at: float | None = None,
    summary: str | None = None,
    **labels: str,
) -> Alert:
    """An alert record like the rule engine's: times are offsets from T0; `at` is the record's event time.

    A resolved alert ends at `at`. The fingerprint hashes the rule and the group labels (service + extras).
    """
    group = {"service": service, **labels}
    at = starts if at is None else at
    return Alert(
        fingerprint=fingerprint(rule, group),
        rule=rule,
        status=status,
        severity=severity,
        labels={**group, "alertname": rule, "severity": severity},
        annotations={"summary": summary} if summary else {},
        value=1.0,
        threshold=0.5,
        starts_at=T0 + starts,
        ends_at=T0 + at if status == "resolved" else None,
        event_ts=T0 + at,
        emitted_at=T0 + at,
    )


def resolved(firing: Alert, at: float) -> Alert:
    """The resolution of `firing`'s episode at offset `at`."""
    return Alert(
        **{
            **{f: getattr(firing, f) for f in firing.__struct_fields__},
            "status": "resolved",
            "ends_at": T0 + at,
            "event_ts": T0 + at,
            "emitted_at": T0 + at,
        }
    )


def refresh(firing: Alert, at: float) -> Alert:
    """A re-send of `firing` at offset `at`: same fingerprint and starts_at, later event time."""
    return Alert(**{**{f: getattr(firing, f) for f in firing.__struct_fields__}, "event_ts": T0 + at})


def change(
    service: str, version: str, at: float, *, kind: str = "deploy", author: str = "bruno@example.com", id: str = ""
) -> Change:
    return Change(
        id=id or f"{service}-{version}",
        kind=kind,
        service=service,
        version=version,
        author=author,
        ts=T0 + at,
        link=f"https://ci.example.com/{service}/{version}",
    )


def command(kind: str, at: float, *, id: str = "", domain: str = "postgres", **fields: Any) -> Command:
    return Command(id=id or f"{kind}-{at}", kind=kind, domain=domain, actor="ana@example.com", ts=T0 + at, **fields)


def silence(matchers: list[str], starts: float, ends: float, at: float | None = None, *, id: str = "") -> Command:
    spec = SilenceSpec(matchers=matchers, starts_at=T0 + starts, ends_at=T0 + ends, comment="maintenance")
    return command("silence", starts if at is None else at, id=id or f"silence-{starts}", silence=spec)


def book(**settings: Any) -> IncidentBook:
    settings.setdefault("topology", PLATFORM)
    config = CorrelationSettings(**settings)
    return IncidentBook(config, config.topology.domain("advisor-api"))


def kinds(events: list[IncidentEvent]) -> list[str]:
    return [str(e.event) for e in events]


def encoded(events: list[IncidentEvent]) -> list[bytes]:
    """The events as published: encode() validates each against its schema."""
    return [encode(e) for e in events]
