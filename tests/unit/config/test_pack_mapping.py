"""A valid pack file becomes exactly the correlator's dataclasses."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import correlator.config
from correlator import (
    AbsenceRule,
    Aggregation,
    Comparison,
    EvaluationSettings,
    LogPattern,
    Matcher,
    RuleEngine,
    RulePack,
    SliSpec,
    Slo,
    ThresholdRule,
)
from correlator.config import ConfigError, describe_pack, load_pack, load_packs, merge_packs, parse_pack

PACK = textwrap.dedent(
    """\
    settings:
      window: 5s
      allowed_lateness: 2s
      refresh: 30s
      receipt_timeout: 10m
    log_patterns:
      - name: upstream_timeout
        regex: 'upstream timeout'
    rules:
      - name: ApiErrors
        source: metrics
        metric: http_request_duration_seconds
        match: ['service="advisor-api"', 'route!~"/health.*"']
        aggregation: error_ratio
        errors: ['status=~"5.."']
        group_by: [service, route]
        op: ">="
        threshold: 0.05
        window: 1m
        every: 15s
        for: 1m30s
        keep_firing_for: 30s
        severity: critical
        labels: {team: api, tier: 1}
        annotations: {summary: "{route} errors {value:.1%}"}
      - name: Timeouts
        source: logs
        metric: log_pattern_matches
        match: ['pattern="upstream_timeout"']
        aggregation: rate
        op: ">"
        threshold: 0.1
        window: 20s
        for: 0
      - name: Silent
        absent: 2m
        source: metrics
        metric: up
    slos:
      - name: api-availability
        objective: 99.9
        sli:
          source: metrics
          metric: http_request_duration_seconds
          match: ['service="advisor-api"']
          bad: ['status=~"5.."']
      - name: whatsapp
        objective: "99%"
        period: 7d
        labels: {team: messaging}
        sli: {source: receipts, metric: delivery_outcomes, bad: ['outcome="failure"']}
      - name: uptime
        objective: 99
        sli: {source: metrics, metric: up, ge: 1}
    """
)


def test_every_field_lands_where_the_correlator_expects_it() -> None:
    pack = parse_pack(PACK, "p.yaml")
    m = Matcher.parse
    assert pack.settings == EvaluationSettings(
        window_seconds=5, allowed_lateness=2, refresh_seconds=30, receipt_timeout_seconds=600
    )
    assert pack.log_patterns == (LogPattern("upstream_timeout", "upstream timeout"),)
    errors, timeouts = pack.rules
    assert errors == ThresholdRule(
        name="ApiErrors",
        source="metrics",
        metric="http_request_duration_seconds",
        aggregation=Aggregation.ERROR_RATIO,
        comparison=Comparison.GE,
        threshold=0.05,
        window_seconds=60,
        for_seconds=90,
        keep_firing_for_seconds=30,
        every_seconds=15,
        matchers=(m('service="advisor-api"'), m('route!~"/health.*"')),
        numerator=(m('status=~"5.."'),),
        group_by=("service", "route"),
        severity="critical",
        labels={"team": "api", "tier": "1"},
        annotations={"summary": "{route} errors {value:.1%}"},
    )
    assert timeouts.aggregation is Aggregation.RATE and timeouts.for_seconds == 0
    assert timeouts.every_seconds is None and timeouts.severity == "high" and timeouts.group_by == ("service",)
    assert pack.absence == (AbsenceRule(name="Silent", source="metrics", metric="up", for_seconds=120),)
    availability, whatsapp, uptime = pack.slos
    assert availability == Slo(
        name="api-availability",
        objective=0.999,
        sli=SliSpec(
            source="metrics",
            metric="http_request_duration_seconds",
            matchers=(m('service="advisor-api"'),),
            bad=(m('status=~"5.."'),),
        ),
        period_seconds=30 * 86400,
    )
    assert whatsapp.objective == 0.99 and whatsapp.period_seconds == 7 * 86400
    assert whatsapp.labels == {"team": "messaging"}
    assert uptime.sli == SliSpec(source="metrics", metric="up", ge=1.0)
    RuleEngine(pack)  # and the engine takes it


def test_defaults_of_an_almost_empty_pack() -> None:
    pack = parse_pack("rules: []\n", "p.yaml")
    assert pack == RulePack()
    assert parse_pack("settings:\nrules:\nslos:\n", "p.yaml") == RulePack()


def test_describe_pack() -> None:
    pack = parse_pack(PACK, "p.yaml")
    assert describe_pack(pack) == "2 rules, 1 absence rule, 3 SLOs → 12 burn-rate alerts, 1 log pattern; base window 5s"


def test_load_packs_merges_files_and_reports_clashes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text(PACK, encoding="utf-8")
    b.write_text(
        "settings: {window: 5s, allowed_lateness: 2s, refresh: 30s, receipt_timeout: 10m}\n"
        "rules:\n  - {name: Other, absent: 1m, source: metrics, metric: up}\n",
        encoding="utf-8",
    )
    merged = load_packs([a, b])
    assert [r.name for r in merged.absence] == ["Silent", "Other"] and len(merged.rules) == 2
    copy = tmp_path / "copy.yaml"
    copy.write_text(PACK, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_packs([a, copy])
    assert f"{copy}: rule ApiErrors is also defined in {a}" in [str(p) for p in info.value.problems]
    with pytest.raises(ConfigError, match="settings differ from those of"):
        merge_packs([("x.yaml", RulePack()), ("y.yaml", RulePack(settings=EvaluationSettings(window_seconds=1)))])


def test_load_pack_reads_files(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PACK, encoding="utf-8")
    assert load_pack(path) == parse_pack(PACK)


def test_all_is_honest() -> None:
    for name in correlator.config.__all__:
        assert hasattr(correlator.config, name)
    assert sorted(correlator.config.__all__) == correlator.config.__all__
