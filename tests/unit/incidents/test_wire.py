"""A book saved to its changelog table and restored carries on byte for byte."""

from __future__ import annotations

import orjson
import pytest

from correlator.incidents import IncidentBook
from schemas import IncidentEvent

from .factories import T0, alert, book, change, command, encoded, refresh, resolved, silence


def inputs():
    api = alert("ApiErrors", "advisor-api", summary="advisor-api error rate 2%")
    pg = alert("PostgresDown", "postgres", severity="critical", starts=30)
    return [
        ("change", change("advisor-api", "1.4.2", -120), -100),
        ("alert", api, 0),
        ("alert", pg, 30),
        ("alert", refresh(api, 60), 60),
        ("command", silence(['service="compliance-svc"'], 60, 900, id="s1"), 60),
        ("alert", alert("Slow", "compliance-svc", severity="medium", starts=70), 70),
        ("command", command("ack", 90, id="a1", incident_id=None), 90),
        ("alert", resolved(pg, 200), 200),
        ("tick", None, 300),
        ("alert", resolved(api, 310), 310),
        ("alert", resolved(alert("Slow", "compliance-svc", severity="medium", starts=70), 320), 320),
        ("tick", None, 650),
        ("alert", alert("PostgresDown", "postgres", severity="critical", starts=700), 700),
        ("tick", None, 1000),
    ]


def play(incidents: IncidentBook, steps) -> list[bytes]:
    out: list[IncidentEvent] = []
    for kind, record, at in steps:
        now = T0 + at
        if kind == "alert":
            out += incidents.on_alert(record, now)
        elif kind == "change":
            out += incidents.on_change(record, now)
        elif kind == "command":
            if record.kind == "ack":  # ack whatever incident advisor-api is in
                found = incidents.incident_for_group("service=advisor-api")
                record = command("ack", at, id=record.id, incident_id=found.id if found else "inc-x")
            out += incidents.on_command(record, now).events
        else:
            out += incidents.tick(now)
    return encoded(out)


@pytest.mark.parametrize("cut", range(len(inputs()) + 1))
def test_restored_book_continues_identically(cut: int) -> None:
    steps = inputs()
    straight = play(book(), steps)
    first = book()
    got = play(first, steps[:cut])
    saved = orjson.dumps(first.to_wire())  # what the worker writes to its table
    second = IncidentBook.from_wire(first.settings, orjson.loads(saved))
    assert orjson.dumps(second.to_wire()) == saved
    got += play(second, steps[cut:])
    assert got == straight
    assert len(straight) >= 10


def test_an_unknown_wire_version_is_refused() -> None:
    wire = book().to_wire()
    with pytest.raises(ValueError, match="unsupported incident book version 2"):
        IncidentBook.from_wire(book().settings, {**wire, "v": 2})
