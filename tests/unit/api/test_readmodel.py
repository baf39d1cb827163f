"""The read model: latest snapshot per incident, its events, queries and silences."""

from __future__ import annotations

from correlator.incidents.muting import silence_id_for
from schemas import Command, SilenceSpec
from streams.api import IncidentQuery, IncidentReadModel
from tests.unit.api.fixtures import T0, event


def _model(*events):
    model = IncidentReadModel()
    for e in events:
        model.apply(e)
    return model


def test_latest_snapshot_wins_and_events_accumulate_without_snapshots():
    model = _model(
        event("opened"),
        event("acknowledged", ts=T0 + 60, actor="ana", note="on it", status="acknowledged"),
    )
    assert model.incident("inc-1").status == "acknowledged"
    assert [e["event"] for e in model.events("inc-1")] == ["opened", "acknowledged"]
    assert model.events("inc-1")[1] == {
        "event": "acknowledged",
        "incident_id": "inc-1",
        "ts": T0 + 60,
        "actor": "ana",
        "note": "on it",
        "notify": True,
    }
    assert model.incident("nope") is None and model.events("nope") == []


def test_a_redelivered_event_is_applied_once():
    opened = event("opened")
    model = _model(opened, opened)
    assert len(model.events("inc-1")) == 1


def test_list_filters_and_orders_newest_first():
    model = _model(
        event(incident_id="a", opened_at=T0, severity="low", services=["postgres"]),
        event(incident_id="b", opened_at=T0 + 10, status="acknowledged"),
        event(incident_id="c", opened_at=T0 + 20, status="resolved", severity="critical"),
        event(incident_id="d", opened_at=T0 + 30, services=["advisor-api", "postgres"]),
    )
    ids = lambda q: [s.id for s in model.incidents(q)[0]]  # noqa: E731
    assert ids(IncidentQuery()) == ["d", "c", "b", "a"]
    assert ids(IncidentQuery(statuses={"triggered", "acknowledged"})) == ["d", "b", "a"]
    assert ids(IncidentQuery(severities={"critical", "low"})) == ["c", "a"]
    assert ids(IncidentQuery(services={"postgres"})) == ["d", "a"]
    assert ids(IncidentQuery(since=T0 + 10, until=T0 + 30)) == ["c", "b"]
    found, total = model.incidents(IncidentQuery(limit=2))
    assert [s.id for s in found] == ["d", "c"] and total == 4


def test_memory_is_bounded_oldest_resolved_go_first():
    model = IncidentReadModel(max_incidents=2, max_events=3)
    model.apply(event(incident_id="old-open"))
    model.apply(event(incident_id="resolved", status="resolved"))
    model.apply(event(incident_id="new"))
    assert model.incident("resolved") is None
    assert model.incident("old-open") is not None and model.incident("new") is not None
    for n in range(5):
        model.apply(event("comment", ts=T0 + n + 1, note=f"n{n}", incident_id="new"))
    assert [e["note"] for e in model.events("new")] == ["n2", "n3", "n4"]


def _silence_command(sid="s1", *, ts=T0, starts=T0, ends=T0 + 3600, cid="c1"):
    return Command(
        id=cid,
        kind="silence",
        domain="*",
        actor="ana",
        ts=ts,
        silence=SilenceSpec(matchers=["service=postgres"], starts_at=starts, ends_at=ends, comment="drill"),
        silence_id=sid,
    )


def _unsilence_command(sid="s1", *, ts=T0 + 60, cid="c2"):
    return Command(id=cid, kind="unsilence", domain="*", actor="bruno", ts=ts, silence_id=sid)


def test_eviction_follows_status_changes_and_the_order_of_the_last_change():
    model = IncidentReadModel(max_incidents=3)
    model.apply(event(incident_id="a", status="resolved"))
    model.apply(event(incident_id="b", status="resolved"))
    model.apply(event("reopened", ts=T0 + 1, incident_id="a", status="triggered"))  # a is open again
    model.apply(event(incident_id="c"))
    model.apply(event(incident_id="d"))  # over the cap: b, the only resolved one, goes
    assert [model.incident(i) is not None for i in "abcd"] == [True, False, True, True]
    model.apply(event(incident_id="e"))  # none resolved: the least recently changed, a, goes
    assert [model.incident(i) is not None for i in "acde"] == [False, True, True, True]


def test_silences_from_commands_with_states():
    model = IncidentReadModel()
    model.apply_command(_silence_command("active"))
    model.apply_command(_silence_command("pending", starts=T0 + 100, ends=T0 + 200, cid="c3"))
    model.apply_command(_silence_command("expired", ends=T0 + 10, cid="c4"))
    model.apply_command(Command(id="c5", kind="ack", domain="d", incident_id="inc-1", actor="ana", ts=T0))
    now = T0 + 50
    assert [(s.id, s.state(now)) for s in model.silences(now)] == [("active", "active"), ("pending", "pending")]
    assert [s.id for s in model.silences(now, include_expired=True)] == ["active", "pending", "expired"]
    assert model.silence("active").to_json(now)["created_by"] == "ana"


def test_fanned_out_copies_and_an_early_unsilence():
    model = IncidentReadModel()
    model.apply_command(_silence_command())
    model.apply_command(_unsilence_command())
    model.apply_command(_silence_command())  # a copy from another partition, after the unsilence
    silence = model.silence("s1")
    assert silence.ends_at == T0 + 60 and silence.ended_by == "bruno"
    assert silence.state(T0 + 61) == "expired"

    model = IncidentReadModel()
    model.apply_command(_unsilence_command())  # before its silence
    model.apply_command(_silence_command())
    assert model.silence("s1").ended_by == "bruno" and model.silence("s1").state(T0 + 61) == "expired"


def test_silence_listeners_hear_each_creation_and_end_once():
    model = IncidentReadModel()
    heard = []
    unsubscribe = model.subscribe_silences(lambda silence: heard.append((silence.id, silence.ended_by)))
    model.apply_command(_silence_command())
    model.apply_command(_silence_command())  # a fanned-out copy: nothing new
    model.apply_command(_unsilence_command())
    model.apply_command(_unsilence_command(cid="c9"))  # already ended
    model.apply_command(_unsilence_command("unknown", cid="c10"))  # its silence is not here yet
    model.apply_command(Command(id="c5", kind="ack", domain="d", incident_id="inc-1", actor="ana", ts=T0))
    assert heard == [("s1", None), ("s1", "bruno")]
    unsubscribe()
    model.apply_command(_silence_command("s2", cid="c11"))
    assert len(heard) == 2


def test_a_silence_command_without_an_id_gets_the_correlators_id():
    model = IncidentReadModel()
    command = _silence_command()
    model.apply_command(Command(**{**{f: getattr(command, f) for f in command.__struct_fields__}, "silence_id": None}))
    (silence,) = model.silences(T0 + 1)
    assert silence.id == silence_id_for("*", "c1") and silence.id.startswith("sil-")


def test_long_expired_silences_are_forgotten():
    model = IncidentReadModel(silence_retention=100)
    model.apply_command(_silence_command(ends=T0 + 10))
    assert model.silences(T0 + 50, include_expired=True)
    assert model.silences(T0 + 200, include_expired=True) == []
    assert model.silence("s1") is None


def test_two_changes_in_the_same_second_are_both_kept() -> None:
    """Alerts posted together produce events with equal times; only their snapshots differ."""
    import msgspec

    from schemas import EXAMPLES, IncidentEvent

    example = EXAMPLES[IncidentEvent]
    first = msgspec.structs.replace(example, event="alert_added")
    second = msgspec.structs.replace(
        first, incident=msgspec.structs.replace(first.incident, alerts=[*first.incident.alerts, "0123456789abcdef"])
    )
    model = IncidentReadModel()
    model.apply(first)
    model.apply(second)
    model.apply(second)  # a redelivery
    assert model.incident(first.incident_id).alerts == second.incident.alerts
    assert [e["event"] for e in model.events(first.incident_id)] == ["alert_added", "alert_added"]
