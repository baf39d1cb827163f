"""The records the notify agents write besides notifications: escalate commands and Vigil's own alert."""

from __future__ import annotations

from correlator.alerts import fingerprint
from schemas import Alert, Command, Notification, decode, encode
from streams.notify import escalation_commands, receiver_failing_alert
from tests.unit.api.fixtures import T0, snapshot


def note(receiver: str, cause: str, event: str = "escalated", level: int = 1) -> Notification:
    incident = snapshot("inc-1", severity="critical")
    return Notification(
        key=f"inc-1/{receiver}/{cause}",
        receiver=receiver,
        incident_id="inc-1",
        event=event,
        ts=T0 + 300,
        reason="escalation level 1: not acknowledged within 5 min",
        policy="oncall",
        level=level,
        incident=incident,
    )


def test_one_escalate_command_per_step_naming_everyone_paged() -> None:
    notes = [
        note("pager", "escalation-0-0-1"),
        note("boss", "escalation-0-0-1"),
        note("chat", "update-0-3", event="alert_added", level=0),
    ]
    [command] = escalation_commands(notes)
    assert command == decode(Command, encode(command))  # a valid record
    assert command.id == "inc-1/escalation-0-0-1"  # the step's own id: applied once however often decided
    assert command.kind == "escalate" and command.domain == "advisor-api" and command.incident_id == "inc-1"
    assert command.actor == "vigil" and command.ts == T0 + 300
    assert command.note == "escalation level 1: not acknowledged within 5 min; paged pager, boss (policy oncall)"


def test_no_command_without_an_escalation() -> None:
    assert escalation_commands([note("chat", "opened-0", event="opened", level=0)]) == []


def test_the_failingreceiver_failing_alert_fires_and_resolves_with_one_fingerprint() -> None:
    firing = receiver_failing_alert("oncall-pager", "5 deliveries failed: 503", since=T0)
    resolved = receiver_failing_alert("oncall-pager", "delivering again", since=T0, ended=T0 + 120)
    for alert in (firing, resolved):
        assert alert == decode(Alert, encode(alert))
    assert firing.status == "firing" and resolved.status == "resolved"
    assert firing.fingerprint == resolved.fingerprint == fingerprint("VigilReceiverFailing", firing.labels)
    assert firing.labels == {"alertname": "VigilReceiverFailing", "service": "vigil", "receiver": "oncall-pager"}
    assert resolved.starts_at == T0 and resolved.ends_at == T0 + 120
    assert "oncall-pager" in firing.annotations["summary"] and "503" in firing.annotations["summary"]
