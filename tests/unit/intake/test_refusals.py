"""Every way a body is refused: 400 naming the offending element, or 413 when too large."""

from __future__ import annotations

from typing import Any

import pytest

from streams.intake import MAX_BODY_BYTES, IntakeError, from_v2_alerts, from_webhook_v4

from .bodies import NOW, dumps, v2_alert, webhook, webhook_alert, without

LONG_KEY = "k" * 129


def refusal(convert: Any, body: bytes) -> IntakeError:
    with pytest.raises(IntakeError) as raised:
        convert(body, now=NOW)
    error = raised.value
    assert str(error) == error.message
    return error


def labels(**extra: Any) -> dict[str, Any]:
    return {"alertname": "DiskFilling", "job": "node", **extra}


# (case id, a postable alert, the exact message)
ALERT_CASES = [
    ("not an object", "oops", "alerts[0]: must be an object, got a string"),
    ("labels missing", without(v2_alert(), "labels"), "alerts[0].labels: must be an object of strings, missing"),
    ("labels null", v2_alert(labels=None), "alerts[0].labels: must be an object of strings, missing"),
    (
        "labels an array",
        v2_alert(labels=[["alertname", "X"]]),
        "alerts[0].labels: must be an object of strings, got an array",
    ),
    ("label a number", v2_alert(labels=labels(port=9100)), "alerts[0].labels.port: must be a string, got a number"),
    ("label null", v2_alert(labels=labels(zone=None)), "alerts[0].labels.zone: must be a string, got null"),
    ("label an object", v2_alert(labels=labels(meta={})), "alerts[0].labels.meta: must be a string, got an object"),
    (
        "odd label name shown quoted",
        v2_alert(labels=labels(**{"a b": 1})),
        'alerts[0].labels["a b"]: must be a string, got a number',
    ),
    (
        "no alertname",
        v2_alert(labels={"job": "node"}),
        "alerts[0].labels.alertname: required: it names the alert (Vigil's rule)",
    ),
    (
        "empty alertname",
        v2_alert(labels={"alertname": ""}),
        "alerts[0].labels.alertname: required: it names the alert (Vigil's rule)",
    ),
    (
        "alertname too long",
        v2_alert(labels={"alertname": "A" * 201}),
        "alerts[0].labels.alertname: is 201 characters, the limit is 200",
    ),
    (
        "empty label name",
        v2_alert(labels=labels(**{"": "x"})),
        'alerts[0].labels[""]: name must be 1 to 128 characters, it is 0',
    ),
    (
        "label name too long",
        v2_alert(labels=labels(**{LONG_KEY: "x"})),
        f'alerts[0].labels["{"k" * 60}…"]: name must be 1 to 128 characters, it is 129',
    ),
    (
        "label value too long",
        v2_alert(labels=labels(path="/" * 1025)),
        "alerts[0].labels.path: is 1025 characters, the limit is 1024",
    ),
    (
        "too many labels once source and service are added",
        v2_alert(labels=labels(**{f"l{i}": "x" for i in range(29)})),
        "alerts[0].labels: has 33 entries (with Vigil's source and service), the limit is 32",
    ),
    (
        "too many labels once source is added",
        v2_alert(labels=labels(service="api", **{f"l{i}": "x" for i in range(29)})),
        "alerts[0].labels: has 33 entries (with Vigil's source), the limit is 32",
    ),
    (
        "too many labels as sent",
        v2_alert(labels=labels(service="api", source="x", **{f"l{i}": "x" for i in range(29)})),
        "alerts[0].labels: has 33 entries, the limit is 32",
    ),
    (
        "annotations a string",
        v2_alert(annotations="disk full"),
        "alerts[0].annotations: must be an object of strings, got a string",
    ),
    (
        "annotation a boolean",
        v2_alert(annotations={"page": True}),
        "alerts[0].annotations.page: must be a string, got a boolean",
    ),
    (
        "annotation too long",
        v2_alert(annotations={"description": "x" * 16385}),
        "alerts[0].annotations.description: is 16385 characters, the limit is 16384",
    ),
    (
        "too many annotations",
        v2_alert(annotations={f"a{i}": "x" for i in range(33)}),
        "alerts[0].annotations: has 33 entries, the limit is 32",
    ),
    ("generatorURL a number", v2_alert(generatorURL=3), "alerts[0].generatorURL: must be a string, got a number"),
    ("startsAt a number", v2_alert(startsAt=1767225600), "alerts[0].startsAt: must be a string, got a number"),
    ("endsAt an object", v2_alert(endsAt={}), "alerts[0].endsAt: must be a string, got an object"),
    (
        "endsAt before startsAt",
        v2_alert(startsAt="2026-01-01T00:05:00Z", endsAt="2026-01-01T00:04:59.999Z"),
        "alerts[0].endsAt: is before startsAt",
    ),
]

BAD_TIMES = [
    ("yesterday", "must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z"),
    ("2026-01-01", "must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z"),
    ("2026-01-01T00:00:00", "must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z"),  # no offset
    ("2026-01-01 00:00:00Z", "must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z"),
    ("2026-01-01T00:00:00.Z", "must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z"),
    ("2026-01-01T00:00:00.1234567890Z", "must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z"),
    ("2026-01-01T00:00:00+0100", "must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z"),
    ("２０２６-01-01T00:00:00Z", "must be an RFC 3339 timestamp such as 2026-01-01T00:00:00.5Z"),  # not ASCII digits
    ("2026-02-30T00:00:00Z", "has no such date 2026-02-30"),
    ("0000-01-01T00:00:00Z", "has no such date 0000-01-01"),
    ("2026-01-01T24:00:00Z", "has a time of day out of range"),
    ("2026-01-01T23:59:60Z", "has a time of day out of range"),
    ("2026-01-01T00:00:00+24:00", "has a UTC offset out of range"),
    ("1970-01-01T00:00:00Z", "is out of range (after 1970 and before year 5138)"),
    ("1969-12-31T23:59:59.999Z", "is out of range (after 1970 and before year 5138)"),
    ("9999-12-31T23:59:59Z", "is out of range (after 1970 and before year 5138)"),
    ("0001-01-01T00:00:00.5Z", "is out of range (after 1970 and before year 5138)"),  # not quite Go's zero
    ("0001-01-01T00:00:00+01:00", "is out of range (after 1970 and before year 5138)"),
]


@pytest.mark.parametrize(("alert", "message"), [c[1:] for c in ALERT_CASES], ids=[c[0] for c in ALERT_CASES])
def test_a_malformed_alert_is_named_in_a_v2_body(alert: Any, message: str) -> None:
    error = refusal(from_v2_alerts, dumps([alert]))
    assert (error.status, error.message) == (400, message)


@pytest.mark.parametrize(("alert", "message"), [c[1:] for c in ALERT_CASES], ids=[c[0] for c in ALERT_CASES])
def test_a_malformed_alert_is_named_in_a_webhook_body(alert: Any, message: str) -> None:
    if isinstance(alert, dict):
        alert = {"status": "firing", **alert}
    error = refusal(from_webhook_v4, dumps(webhook([webhook_alert(), alert])))
    assert (error.status, error.message) == (400, message.replace("alerts[0]", "alerts[1]"))


def test_the_index_names_the_bad_alert_in_a_batch() -> None:
    body = dumps([v2_alert(), v2_alert(), v2_alert(labels={"job": "x"})])
    assert refusal(from_v2_alerts, body).message.startswith("alerts[2].labels.alertname: ")


@pytest.mark.parametrize(("text", "problem"), BAD_TIMES, ids=[t for t, _ in BAD_TIMES])
def test_a_malformed_timestamp_is_refused_with_its_text(text: str, problem: str) -> None:
    error = refusal(from_v2_alerts, dumps([v2_alert(startsAt=text)]))
    assert error.message == f'alerts[0].startsAt: "{text}" {problem}'


def test_a_very_long_value_is_cut_in_the_message() -> None:
    error = refusal(from_v2_alerts, dumps([v2_alert(endsAt="2026" * 1000)]))
    assert error.message == f'alerts[0].endsAt: "{"2026" * 15}…" is 4000 characters, not an RFC 3339 timestamp'


def test_a_record_the_alerts_topic_would_refuse_is_refused_here() -> None:
    # 32 annotations of 16,000 characters: each within its own limit, the record far over 64 KiB.
    alert = v2_alert(annotations={f"a{i}": "x" * 16000 for i in range(32)})
    error = refusal(from_v2_alerts, dumps([alert]))
    assert error.status == 400
    assert error.message.startswith("alerts[0]: not a valid Vigil alert: $: record is ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "body: not valid JSON (Input is a zero-length, empty document: line 1 column 1 (char 0))"),
        (b"[{]", None),
        (b"\xff\xfe[]", None),
        (b"[1e999]", None),
        (b'{"labels": {}}', "body: must be a JSON array of alerts (Alertmanager API v2 postableAlerts)"),
        (b"null", "body: must be a JSON array of alerts (Alertmanager API v2 postableAlerts)"),
        (b"[null]", "alerts[0]: must be an object, got null"),
        (b"[[]]", "alerts[0]: must be an object, got an array"),
    ],
)
def test_a_v2_body_that_is_not_a_json_array_of_objects(body: bytes, message: str | None) -> None:
    error = refusal(from_v2_alerts, body)
    assert error.status == 400
    if message is None:
        assert error.message.startswith("body: not valid JSON (")
    else:
        assert error.message == message


WEBHOOK_CASES = [
    ("an array", [webhook()], "body: must be an object, got an array"),
    (
        "no version",
        without(webhook(), "version"),
        'version: must be "4" (an Alertmanager webhook payload), got nothing',
    ),
    ("version 3", webhook(version="3"), 'version: must be "4" (an Alertmanager webhook payload), got "3"'),
    ("version a number", webhook(version=4), 'version: must be "4" (an Alertmanager webhook payload), got 4'),
    (
        "grafana's version 1",
        webhook(version="1", orgId=1),
        'version: must be "4" (an Alertmanager webhook payload), got "1"',
    ),
    ("no alerts", without(webhook(), "alerts"), "alerts: must be an array of alerts, missing"),
    ("alerts an object", webhook(alerts={"0": webhook_alert()}), "alerts: must be an array of alerts"),
    ("group status", webhook(status="pending"), 'status: must be "firing" or "resolved", got "pending"'),
    ("receiver a number", webhook(receiver=1), "receiver: must be a string, got a number"),
    ("externalURL an array", webhook(externalURL=[]), "externalURL: must be a string, got an array"),
    ("groupKey an object", webhook(groupKey={}), "groupKey: must be a string, got an object"),
    (
        "groupLabels a string",
        webhook(groupLabels="alertname"),
        "groupLabels: must be an object of strings, got a string",
    ),
    ("commonLabels value", webhook(commonLabels={"n": 1}), "commonLabels.n: must be a string, got a number"),
    (
        "commonAnnotations value",
        webhook(commonAnnotations={"s": []}),
        "commonAnnotations.s: must be a string, got an array",
    ),
    ("truncatedAlerts negative", webhook(truncatedAlerts=-1), "truncatedAlerts: must be a whole number >= 0, got -1"),
    ("truncatedAlerts a string", webhook(truncatedAlerts="3"), 'truncatedAlerts: must be a whole number >= 0, got "3"'),
    (
        "truncatedAlerts a boolean",
        webhook(truncatedAlerts=True),
        "truncatedAlerts: must be a whole number >= 0, got true",
    ),
    (
        "truncatedAlerts a fraction",
        webhook(truncatedAlerts=1.5),
        "truncatedAlerts: must be a whole number >= 0, got 1.5",
    ),
    (
        "alert status missing",
        webhook([without(webhook_alert(), "status")]),
        'alerts[0].status: must be "firing" or "resolved", got nothing',
    ),
    (
        "alert status pending",
        webhook([webhook_alert(status="pending")]),
        'alerts[0].status: must be "firing" or "resolved", got "pending"',
    ),
    (
        "alert status upper",
        webhook([webhook_alert(status="FIRING")]),
        'alerts[0].status: must be "firing" or "resolved", got "FIRING"',
    ),
    (
        "alert fingerprint",
        webhook([webhook_alert(fingerprint=123)]),
        "alerts[0].fingerprint: must be a string, got a number",
    ),
]


@pytest.mark.parametrize(("body", "message"), [c[1:] for c in WEBHOOK_CASES], ids=[c[0] for c in WEBHOOK_CASES])
def test_a_malformed_webhook_message_is_named(body: Any, message: str) -> None:
    error = refusal(from_webhook_v4, dumps(body))
    assert (error.status, error.message) == (400, message)


@pytest.mark.parametrize("convert", [from_v2_alerts, from_webhook_v4])
def test_a_body_over_one_mebibyte_is_413_before_parsing(convert: Any) -> None:
    error = refusal(convert, b"[" + b" " * MAX_BODY_BYTES + b"]")
    assert error.status == 413
    assert error.message == f"body: {MAX_BODY_BYTES + 2} bytes is over the limit of {MAX_BODY_BYTES}"


def test_a_body_of_exactly_one_mebibyte_is_read() -> None:
    body = b"[" + b" " * (MAX_BODY_BYTES - 2) + b"]"
    assert from_v2_alerts(body, now=NOW) == []


@pytest.mark.parametrize("convert", [from_v2_alerts, from_webhook_v4])
def test_a_body_that_is_not_bytes_is_400(convert: Any) -> None:
    error = refusal(convert, "[]")
    assert (error.status, error.message) == (400, "body: must be bytes, got str")


def test_bytearray_and_memoryview_bodies_are_read() -> None:
    assert from_v2_alerts(bytearray(b"[]"), now=NOW) == []
    assert from_webhook_v4(memoryview(dumps(webhook([]))), now=NOW) == []


def test_intake_errors_pickle() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(IntakeError(413, "body: too big")))
    assert (error.status, error.message) == (413, "body: too big")
