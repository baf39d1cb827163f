"""The route tree, Alertmanager's way: deepest match, first match stops siblings, `continue`, inheritance."""

from __future__ import annotations

import pytest

from correlator.config import parse_pack
from correlator.routing import RouteMatch, RoutingConfig, match_routes, route_at, routing_labels
from tests.unit.api.fixtures import snapshot

TREE = """\
receivers:
  - {name: console, kind: console}
  - {name: pager, kind: console}
  - {name: chat, kind: console}
  - {name: db-team, kind: console}
  - {name: audit, kind: console}
  - {name: deploy-bot, kind: console}
escalation_policies:
  - {name: oncall, levels: [{notify: [pager]}]}
  - {name: db-oncall, levels: [{notify: [db-team]}]}
time_intervals:
  - {name: nights, times: [{start: "22:00", end: "06:00"}]}
route:
  receivers: [console]
  repeat_interval: 2h
  routes:
    - name: audit                               # sees everything, and lets the walk go on
      match: ['team="compliance"']
      receivers: [audit]
      continue: true
    - name: critical
      match: ['severity="critical"']
      receivers: [pager]
      escalation: oncall
      group_wait: 0s
      mute_time_intervals: [nights]
      rollback_webhook: deploy-bot
      routes:
        - name: critical-db                     # deeper: wins over its parent
          match: ['service=~"postgres|redis"']
          receivers: [db-team]
          escalation: db-oncall
        - match: ['service="advisor-api"']       # unnamed: called by its path; inherits everything
        - name: critical-chat-off
          match: ['service="batch"']
          receivers: []                         # tells nobody, but the policy still runs
    - name: high
      match: ['severity=~"high|critical"']       # would match critical too, but critical comes first
      receivers: [chat]
      group_interval: 1m
"""


@pytest.fixture(scope="module")
def config() -> RoutingConfig:
    return parse_pack(TREE, "tree.yaml").routing


def routed(config: RoutingConfig, **labels: str) -> list[str]:
    return [m.name for m in match_routes(config, labels)]


@pytest.mark.parametrize(
    ("labels", "names"),
    [
        # no child matches: the root itself is the match
        ({"severity": "low", "service": "advisor-api"}, ["root"]),
        ({}, ["root"]),
        # the first matching child stops its siblings (high would match a critical incident too)
        ({"severity": "critical", "service": "compliance-svc"}, ["critical"]),
        ({"severity": "high"}, ["high"]),
        # deepest match wins: the child, not the parent
        ({"severity": "critical", "service": "postgres"}, ["critical-db"]),
        ({"severity": "critical", "service": "advisor-api"}, ["root/1/1"]),
        # continue: true lets the walk go on to the next sibling
        ({"severity": "critical", "service": "postgres", "team": "compliance"}, ["audit", "critical-db"]),
        ({"severity": "low", "team": "compliance"}, ["audit"]),  # continue, and nothing else matches
    ],
)
def test_which_routes_an_incident_reaches(config: RoutingConfig, labels: dict[str, str], names: list[str]) -> None:
    assert routed(config, **labels) == names


def test_a_child_inherits_receivers_escalation_and_timers_but_not_mutes_or_rollbacks(config: RoutingConfig) -> None:
    [unnamed] = match_routes(config, {"severity": "critical", "service": "advisor-api"})
    assert unnamed == RouteMatch(
        path="root/1/1",
        name="root/1/1",
        receivers=("pager",),  # from critical
        escalation="oncall",  # from critical
        group_wait=0.0,  # from critical
        group_interval=300.0,  # the default, via the root
        repeat_interval=7200.0,  # from the root
        mute_time_intervals=(),  # critical's own
        rollback_webhook=None,  # critical's own
    )
    [parent] = match_routes(config, {"severity": "critical", "service": "compliance-svc"})
    assert (parent.mute_time_intervals, parent.rollback_webhook) == (("nights",), "deploy-bot")


def test_a_child_overrides_what_it_sets(config: RoutingConfig) -> None:
    [db] = match_routes(config, {"severity": "critical", "service": "redis"})
    assert (db.receivers, db.escalation, db.group_wait) == (("db-team",), "db-oncall", 0.0)
    [quiet] = match_routes(config, {"severity": "critical", "service": "batch"})
    assert (quiet.receivers, quiet.escalation) == ((), "oncall")  # receivers: [] is nobody, not "inherit"


def test_the_root_has_alertmanagers_default_timers() -> None:
    [root] = match_routes(parse_pack("route: {receivers: []}\n").routing, {"severity": "high"})
    assert (root.path, root.group_wait, root.group_interval, root.repeat_interval) == ("root", 30.0, 300.0, 14400.0)


def test_a_pack_without_routing_reaches_the_root_and_tells_nobody() -> None:
    [root] = match_routes(RoutingConfig(), {"severity": "critical"})
    assert (root.name, root.receivers, root.escalation) == ("root", (), None)


def test_route_at_finds_a_lane_by_path_with_its_inherited_settings(config: RoutingConfig) -> None:
    for labels in ({"severity": "critical", "service": "postgres"}, {"severity": "high"}, {}):
        for match in match_routes(config, labels):
            assert route_at(config, match.path) == match
    assert route_at(config, "root/9") is None
    assert route_at(config, "root/1/x") is None


def test_routing_labels_are_the_common_labels_plus_severity_service_root_cause_and_domain() -> None:
    incident = snapshot(
        severity="critical",
        labels={"team": "api"},
        services=["advisor-api", "postgres"],
        root_cause="postgres",
        domain="advisor-api",
    )
    assert routing_labels(incident) == {
        "team": "api",
        "severity": "critical",
        "root_cause": "postgres",
        "service": "postgres",  # the service at fault routes a joined incident
        "domain": "advisor-api",
    }
    own = snapshot(labels={"service": "advisor-api"}, root_cause="postgres")
    assert routing_labels(own)["service"] == "advisor-api"  # an incident grouped by service keeps its own


def test_a_joined_incident_routes_to_the_team_of_the_service_at_fault(config: RoutingConfig) -> None:
    incident = snapshot(severity="critical", labels={}, services=["advisor-api", "postgres"], root_cause="postgres")
    assert [m.name for m in match_routes(config, routing_labels(incident))] == ["critical-db"]
