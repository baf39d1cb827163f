"""Prometheus' POST /api/v2/alerts body → Vigil alerts: the mapping, alert by alert."""

from __future__ import annotations

import pytest

from correlator.alerts import fingerprint
from schemas import Alert, AlertStatus, Severity, decode, encode
from streams.intake import IntakeError, from_v2_alerts

from .bodies import NOW, PROMETHEUS_BATCH, T0, dumps, v2_alert, without


def one(alert: dict) -> Alert:
    (converted,) = from_v2_alerts(dumps([alert]), now=NOW)
    return converted


def test_a_prometheus_batch_becomes_one_alert_each_and_each_is_valid_on_the_topic() -> None:
    latency, lag = from_v2_alerts(PROMETHEUS_BATCH, now=NOW)

    assert latency.rule == "ApiLatencyHigh"
    assert latency.status is AlertStatus.FIRING  # endsAt 00:14 is a timeout, still ahead of now (00:10)
    assert latency.severity is Severity.CRITICAL
    assert latency.starts_at == pytest.approx(T0 + 210.125, abs=1e-6)
    assert latency.ends_at is None
    assert latency.labels == {
        "alertname": "ApiLatencyHigh",
        "cluster": "eu-prod-1",
        "job": "advisor-api",
        "route": "/advice",
        "severity": "critical",
        "source": "prometheus",
        "service": "advisor-api",  # from job: the alert has no service label
    }
    assert latency.annotations["runbook_url"] == "https://runbooks.example.com/ApiLatencyHigh"
    assert latency.annotations["generator_url"].startswith("http://prometheus:9090/graph?g0.expr=histogram_quantile")
    assert (latency.value, latency.threshold) == (None, 0.0)
    assert latency.event_ts == latency.emitted_at == NOW

    assert lag.rule == "PostgresReplicationLag"
    assert lag.status is AlertStatus.RESOLVED  # endsAt 00:09:15.5 is past
    assert lag.severity is Severity.MEDIUM
    assert lag.ends_at == pytest.approx(T0 + 555.5)
    assert lag.labels["service"] == "postgres"  # its own service label wins over job

    for alert in (latency, lag):
        assert decode(Alert, encode(alert)) == alert


def test_fingerprint_is_vigils_hash_of_alertname_and_the_labels_as_received() -> None:
    alert = one(v2_alert())
    assert alert.fingerprint == fingerprint(
        "DiskFilling", {"job": "node", "instance": "db-1:9100", "severity": "warning"}
    )


def test_the_same_alert_sent_again_keeps_its_identity_whatever_changes_besides_labels() -> None:
    first = one(v2_alert())
    later = one(v2_alert(annotations={"summary": "now 97% full"}, endsAt="2026-01-01T00:05:00Z"))
    assert later.status is AlertStatus.RESOLVED
    assert later.fingerprint == first.fingerprint


def test_one_alertname_at_two_severities_is_two_alerts() -> None:
    labels = {"alertname": "KubePersistentVolumeFillingUp", "persistentvolumeclaim": "data-pg-0"}
    warning = one(v2_alert(labels={**labels, "severity": "warning"}))
    critical = one(v2_alert(labels={**labels, "severity": "critical"}))
    assert warning.fingerprint != critical.fingerprint


def test_a_different_label_value_is_a_different_alert() -> None:
    a = one(v2_alert())
    b = one(v2_alert(labels={**v2_alert()["labels"], "instance": "db-2:9100"}))
    assert a.fingerprint != b.fingerprint


@pytest.mark.parametrize(
    ("ends_at", "status", "expected_ends_at"),
    [
        ("2026-01-01T00:10:00.001Z", AlertStatus.FIRING, None),  # a timeout ahead of now: still firing
        ("2026-01-01T00:10:00Z", AlertStatus.RESOLVED, NOW),  # endsAt == now: resolved, as in Alertmanager
        ("2026-01-01T00:09:59.5Z", AlertStatus.RESOLVED, NOW - 0.5),
        ("0001-01-01T00:00:00Z", AlertStatus.FIRING, None),  # Go's zero time: not set
        ("", AlertStatus.FIRING, None),
        (None, AlertStatus.FIRING, None),
    ],
)
def test_status_is_resolved_iff_ends_at_is_at_or_before_now(
    ends_at: str | None, status: AlertStatus, expected_ends_at: float | None
) -> None:
    alert = one(v2_alert(endsAt=ends_at))
    assert alert.status is status
    assert alert.ends_at == expected_ends_at


def test_an_alert_with_no_ends_at_key_fires() -> None:
    assert one(without(v2_alert(), "endsAt")).status is AlertStatus.FIRING


def test_missing_starts_at_is_now_or_the_earlier_ends_at() -> None:
    assert one(without(v2_alert(), "startsAt")).starts_at == NOW
    resolved = one(without(v2_alert(endsAt="2026-01-01T00:07:00Z"), "startsAt"))
    assert resolved.starts_at == resolved.ends_at == T0 + 420


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("critical", Severity.CRITICAL),
        ("page", Severity.CRITICAL),
        ("CRITICAL", Severity.CRITICAL),
        ("error", Severity.HIGH),
        ("high", Severity.HIGH),
        ("major", Severity.HIGH),
        ("warning", Severity.MEDIUM),
        (" Warning ", Severity.MEDIUM),
        ("medium", Severity.MEDIUM),
        ("info", Severity.LOW),
        ("low", Severity.LOW),
        ("none", Severity.LOW),
        ("P1", Severity.CRITICAL),
        ("sev4", Severity.LOW),
        ("catastrophic", Severity.MEDIUM),  # unknown: medium, delivered rather than refused
        ("", Severity.MEDIUM),
        (None, Severity.MEDIUM),  # no severity label
    ],
)
def test_severity_label_maps_onto_vigils_four(severity: str | None, expected: Severity) -> None:
    labels = {"alertname": "X", "job": "api"} | ({} if severity is None else {"severity": severity})
    alert = one(v2_alert(labels=labels))
    assert alert.severity is expected
    assert alert.labels.get("severity") == severity  # the original label stays


@pytest.mark.parametrize(
    ("extra", "service"),
    [
        ({"service": "billing", "job": "node"}, "billing"),
        ({"job": "node"}, "node"),
        ({"service": "", "job": "node"}, "node"),  # an empty label is no label (Prometheus drops them)
        ({}, "external"),
        ({"job": ""}, "external"),
    ],
)
def test_service_label_comes_from_service_else_job_else_external(extra: dict, service: str) -> None:
    alert = one(v2_alert(labels={"alertname": "X", **extra}))
    assert alert.labels["service"] == service


def test_source_is_set_and_replaces_a_label_of_that_name_but_identity_uses_the_original() -> None:
    plain = one(v2_alert(labels={"alertname": "X", "job": "api"}))
    assert plain.labels["source"] == "prometheus"
    sourced = one(v2_alert(labels={"alertname": "X", "job": "api", "source": "blackbox"}))
    assert sourced.labels["source"] == "prometheus"
    assert sourced.fingerprint == fingerprint("X", {"job": "api", "source": "blackbox"})


def test_generator_url_goes_into_annotations_unless_empty_taken_or_full() -> None:
    assert "generator_url" not in one(v2_alert(generatorURL="")).annotations
    assert "generator_url" not in one(without(v2_alert(), "generatorURL")).annotations
    own = one(v2_alert(annotations={"generator_url": "mine"}))
    assert own.annotations["generator_url"] == "mine"
    full = {f"a{i}": "x" for i in range(32)}
    assert one(v2_alert(annotations=full)).annotations == full


def test_null_annotations_are_none() -> None:
    alert = one(v2_alert(annotations=None, generatorURL=None))
    assert alert.annotations == {}


def test_unicode_labels_and_annotations_survive_and_encode() -> None:
    labels = {"alertname": "ÜberLatenz", "job": "advisor-api", "équipe": "conformité ✓", "region": "東京"}
    alert = one(v2_alert(labels=labels, annotations={"summary": "latência acima de 500 ms 🚨"}))
    assert alert.rule == "ÜberLatenz"
    assert alert.labels["équipe"] == "conformité ✓"
    assert decode(Alert, encode(alert)) == alert


def test_unknown_fields_are_ignored_as_alertmanager_does() -> None:
    alert = one(v2_alert(receivers=[{"name": "x"}], updatedAt="2026-01-01T00:00:00Z"))
    assert alert.rule == "DiskFilling"


def test_an_empty_batch_is_nothing_to_do() -> None:
    assert from_v2_alerts(b"[]", now=NOW) == []
    assert from_v2_alerts(b" [ ]\n", now=NOW) == []


def test_a_large_batch_keeps_order() -> None:
    batch = [v2_alert(labels={"alertname": "X", "job": "api", "n": str(i)}) for i in range(500)]
    out = from_v2_alerts(dumps(batch), now=NOW)
    assert [a.labels["n"] for a in out] == [str(i) for i in range(500)]


def test_timestamps_with_offsets_and_any_fraction_are_the_same_instant() -> None:
    for text in ("2026-01-01T00:00:00Z", "2026-01-01T02:00:00+02:00", "2025-12-31T19:30:00.000000000-04:30"):
        assert one(v2_alert(startsAt=text)).starts_at == T0


@pytest.mark.parametrize("now", [NOW * 1000, 0.0, float("nan")])
def test_a_bad_now_is_the_callers_bug_not_a_bad_body(now: float) -> None:
    with pytest.raises(ValueError, match="now must be Unix seconds") as raised:
        from_v2_alerts(b"[]", now=now)
    assert not isinstance(raised.value, IntakeError)
