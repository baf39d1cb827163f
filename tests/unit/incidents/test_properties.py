"""Properties over random inputs: one incident per group whatever the order, and replay gives the same bytes."""

from __future__ import annotations

import random
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.incidents import IncidentBook, InhibitRule, Topology, parse_matchers
from schemas import Alert, IncidentEvent

from .factories import T0, alert, book, change, command, encoded, refresh, resolved, silence

SERVICES = ["advisor-api", "compliance-svc", "postgres", "reports-svc", "whatsapp-gateway"]
RULES = ["Latency", "Errors", "Saturation"]
SEVERITIES = ["low", "medium", "high", "critical"]
INHIBIT = InhibitRule(
    source=parse_matchers(['severity="critical"'], "s"),
    target=parse_matchers(['severity="low"'], "t"),
    equal=("service",),
)


# -- any order, any duplication ---------------------------------------------------------

firing_alerts = st.lists(
    st.tuples(st.sampled_from(RULES), st.sampled_from(SERVICES), st.integers(0, 3600), st.integers(0, 5)),
    min_size=1,
    max_size=25,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=150, deadline=None)
@given(firing_alerts, st.randoms(use_true_random=False), st.booleans())
def test_any_order_or_duplication_gives_one_incident_per_group(specs, rng: random.Random, topology: bool) -> None:
    records: list[Alert] = []
    for rule, service, start, refreshes in specs:
        first = alert(rule, service, starts=start, severity=SEVERITIES[start % 4])
        records += [first] + [refresh(first, start + 60 * (n + 1)) for n in range(refreshes)]
    records += rng.choices(records, k=len(records) // 2)  # duplicates
    rng.shuffle(records)
    incidents = book() if topology else book(topology=Topology())
    events: list[IncidentEvent] = []
    for record in records:
        events += incidents.on_alert(record, record.event_ts + 1)
    encoded(events)
    incident_of: dict[str, set[str]] = {}
    for event in events:
        for detail in event.incident.alert_details:
            incident_of.setdefault(detail.labels["service"], set()).add(event.incident_id)
    assert all(len(ids) == 1 for ids in incident_of.values()), incident_of
    groups = {service for _, service, _, _ in specs}
    assert set(incident_of) == groups
    if not topology:
        assert len({e.incident_id for e in events}) == len(groups)
    assert [e.event for e in events].count("opened") == len({e.incident_id for e in events})


# -- realistic sequences: replay and restore -----------------------------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "fire",
                "fire",
                "fire",
                "resolve",
                "resolve",
                "tick",
                "change",
                "ack",
                "close",
                "comment",
                "silence",
                "flap",
            ]
        ),
        st.integers(0, len(SERVICES) - 1),
        st.integers(0, 1),
        st.integers(0, 3),
        st.sampled_from([0, 5, 30, 60, 60, 200, 400]),
    ),
    min_size=1,
    max_size=60,
)


def steps_of(ops: list[tuple[str, int, int, int, int]]) -> list[tuple[str, Any, float]]:
    """Turn generated operations into inputs with times, as a worker would see them."""
    steps: list[tuple[str, Any, float]] = []
    firing: dict[tuple[str, str], Alert] = {}
    at = 0.0
    for n, (op, s, r, sev, dt) in enumerate(ops):
        at += dt
        service, rule = SERVICES[s], RULES[r]
        if op == "fire":
            current = firing.get((rule, service))
            record = refresh(current, at) if current else alert(rule, service, starts=at, severity=SEVERITIES[sev])
            firing[(rule, service)] = firing.get((rule, service), record)
            steps.append(("alert", record, at))
        elif op == "resolve":
            current = firing.pop((rule, service), None) or alert(rule, service, starts=max(0.0, at - 10))
            steps.append(("alert", resolved(current, at), at))
        elif op == "tick":
            steps.append(("tick", None, at))
        elif op == "flap":  # a burst of state changes of one alert
            for _ in range(sev + 3):
                at += 10
                current = firing.pop((rule, service), None)
                if current is not None:
                    steps.append(("alert", resolved(current, at), at))
                else:
                    firing[(rule, service)] = current = alert(rule, service, starts=at, severity="critical")
                    steps.append(("alert", current, at))
        elif op == "change":
            steps.append(("change", change(service, f"1.{n}", at - 60 * sev), at))
        elif op == "silence":
            steps.append(("command", silence([f'service="{service}"'], at, at + 120 * (sev + 1), id=f"s{n}"), at))
        else:
            steps.append((op, (service, n), at))
    return steps


def play(incidents: IncidentBook, steps: list[tuple[str, Any, float]]) -> list[IncidentEvent]:
    out: list[IncidentEvent] = []
    for kind, record, at in steps:
        now = T0 + at
        if kind == "alert":
            out += incidents.on_alert(record, now)
        elif kind == "change":
            out += incidents.on_change(record, now)
        elif kind == "tick":
            out += incidents.tick(now)
        elif kind == "command":
            out += incidents.on_command(record, now).events
        else:
            service, n = record
            found = incidents.incident_for_group(f"service={service}")
            incident_id = found.id if found is not None else "inc-missing"
            verb = {"ack": "ack", "close": "resolve", "comment": "comment"}[kind]
            cmd = command(verb, at, id=f"c{n}", incident_id=incident_id, note="note" if verb == "comment" else None)
            out += incidents.on_command(cmd, now).events
    return out


def fresh() -> IncidentBook:
    return book(inhibit_rules=(INHIBIT,), flap_changes=3, flap_window=300, resolve_timeout=120, reopen_window=600)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_replaying_the_same_inputs_gives_identical_events(ops) -> None:
    steps = steps_of(ops)
    first = encoded(play(fresh(), steps))
    second = encoded(play(fresh(), steps))
    assert first == second


@settings(max_examples=150, deadline=None)
@given(operations, st.data())
def test_a_book_restored_mid_sequence_continues_identically(ops, data) -> None:
    steps = steps_of(ops)
    straight = encoded(play(fresh(), steps))
    cut = data.draw(st.integers(0, len(steps)))
    first = fresh()
    got = encoded(play(first, steps[:cut]))
    restored = IncidentBook.from_wire(first.settings, orjson.loads(orjson.dumps(first.to_wire())))
    got += encoded(play(restored, steps[cut:]))
    assert got == straight


@settings(max_examples=150, deadline=None)
@given(operations)
def test_invariants_hold_along_any_sequence(ops) -> None:
    incidents = fresh()
    for step in steps_of(ops):
        events = play(incidents, [step])
        open_groups: dict[str, str] = {}
        for snapshot in incidents.incidents():
            if snapshot.status != "resolved":
                for detail in snapshot.alert_details:
                    service = detail.labels["service"]
                    assert open_groups.setdefault(service, snapshot.id) == snapshot.id
            firing = [d for d in snapshot.alert_details if d.status == "firing"]
            audible = [d for d in firing if d.silenced_by is None and d.inhibited_by is None] or firing
            if audible:
                rank = SEVERITIES.index
                assert snapshot.severity == max((d.severity for d in audible), key=rank)
            assert (snapshot.root_cause is None) == (not snapshot.services)
        for event in events:
            if event.incident.flapping and event.event != "stable":
                assert not event.notify
