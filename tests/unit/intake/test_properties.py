"""Properties: any body becomes valid alerts or an IntakeError, never anything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlator.alerts import fingerprint
from schemas import Alert, AlertStatus, decode, encode
from streams.intake import IntakeError, from_v2_alerts, from_webhook_v4
from streams.intake.rfc3339 import parse_rfc3339

from .bodies import NOW, PROMETHEUS_BATCH, dumps, v2_alert, webhook, webhook_alert

CONVERTERS = st.sampled_from([from_v2_alerts, from_webhook_v4])
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
label_names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
label_values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
valid_times = st.one_of(
    st.sampled_from(["0001-01-01T00:00:00Z", "", "2026-01-01T00:00:00Z", "2026-01-01T00:20:00.5+01:00"]),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)).map(
        lambda d: d.isoformat().replace("+00:00", "Z")
    ),
)
VALID_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "status": st.sampled_from(["firing", "resolved"]),
    "labels": st.builds(
        lambda name, rest: {**rest, "alertname": name},
        label_names,
        st.dictionaries(label_names, label_values, max_size=8),
    ),
    "annotations": st.dictionaries(label_names, text, max_size=4),
    "startsAt": valid_times,
    "endsAt": valid_times,
    "generatorURL": text,
    "fingerprint": text,
}


@st.composite
def near_valid_alerts(draw: st.DrawFn) -> dict[str, Any]:
    """An alert each of whose fields is usually right and sometimes wrong, null or missing."""
    alert = {}
    for key, valid in VALID_FIELDS.items():
        roll = draw(st.integers(0, 19))
        if roll == 0:
            continue  # missing
        alert[key] = draw(json_values) if roll == 1 else draw(valid)
    return alert


def outcome(convert: Any, body: bytes) -> list[Alert] | IntakeError:
    try:
        alerts = convert(body, now=NOW)
    except IntakeError as error:
        assert error.status in (400, 413)
        assert ": " in error.message and len(error.message) < 400, error.message
        return error
    assert isinstance(alerts, list)
    for alert in alerts:
        assert decode(Alert, encode(alert)) == alert
        assert alert.event_ts == alert.emitted_at == NOW
        assert (alert.ends_at is None) == (alert.status is AlertStatus.FIRING)
        assert alert.labels["source"] in ("prometheus", "alertmanager") and alert.labels["service"]
    return alerts


@PROPERTY
@given(convert=CONVERTERS, body=st.binary(max_size=300))
def test_any_bytes_become_alerts_or_an_intake_error(convert: Any, body: bytes) -> None:
    outcome(convert, body)


@PROPERTY
@given(convert=CONVERTERS, value=json_values)
def test_any_json_becomes_alerts_or_an_intake_error(convert: Any, value: Any) -> None:
    outcome(convert, dumps(value))


@PROPERTY
@given(alerts=st.lists(near_valid_alerts(), max_size=4))
def test_near_valid_v2_bodies_become_alerts_or_an_intake_error(alerts: list[dict[str, Any]]) -> None:
    outcome(from_v2_alerts, dumps(alerts))


@PROPERTY
@given(
    alerts=st.lists(near_valid_alerts(), max_size=4),
    envelope=st.dictionaries(
        st.sampled_from(["version", "status", "receiver", "groupLabels", "truncatedAlerts", "alerts"]),
        json_values,
        max_size=2,
    ),
)
def test_near_valid_webhook_bodies_become_alerts_or_an_intake_error(
    alerts: list[dict[str, Any]], envelope: dict[str, Any]
) -> None:
    outcome(from_webhook_v4, dumps({**webhook(alerts), **envelope}))


def _damaged(raw: bytes) -> st.SearchStrategy[bytes]:
    positions = st.integers(0, len(raw) - 1)
    return st.one_of(
        st.tuples(positions, st.integers(0, 255)).map(lambda pb: raw[: pb[0]] + bytes([pb[1]]) + raw[pb[0] + 1 :]),
        positions.map(lambda p: raw[:p] + raw[p + 1 :]),
        positions.map(lambda p: raw[:p]),
    )


@PROPERTY
@given(body=_damaged(PROMETHEUS_BATCH))
def test_a_damaged_prometheus_batch_becomes_alerts_or_an_intake_error(body: bytes) -> None:
    outcome(from_v2_alerts, body)


@PROPERTY
@given(
    alertname=label_names,
    labels=st.dictionaries(label_names, label_values, max_size=20),
    resolved=st.booleans(),
)
def test_valid_alerts_convert_and_keep_one_identity_both_ways(
    alertname: str, labels: dict[str, str], resolved: bool
) -> None:
    labels = {**labels, "alertname": alertname}
    ends_at = "2026-01-01T00:05:00Z" if resolved else "2026-01-01T00:14:00Z"
    (direct,) = from_v2_alerts(dumps([v2_alert(labels=labels, endsAt=ends_at)]), now=NOW)
    status = "resolved" if resolved else "firing"
    (relayed,) = from_webhook_v4(dumps(webhook([webhook_alert(labels=labels, endsAt=ends_at, status=status)])), now=NOW)

    identity = {k: v for k, v in labels.items() if k != "alertname"}
    assert direct.fingerprint == relayed.fingerprint == fingerprint(alertname, identity)
    assert direct.status == relayed.status == status
    assert direct.ends_at == relayed.ends_at
    for alert in (direct, relayed):
        assert {k: v for k, v in alert.labels.items() if k not in ("source", "service")} == {
            k: v for k, v in labels.items() if k not in ("source", "service")
        }
        assert decode(Alert, encode(alert)) == alert


@PROPERTY
@given(
    moment=st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(5000, 1, 1)),
    offset_minutes=st.integers(-23 * 60 - 59, 23 * 60 + 59),
    digits=st.integers(0, 9),
)
def test_rfc3339_agrees_with_datetime(moment: datetime, offset_minutes: int, digits: int) -> None:
    zone = timezone(timedelta(minutes=offset_minutes))
    local = moment.replace(tzinfo=UTC).astimezone(zone)
    fraction = f"{local.microsecond:06d}000"[:digits]
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if digits else "") + f"{sign}{hours:02d}:{minutes:02d}"
    expected = local.replace(microsecond=int(fraction.ljust(6, "0")[:6]) if digits else 0).timestamp()
    assert abs(parse_rfc3339(text) - expected) < 1e-5


def test_go_zero_time_is_absent_in_any_spelling() -> None:
    assert parse_rfc3339("0001-01-01T00:00:00Z") is None
    assert parse_rfc3339("0001-01-01t00:00:00.000z") is None
    assert parse_rfc3339("0001-01-01T01:00:00+01:00") is None


def test_numbers_beyond_64_bits_are_just_wrong_types() -> None:
    huge = b"1" + b"0" * 30  # past 64 bits: orjson reads it as a float
    assert isinstance(outcome(from_v2_alerts, b'[{"labels": {"alertname": ' + huge + b"}}]"), IntakeError)
    body = orjson.dumps(webhook()).replace(b'"truncatedAlerts":0', b'"truncatedAlerts":' + huge)
    assert outcome(from_webhook_v4, body).message.startswith("truncatedAlerts: must be a whole number >= 0, got ")
