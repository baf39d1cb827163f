"""The console notifier: one line per notification, on the log or a stream; always delivered."""

from __future__ import annotations

import io
import logging
from typing import Any

import msgspec
import pytest

from notifiers.base import Message, Notifier, NotifierConfigError
from notifiers.console import ConsoleNotifier, Stream
from notifiers.registry import build_notifier
from schemas.enums import IncidentEventType
from schemas.examples import INCIDENT_EVENT

LINE = "NOTIFY oncall-console inc-5d41402abc4b [CRITICAL] OPENED: checkout-api: p99 latency of /pay above 1s for 5m (level 0)"


def message(**changes: Any) -> Message:
    fields: dict[str, Any] = {
        "key": "inc-5d41402abc4b:opened:0",
        "receiver": "oncall-console",
        "event": IncidentEventType.OPENED,
        "incident": INCIDENT_EVENT.incident,
        "ts": INCIDENT_EVENT.ts,
    }
    fields.update(changes)
    return Message(**fields)


async def test_logs_one_warning_line_on_vigil_notify(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    console = ConsoleNotifier.from_options("oncall-console", {}, {})

    with caplog.at_level(logging.WARNING, logger="vigil.notify"):
        outcome = await console.send(message(), None)  # type: ignore[arg-type]  # needs no HTTP session

    assert outcome.delivered and outcome.detail == "logged"
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [("vigil.notify", logging.WARNING, LINE)]
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
async def test_writes_the_line_to_the_chosen_stream_instead(
    stream: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    console = ConsoleNotifier.from_options("oncall-console", {"stream": stream}, {})

    with caplog.at_level(logging.DEBUG, logger="vigil.notify"):
        outcome = await console.send(message(level=2, event=IncidentEventType.ESCALATED), None)  # type: ignore[arg-type]

    assert outcome.delivered and outcome.detail == f"written to {stream}"
    out, err = capsys.readouterr()
    expected = (
        "NOTIFY oncall-console inc-5d41402abc4b [CRITICAL] ESCALATED to level 3:"
        " checkout-api: p99 latency of /pay above 1s for 5m (level 2)\n"
    )
    assert (out if stream == "stdout" else err) == expected
    assert (err if stream == "stdout" else out) == ""
    assert caplog.records == []


async def test_a_title_with_a_line_break_still_makes_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    incident = msgspec.structs.replace(INCIDENT_EVENT.incident, title="first\nNOTIFY forged line")
    console = ConsoleNotifier.from_options("oncall-console", {"stream": "stdout"}, {})

    await console.send(message(incident=incident), None)  # type: ignore[arg-type]

    assert capsys.readouterr().out == (
        "NOTIFY oncall-console inc-5d41402abc4b [CRITICAL] OPENED: first NOTIFY forged line (level 0)\n"
    )


async def test_a_closed_stream_is_a_failed_attempt_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr("sys.stdout", closed)
    console = ConsoleNotifier.from_options("oncall-console", {"stream": "stdout"}, {})

    outcome = await console.send(message(), None)  # type: ignore[arg-type]

    assert not outcome.delivered and not outcome.retryable
    assert outcome.detail == "cannot write to stdout: ValueError"


def test_kind_defaults_and_registry() -> None:
    console = build_notifier("oncall-console", "console", {}, {})
    assert isinstance(console, ConsoleNotifier) and isinstance(console, Notifier)
    assert console.stream is Stream.LOG
    assert ConsoleNotifier.kind == "console" and ConsoleNotifier.default_rate_per_second == 1000.0


@pytest.mark.parametrize(
    ("options", "option", "problem"),
    [
        ({"stream": "syslog"}, "stream", "must be one of log, stderr, stdout, not 'syslog'"),
        ({"stream": "stdout", "colour": True, "level": "info"}, "colour", "unknown option(s) colour, level"),
    ],
)
def test_bad_options_are_refused_naming_the_option(options: dict[str, Any], option: str, problem: str) -> None:
    with pytest.raises(NotifierConfigError) as caught:
        ConsoleNotifier.from_options("oncall-console", options, {})
    assert caught.value.option == option
    assert problem in caught.value.problem
