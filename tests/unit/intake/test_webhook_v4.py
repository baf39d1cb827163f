"""An Alertmanager webhook receiver's payload (version "4") → Vigil alerts."""

from __future__ import annotations

import pytest

from schemas import Alert, AlertStatus, Severity, decode, encode
from streams.intake import from_v2_alerts, from_webhook_v4

from .bodies import ALERTMANAGER_GROUP, NOW, PROMETHEUS_BATCH, T0, dumps, v2_alert, webhook, webhook_alert, without


def one(alert: dict) -> Alert:
    (converted,) = from_webhook_v4(dumps(webhook([alert])), now=NOW)
    return converted


def test_a_group_of_alerts_becomes_one_vigil_alert_each() -> None:
    advice, portfolio, relatorio = from_webhook_v4(ALERTMANAGER_GROUP, now=NOW)

    assert [a.rule for a in (advice, portfolio, relatorio)] == ["ApiLatencyHigh"] * 3
    assert advice.status is AlertStatus.FIRING
    assert advice.ends_at is None  # Go's zero time
    assert advice.starts_at == pytest.approx(T0 + 210.125, abs=1e-6)  # +01:00 offset, nanosecond digits
    assert advice.severity is Severity.CRITICAL
    assert advice.labels["source"] == "alertmanager"
    assert advice.labels["service"] == "advisor-api"
    assert advice.event_ts == advice.emitted_at == NOW

    assert portfolio.status is AlertStatus.RESOLVED
    assert portfolio.ends_at == pytest.approx(T0 + 522.739266876, abs=1e-6)

    assert relatorio.labels["route"] == "/consultas/relatório"
    assert relatorio.labels["équipe"] == "conformité ✓"
    assert relatorio.annotations == {"summary": "latência P95 acima de 500 ms — 顧客向け API"}  # empty generatorURL
    assert len({advice.fingerprint, portfolio.fingerprint, relatorio.fingerprint}) == 3

    for alert in (advice, portfolio, relatorio):
        assert decode(Alert, encode(alert)) == alert


def test_an_alert_keeps_its_identity_whether_prometheus_or_alertmanager_sends_it() -> None:
    direct, _ = from_v2_alerts(PROMETHEUS_BATCH, now=NOW)
    via_alertmanager, _, _ = from_webhook_v4(ALERTMANAGER_GROUP, now=NOW)
    assert direct.fingerprint == via_alertmanager.fingerprint
    assert direct.starts_at == via_alertmanager.starts_at
    assert (direct.labels["source"], via_alertmanager.labels["source"]) == ("prometheus", "alertmanager")


def test_alertmanagers_fingerprint_is_not_reused() -> None:
    alert = one(webhook_alert(fingerprint="7e5d3c1b9a8f6e4d"))
    assert alert.fingerprint != "7e5d3c1b9a8f6e4d"
    assert alert.fingerprint == one(webhook_alert(fingerprint="0000000000000000")).fingerprint


def test_the_explicit_status_wins_over_ends_at() -> None:
    # Alertmanager judged "firing" by its clock; an endsAt just behind ours is clock skew.
    firing = one(webhook_alert(status="firing", endsAt="2026-01-01T00:09:59Z"))
    assert firing.status is AlertStatus.FIRING and firing.ends_at is None
    resolved = one(webhook_alert(status="resolved", endsAt="2026-01-01T00:10:05Z"))
    assert resolved.status is AlertStatus.RESOLVED and resolved.ends_at == NOW + 5


def test_a_resolved_alert_without_ends_at_ends_now() -> None:
    alert = one(webhook_alert(status="resolved", endsAt="0001-01-01T00:00:00Z"))
    assert alert.ends_at == NOW
    future = one(webhook_alert(status="resolved", startsAt="2026-01-01T00:20:00Z", endsAt=None))
    assert future.ends_at == future.starts_at == T0 + 1200  # never before starts_at


def test_a_resolved_group_resolves_every_alert() -> None:
    alerts = [
        webhook_alert(status="resolved", endsAt="2026-01-01T00:08:00Z", labels={"alertname": "A", "n": str(n)})
        for n in range(3)
    ]
    out = from_webhook_v4(dumps(webhook(alerts)), now=NOW)
    assert [a.status for a in out] == [AlertStatus.RESOLVED] * 3
    assert {a.ends_at for a in out} == {T0 + 480}


def test_an_empty_group_is_nothing_to_do() -> None:
    assert from_webhook_v4(dumps(webhook([])), now=NOW) == []


def test_truncated_groups_and_unknown_fields_are_accepted() -> None:
    body = webhook(truncatedAlerts=12, orgId=1, title="x")
    body["alerts"][0]["silenceURL"] = "http://alertmanager:9093/#/silences/new"
    assert len(from_webhook_v4(dumps(body), now=NOW)) == 1


def test_the_group_fields_are_optional() -> None:
    body = {"version": "4", "alerts": [webhook_alert()]}
    assert len(from_webhook_v4(dumps(body), now=NOW)) == 1
    body = webhook(groupLabels=None, commonLabels=None, commonAnnotations=None, receiver=None)
    assert len(from_webhook_v4(dumps(body), now=NOW)) == 1


def test_mapping_matches_the_v2_path_apart_from_status_and_source() -> None:
    v2 = from_v2_alerts(dumps([v2_alert()]), now=NOW)[0]
    am = one(without(webhook_alert(endsAt="2026-01-01T00:14:00.000Z"), "fingerprint"))
    assert (v2.fingerprint, v2.rule, v2.severity, v2.starts_at) == (am.fingerprint, am.rule, am.severity, am.starts_at)
    assert v2.annotations == am.annotations
    assert {k: v for k, v in v2.labels.items() if k != "source"} == {
        k: v for k, v in am.labels.items() if k != "source"
    }
