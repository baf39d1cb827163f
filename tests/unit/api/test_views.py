"""The HTTP API end to end through a real aiohttp server, without Kafka: every status code."""

from __future__ import annotations

import orjson
import pytest

from correlator.incidents.muting import silence_id_for
from schemas import Command, encode
from streams.api import IncidentReadModel
from tests.unit.api.fixtures import RESPONDER, T0, VIEWER, bearer, event, running_api


def _model(*events, caught_up=True):
    model = IncidentReadModel(caught_up=caught_up)
    for e in events:
        model.apply(e)
    return model


def _incidents():
    return _model(
        event(incident_id="inc-1", opened_at=T0),
        event("acknowledged", ts=T0 + 60, actor="ana", note="on it", incident_id="inc-1", status="acknowledged"),
        event(incident_id="inc-2", opened_at=T0 + 100, severity="critical", services=["postgres"], domain="postgres"),
    )


async def _error(resp, status):
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    return (await resp.json())["error"]


# -- reads ----------------------------------------------------------------------------------------------


async def test_list_incidents_200_with_filters():
    async with running_api(_incidents()) as api:
        resp = await api.client.get("/api/incidents", headers=bearer(VIEWER))
        assert resp.status == 200 and resp.content_type == "application/json"
        body = await resp.json()
        assert [i["id"] for i in body["incidents"]] == ["inc-2", "inc-1"]
        assert body["count"] == 2 and body["total"] == 2
        assert body["incidents"][1]["status"] == "acknowledged"

        for query, ids in [
            ("status=acknowledged", ["inc-1"]),
            ("status=open", ["inc-2", "inc-1"]),
            ("status=resolved", []),
            ("severity=critical,low", ["inc-2"]),
            ("service=postgres", ["inc-2"]),
            ("service=postgres&service=advisor-api", ["inc-2", "inc-1"]),
            (f"since={T0 + 50}", ["inc-2"]),
            ("until=2026-01-01T00:01:00Z", ["inc-1"]),
            ("since=2h", ["inc-2", "inc-1"]),  # the clock is T0 + 1 h
            ("since=30m", []),
            ("limit=1", ["inc-2"]),
        ]:
            resp = await api.client.get(f"/api/incidents?{query}", headers=bearer(VIEWER))
            assert resp.status == 200, (query, await resp.text())
            assert [i["id"] for i in (await resp.json())["incidents"]] == ids, query


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("status=closed", "query parameter status: unknown value"),
        ("severity=urgent", "query parameter severity: unknown value"),
        ("limit=0", "query parameter limit: must be a whole number from 1 to 1000"),
        ("limit=ten", "query parameter limit"),
        ("limit=1&limit=2", "given more than once"),
        (
            "since=yesterday",
            'query parameter since: not a time: "yesterday" (expected Unix seconds, an ISO 8601 time or a duration ago (2h)',
        ),
        ("until=2026-01-01T00:00:00", "needs a UTC offset"),
        ("since=1767225600000", "out of range"),
        (f"since={T0 + 10}&until={T0}", "must be later than since"),
        ("sort=asc", 'query parameter "sort": unknown'),
    ],
)
async def test_list_incidents_400_on_bad_parameters(query, message):
    async with running_api(_incidents()) as api:
        resp = await api.client.get(f"/api/incidents?{query}", headers=bearer(VIEWER))
        assert message in await _error(resp, 400)


async def test_get_incident_200_with_snapshot_and_events():
    async with running_api(_incidents()) as api:
        resp = await api.client.get("/api/incidents/inc-1", headers=bearer(VIEWER))
        assert resp.status == 200
        body = await resp.json()
        assert body["incident"]["id"] == "inc-1" and body["incident"]["domain"] == "advisor-api"
        assert [(e["event"], e["actor"]) for e in body["events"]] == [("opened", None), ("acknowledged", "ana")]


async def test_unknown_incident_404():
    async with running_api(_incidents()) as api:
        resp = await api.client.get("/api/incidents/inc-404", headers=bearer(VIEWER))
        assert "no incident 'inc-404'" in await _error(resp, 404)
        resp = await api.client.post("/api/incidents/inc-404/ack", headers=bearer(RESPONDER))
        assert "no incident" in await _error(resp, 404)
        assert api.sent == []


async def test_reads_before_the_read_model_caught_up_are_503():
    async with running_api(_model(event(incident_id="inc-1"), caught_up=False)) as api:
        for path in ("/api/incidents", "/api/incidents/inc-unknown", "/api/silences"):
            resp = await api.client.get(path, headers=bearer(VIEWER))
            assert "still reading" in await _error(resp, 503)
            assert resp.headers["Retry-After"] == "1"
        # an incident already read can be acted on
        resp = await api.client.post("/api/incidents/inc-1/ack", headers=bearer(RESPONDER))
        assert resp.status == 202


# -- authentication and roles -------------------------------------------------------------------------

_EVERY_ENDPOINT = [
    ("GET", "/api/incidents"),
    ("GET", "/api/incidents/inc-1"),
    ("POST", "/api/incidents/inc-1/ack"),
    ("POST", "/api/incidents/inc-1/resolve"),
    ("POST", "/api/incidents/inc-1/comment"),
    ("GET", "/api/silences"),
    ("POST", "/api/silences"),
    ("DELETE", "/api/silences/s1"),
]


@pytest.mark.parametrize(("method", "path"), _EVERY_ENDPOINT)
async def test_missing_or_wrong_token_401(method, path):
    async with running_api(_incidents()) as api:
        resp = await api.client.request(method, path)
        assert "missing bearer token" in await _error(resp, 401)
        assert resp.headers["WWW-Authenticate"] == 'Bearer realm="vigil"'
        resp = await api.client.request(method, path, headers=bearer("not-a-known-token-123"))
        assert await _error(resp, 401) == "invalid bearer token"
        assert resp.headers["WWW-Authenticate"] == 'Bearer realm="vigil", error="invalid_token"'
        resp = await api.client.request(method, path, headers={"Authorization": "Basic dXNlcjpwYXNz"})
        assert "must be 'Bearer <token>'" in await _error(resp, 401)
        assert api.sent == []


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in _EVERY_ENDPOINT if m != "GET"])
async def test_viewer_writing_403(method, path):
    async with running_api(_incidents()) as api:
        resp = await api.client.request(method, path, headers=bearer(VIEWER), json={"note": "x"})
        assert await _error(resp, 403) == "this needs the responder role; the token has viewer"
        assert api.sent == []


# -- incident commands --------------------------------------------------------------------------------


async def test_ack_resolve_comment_202_send_the_right_commands():
    async with running_api(_incidents()) as api:
        resp = await api.client.post("/api/incidents/inc-1/ack", headers=bearer(RESPONDER))
        assert resp.status == 202
        acked = await resp.json()
        resp = await api.client.post(
            "/api/incidents/inc-2/resolve", headers=bearer(RESPONDER), json={"note": "rolled back"}
        )
        assert resp.status == 202
        resp = await api.client.post(
            "/api/incidents/inc-2/comment", headers=bearer(RESPONDER), data=b'{"note": "root cause: pool size"}'
        )
        assert resp.status == 202
        commented = await resp.json()

        ack, resolve, comment = api.sent
        assert acked == {"command_id": ack.id, "kind": "ack", "incident_id": "inc-1"}
        assert commented["command_id"] == comment.id
        assert (ack.kind, ack.incident_id, ack.domain, ack.actor, ack.ts, ack.note) == (
            "ack",
            "inc-1",
            "advisor-api",
            "ana@example.com",
            T0 + 3600,
            None,
        )
        assert (resolve.kind, resolve.incident_id, resolve.domain, resolve.note) == (
            "resolve",
            "inc-2",
            "postgres",
            "rolled back",
        )
        assert (comment.kind, comment.note) == ("comment", "root cause: pool size")
        assert len({ack.id, resolve.id, comment.id}) == 3
        for command in api.sent:
            assert isinstance(command, Command)
            encode(command)  # valid on the wire


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("ack", b"{not json", "body: not valid JSON"),
        ("ack", b"[1, 2]", "body: must be a JSON object, got an array"),
        ("ack", b'"note"', "body: must be a JSON object, got a string"),
        ("ack", b'{"note": 5}', "body.note: must be a string, got a number"),
        ("ack", b'{"note": "x", "by": "me"}', "body.by: unknown field (known: note)"),
        ("ack", b'{"not\\u00e9 field": 1}', 'body["noté field"]: unknown field'),
        ("resolve", b'{"note": null, "force": true}', "body.force: unknown field"),
        ("comment", b"", "body: missing; expected a JSON object"),
        ("comment", b"{}", "body.note: required"),
        ("comment", b'{"note": "   "}', "body.note: must not be empty"),
        ("comment", b'{"note": ["a"]}', "body.note: must be a string, got an array"),
        ("comment", orjson.dumps({"note": "x" * 16385}), "body.note: is 16385 characters, the limit is 16384"),
        ("ack", b"\xff\xfe", "body: not valid JSON"),
    ],
)
async def test_incident_commands_400_on_bad_bodies(path, body, message):
    async with running_api(_incidents()) as api:
        resp = await api.client.post(f"/api/incidents/inc-1/{path}", headers=bearer(RESPONDER), data=body)
        assert message in await _error(resp, 400)
        assert api.sent == []


async def test_an_oversize_body_is_413_with_or_without_a_length():
    async with running_api(_incidents()) as api:
        big = b'{"note": "' + b"x" * 70_000 + b'"}'
        resp = await api.client.post("/api/incidents/inc-1/comment", headers=bearer(RESPONDER), data=big)
        assert "over the limit of 65536 bytes" in await _error(resp, 413)

        async def chunks():
            for _ in range(70):
                yield b" " * 1024

        resp = await api.client.post("/api/silences", headers=bearer(RESPONDER), data=chunks())
        assert "over the limit" in await _error(resp, 413)
        assert api.sent == []


async def test_ack_or_resolve_of_a_resolved_incident_409_comment_still_202():
    async with running_api(_model(event(incident_id="done", status="resolved"))) as api:
        for action in ("ack", "resolve"):
            resp = await api.client.post(f"/api/incidents/done/{action}", headers=bearer(RESPONDER))
            assert "already resolved" in await _error(resp, 409)
        resp = await api.client.post(
            "/api/incidents/done/comment", headers=bearer(RESPONDER), json={"note": "postmortem"}
        )
        assert resp.status == 202
        assert [c.kind for c in api.sent] == ["comment"]


async def test_kafka_unreachable_is_503_not_500():
    async with running_api(_incidents(), fail_send=True) as api:
        resp = await api.client.post("/api/incidents/inc-1/ack", headers=bearer(RESPONDER))
        assert "could not queue the command" in await _error(resp, 503)


# -- silences -----------------------------------------------------------------------------------------


async def test_silence_create_list_delete():
    async with running_api(_incidents()) as api:
        resp = await api.client.post(
            "/api/silences",
            headers=bearer(RESPONDER),
            json={"matchers": ['service="postgres"', "alertname=~Postgres.*"], "duration": "2h", "comment": "drill"},
        )
        assert resp.status == 202, await resp.text()
        created = await resp.json()
        (command,) = api.sent
        now = T0 + 3600
        assert created == {
            "command_id": command.id,
            "kind": "silence",
            "silence_id": command.silence_id,
            "starts_at": now,
            "ends_at": now + 7200,
        }
        assert (command.kind, command.domain, command.actor, command.incident_id) == (
            "silence",
            "*",
            "ana@example.com",
            None,
        )
        assert command.silence_id == silence_id_for("*", command.id)  # the id the correlator derives
        assert command.silence.matchers == ['service="postgres"', "alertname=~Postgres.*"]
        assert (command.silence.starts_at, command.silence.ends_at, command.silence.comment) == (
            now,
            now + 7200,
            "drill",
        )

        api.model.apply_command(command)  # what the follower does when the command lands on the topic
        resp = await api.client.get("/api/silences", headers=bearer(VIEWER))
        assert resp.status == 200
        (listed,) = (await resp.json())["silences"]
        assert listed["id"] == command.silence_id and listed["state"] == "active"
        assert listed["created_by"] == "ana@example.com"

        resp = await api.client.delete(f"/api/silences/{command.silence_id}", headers=bearer(RESPONDER))
        assert resp.status == 202
        unsilence = api.sent[-1]
        assert (await resp.json()) == {
            "command_id": unsilence.id,
            "kind": "unsilence",
            "silence_id": command.silence_id,
        }
        assert (unsilence.kind, unsilence.silence_id, unsilence.domain) == ("unsilence", command.silence_id, "*")

        api.model.apply_command(unsilence)
        resp = await api.client.get("/api/silences", headers=bearer(VIEWER))
        assert (await resp.json())["silences"] == []
        resp = await api.client.get("/api/silences?expired=true", headers=bearer(VIEWER))
        assert [s["state"] for s in (await resp.json())["silences"]] == ["expired"]
        resp = await api.client.delete(f"/api/silences/{command.silence_id}", headers=bearer(RESPONDER))
        assert "already over" in await _error(resp, 409)


async def test_silence_with_explicit_times():
    async with running_api(_incidents()) as api:
        resp = await api.client.post(
            "/api/silences",
            headers=bearer(RESPONDER),
            json={
                "matchers": ["service=postgres"],
                "starts_at": "2026-01-01T02:00:00Z",
                "ends_at": T0 + 3 * 3600,
                "comment": "maintenance",
            },
        )
        assert resp.status == 202, await resp.text()
        spec = api.sent[0].silence
        assert (spec.starts_at, spec.ends_at) == (T0 + 7200, T0 + 10800)


async def test_unknown_silence_404():
    async with running_api(_incidents()) as api:
        resp = await api.client.delete("/api/silences/nope", headers=bearer(RESPONDER))
        assert "no silence 'nope'" in await _error(resp, 404)


_GOOD = {"matchers": ["service=postgres"], "duration": "1h", "comment": "drill"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"matchers": None}, "body.matchers: required"),
        ({"matchers": "service=postgres"}, "body.matchers: must be an array of strings, got a string"),
        ({"matchers": []}, "body.matchers: must hold 1 to 16 matchers"),
        ({"matchers": [5]}, "body.matchers[0]: must be a string, got a number"),
        ({"matchers": ["service=postgres", "postgres"]}, 'body.matchers[1]: not a label matcher: "postgres"'),
        ({"matchers": ["service=~(unclosed"]}, "bad regular expression"),
        ({"matchers": ["service=~.*"]}, "would silence every alert"),
        ({"matchers": ["team!=db"]}, "would silence every alert"),
        ({"comment": None}, "body.comment: required"),
        ({"comment": ""}, "body.comment: must not be empty"),
        ({"comment": "x" * 1025}, "body.comment: is 1025 characters, the limit is 1024"),
        ({"ends_at": T0 + 7200}, "give exactly one of ends_at and duration"),
        ({"duration": None}, "give exactly one of ends_at and duration"),
        ({"duration": "soon"}, 'body.duration: not a duration: "soon"'),
        ({"duration": -5}, "body.duration: must be positive"),
        ({"duration": True}, "body.duration: must be a duration"),
        ({"duration": "400d"}, "at most 365 days"),
        ({"duration": None, "ends_at": T0 + 60}, "body.ends_at: is in the past"),
        ({"duration": None, "ends_at": "tomorrow"}, "body.ends_at: not a time"),
        ({"duration": None, "ends_at": 1.8e12}, "body.ends_at: out of range"),
        ({"starts_at": T0 + 9000, "duration": None, "ends_at": T0 + 8000}, "body.ends_at: must be after starts_at"),
        ({"starts_at": [1]}, "body.starts_at: must be Unix seconds or an ISO 8601 time, got an array"),
        ({"creator": "me"}, "body.creator: unknown field"),
    ],
)
async def test_silence_400_on_bad_bodies(changes, message):
    body = {k: v for k, v in {**_GOOD, **changes}.items() if v is not None}
    async with running_api(_incidents()) as api:
        resp = await api.client.post("/api/silences", headers=bearer(RESPONDER), json=body)
        assert message in await _error(resp, 400)
        assert api.sent == []


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/incidents/inc-1?verbose=1"), ("GET", "/api/silences?all=1"), ("POST", "/api/silences?dry=1")],
)
async def test_unknown_query_parameters_400(method, path):
    async with running_api(_incidents()) as api:
        resp = await api.client.request(method, path, headers=bearer(RESPONDER), json=_GOOD)
        assert "unknown" in await _error(resp, 400)


async def test_a_bug_is_500_without_details():
    model = _incidents()
    model.incidents = None  # type: ignore[method-assign]  # a broken read model
    async with running_api(model) as api:
        resp = await api.client.get("/api/incidents", headers=bearer(VIEWER))
        assert "internal error" in await _error(resp, 500)
