"""Correlation settings from YAML-like maps, matchers, inhibition rules and maintenance windows."""

from __future__ import annotations

from datetime import time

import pytest

from correlator.incidents import InhibitRule, MaintenanceWindow, labels_match, parse_matchers, settings_from_mapping
from correlator.incidents.labels import group_key, service_of

from .factories import T0


def test_settings_from_a_mapping() -> None:
    settings = settings_from_mapping(
        {
            "group_by": ["service", "alertname"],
            "correlation_window": "2m",
            "resolve_timeout": 60,
            "flap_changes": 3,
            "topology": {"advisor-api": ["postgres"]},
            "inhibit_rules": [{"source": ['severity="critical"'], "target": ['severity="low"'], "equal": ["service"]}],
            "maintenance": [
                {
                    "name": "backup",
                    "matchers": ['service="postgres"'],
                    "weekdays": ["sat", 6],
                    "start": 120,
                    "end": "03:00",
                }
            ],
        }
    )
    assert settings.group_by == ("service", "alertname")
    assert settings.correlation_window == 120.0 and settings.resolve_timeout == 60.0
    assert settings.flap_changes == 3 and settings.reopen_window == 1800.0
    assert settings.topology.upstreams("advisor-api") == {"postgres"}
    assert settings.inhibit_rules[0].equal == ("service",)
    window = settings.maintenance[0]
    assert (window.weekdays, window.start, window.end) == ((5, 6), time(2, 0), time(3, 0))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"group_window": "5m"}, "unknown correlation setting(s): group_window"),
        ({"correlation_window": "5 minutes"}, "correlation_window: not a duration"),
        ({"resolve_timeout": -1}, "resolve_timeout: must not be negative"),
        ({"flap_changes": "4"}, "flap_changes: expected a whole number"),
        ({"group_by": "service"}, "group_by: expected a list of strings"),
        ({"inhibit_rules": [{"source": ["=critical"]}]}, "inhibit_rules[0].source[0]: not a label matcher"),
        ({"inhibit_rules": [{"source": ['a=~"("']}]}, "inhibit_rules[0].source[0]"),
        (
            {"maintenance": [{"name": "x", "weekdays": ["someday"]}]},
            "maintenance[0].weekdays: 'someday' is not a weekday",
        ),
        ({"maintenance": [{"name": "x", "start": "25:00"}]}, "maintenance[0].start: expected a UTC time of day"),
    ],
)
def test_bad_settings_name_the_field(data: dict, message: str) -> None:
    with pytest.raises(ValueError) as error:
        settings_from_mapping(data)
    assert message in str(error.value)


def test_label_matchers_read_alert_labels_like_rule_selectors() -> None:
    labels = {"service": "advisor-api", "alertname": "ApiLatencyP95High", "severity": "high"}
    assert labels_match(parse_matchers(['service="advisor-api"', 'alertname=~"Api.*"'], "m"), labels)
    assert not labels_match(parse_matchers(['severity!="high"'], "m"), labels)
    assert labels_match(parse_matchers(['team=""'], "m"), labels)  # a missing label reads as empty
    assert not labels_match(parse_matchers(['alertname=~"Api"'], "m"), labels)  # regexes are anchored
    assert labels_match((), labels)


def test_service_and_group_of_an_alert() -> None:
    assert service_of({"service": "api", "job": "x"}) == "api"
    assert service_of({"job": "node"}) == "node"
    assert service_of({}) == "unknown"
    assert group_key({"service": "api", "route": "/pay"}, ("service", "route")) == "service=api,route=/pay"
    assert group_key({"service": "api"}, ("service", "cluster")) == "service=api,cluster="
    assert group_key({"service": "api"}, ()) == "all"


def test_inhibit_rule_needs_source_target_and_equal_labels() -> None:
    rule = InhibitRule(
        source=parse_matchers(['severity="critical"'], "s"),
        target=parse_matchers(['severity="low"'], "t"),
        equal=("service",),
    )
    critical = {"service": "db", "severity": "critical"}
    assert rule.inhibits(critical, {"service": "db", "severity": "low"})
    assert not rule.inhibits(critical, {"service": "api", "severity": "low"})
    assert not rule.inhibits(critical, {"service": "db", "severity": "high"})
    assert InhibitRule(source=(), target=(), equal=("cluster",)).inhibits({"a": "1"}, {"b": "2"})  # both missing: equal


def test_maintenance_window_recurs_on_its_weekdays_in_utc() -> None:
    thursday = T0  # 2026-01-01 00:00 UTC is a Thursday
    nightly = MaintenanceWindow("backup", (), weekdays=(3,), start=time(2), end=time(3))
    assert not nightly.active(thursday + 3600 * 1.99)
    assert nightly.active(thursday + 3600 * 2)
    assert not nightly.active(thursday + 3600 * 3)
    assert not nightly.active(thursday + 86400 + 3600 * 2.5)  # Friday
    assert nightly.active(thursday + 7 * 86400 + 3600 * 2.5)  # next Thursday


def test_maintenance_window_past_midnight() -> None:
    overnight = MaintenanceWindow("reindex", (), weekdays=(3,), start=time(23), end=time(1))
    assert overnight.active(T0 + 3600 * 23.5)  # Thursday 23:30
    assert overnight.active(T0 + 86400 + 1800)  # Friday 00:30
    assert not overnight.active(T0 + 1800)  # Thursday 00:30 belongs to Wednesday's window
    assert overnight.silence_id == "maintenance:reindex"
