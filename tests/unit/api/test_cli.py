"""`vigil incidents` and `vigil silence` against a real API server: output, errors and exit codes."""

from __future__ import annotations

import argparse
import asyncio
import socket

import orjson
import pytest

from streams.api import IncidentReadModel
from tests.unit.api.fixtures import RESPONDER, T0, VIEWER, event, running_api
from vigil.commands.incidents import add_incidents_parser, incidents
from vigil.commands.silences import add_silence_parser, silence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigil")
    sub = parser.add_subparsers(dest="command", required=True)
    add_incidents_parser(sub)
    add_silence_parser(sub)
    return parser


async def _vigil(*argv: str) -> int:
    args = _parser().parse_args(argv)
    command = incidents if args.command == "incidents" else silence
    return await asyncio.to_thread(command, args)


def _model():
    model = IncidentReadModel(caught_up=True)
    inc1 = {"incident_id": "inc-1", "title": "advisor-api: [p95] latency above 0.5s", "root_cause": "postgres"}
    model.apply(event(**inc1))
    model.apply(event("comment", ts=T0 + 30, actor="ana", note="looking at the pool", **inc1))
    model.apply(event(incident_id="inc-2", opened_at=T0 + 100, severity="critical", status="resolved"))
    return model


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("VIGIL_URL", raising=False)
    monkeypatch.delenv("VIGIL_TOKEN", raising=False)


async def test_list_and_show(capsys):
    async with running_api(_model()) as api:
        assert await _vigil("incidents", "list", "--url", api.url, "--token", VIEWER) == 0
        out = capsys.readouterr().out
        assert out.index("inc-2") < out.index("inc-1") and "[p95]" in out and "resolved" in out

        assert await _vigil("incidents", "list", "--url", api.url, "--token", VIEWER, "--status", "open", "--json") == 0
        assert [i["id"] for i in orjson.loads(capsys.readouterr().out)["incidents"]] == ["inc-1"]

        assert await _vigil("incidents", "show", "inc-1", "--url", api.url, "--token", VIEWER) == 0
        out = capsys.readouterr().out
        assert "advisor-api: [p95] latency above 0.5s" in out and "root cause" in out and "postgres" in out
        assert "looking at the pool" in out and "2026-01-01 00:00:30" in out


async def test_ack_resolve_comment_send_commands(capsys):
    async with running_api(_model()) as api:
        common = ("--url", api.url, "--token", RESPONDER)
        assert await _vigil("incidents", "ack", "inc-1", "--note", "mine", *common) == 0
        assert await _vigil("incidents", "resolve", "inc-1", *common) == 0
        assert await _vigil("incidents", "comment", "inc-1", "pool was too small", *common) == 0
        assert [(c.kind, c.incident_id, c.note) for c in api.sent] == [
            ("ack", "inc-1", "mine"),
            ("resolve", "inc-1", None),
            ("comment", "inc-1", "pool was too small"),
        ]
        out = capsys.readouterr().out
        assert f"acknowledgement of inc-1 accepted (command {api.sent[0].id})" in out


async def test_silence_add_list_delete(capsys, monkeypatch):
    async with running_api(_model()) as api:
        monkeypatch.setenv("VIGIL_URL", api.url)  # the defaults come from the environment
        monkeypatch.setenv("VIGIL_TOKEN", RESPONDER)
        assert (
            await _vigil(
                "silence", "add", "service=postgres", "alertname=~Pg.*", "--duration", "2h", "--comment", "drill"
            )
            == 0
        )
        (command,) = api.sent
        assert command.silence.matchers == ["service=postgres", "alertname=~Pg.*"]
        assert command.silence.ends_at - command.silence.starts_at == 7200
        assert f"silence {command.silence_id} accepted" in capsys.readouterr().out

        api.model.apply_command(command)
        assert await _vigil("silence", "list") == 0
        out = capsys.readouterr().out
        assert command.silence_id in out and "active" in out and "drill" in out

        assert await _vigil("silence", "delete", command.silence_id) == 0
        assert api.sent[-1].kind == "unsilence" and api.sent[-1].silence_id == command.silence_id


@pytest.mark.parametrize(
    ("argv", "token", "expected"),
    [
        (("incidents", "list"), None, "vigil: not authenticated (401): missing bearer token"),
        (("incidents", "list"), "wrong-token-0123456789", "vigil: not authenticated (401): invalid bearer token"),
        (("incidents", "ack", "inc-1"), VIEWER, "vigil: not allowed (403): this needs the responder role"),
        (("incidents", "show", "inc-9"), VIEWER, "vigil: not found (404): no incident 'inc-9'"),
        (("incidents", "list", "--since", "yesterday"), VIEWER, "vigil: refused (400): query parameter since"),
        (
            ("silence", "add", "postgres", "--duration", "1h", "--comment", "x"),
            RESPONDER,
            "body.matchers[0]: not a label matcher",
        ),
        (("silence", "delete", "nope"), RESPONDER, "vigil: not found (404): no silence 'nope'"),
    ],
)
async def test_api_errors_exit_1_with_the_reason(capsys, argv, token, expected):
    async with running_api(_model()) as api:
        extra = ("--url", api.url) + (("--token", token) if token else ())
        assert await _vigil(*argv, *extra) == 1
        err = capsys.readouterr().err
        assert expected in err
        if "401" in expected:
            assert "VIGIL_TOKEN" in err
        assert token is None or token not in err


async def test_unreachable_worker_exits_1(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    assert await _vigil("incidents", "list", "--url", f"http://127.0.0.1:{port}") == 1
    assert f"vigil: cannot reach Vigil at http://127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ("silence", "add", "service=postgres", "--duration", "1h"),  # no --comment
        ("silence", "add", "service=postgres", "--comment", "x"),  # no end
        (
            "silence",
            "add",
            "service=postgres",
            "--comment",
            "x",
            "--duration",
            "1h",
            "--ends-at",
            "2026-01-02T00:00:00Z",
        ),
        ("incidents", "comment", "inc-1"),  # no note
        ("incidents", "list", "--limit", "many"),
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(argv)
    assert exited.value.code == 2
