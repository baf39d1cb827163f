"""The routing sections of a pack: what they load into, and every problem at its exact line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Sequence
from datetime import time

import pytest

from correlator.config import ConfigError, ReceiverCheck, merge_packs, parse_pack
from correlator.incidents.config import MaintenanceWindow
from correlator.pack import RulePack
from correlator.routing import EscalationLevel, EscalationPolicy, ReceiverSpec, Route, RoutingConfig, TimeInterval
from correlator.rules import Matcher

GOOD = """\
receivers:
  - name: console
    kind: console
  - name: oncall-pager
    kind: pagerduty
    routing_key: ${PAGERDUTY_ROUTING_KEY}
    optional: true
    fallback: team-slack
    rate_per_second: 2
    burst: 5
  - name: team-slack
    kind: slack
    webhook_url: ${SLACK_WEBHOOK_URL}
    optional: true
    fallback: console
escalation_policies:
  - name: critical-default
    repeat: 2
    levels:
      - notify: [oncall-pager]
        escalate_after: 5m
      - notify: [oncall-pager, team-slack]
        escalate_after: 10m
time_intervals:
  - name: weekends
    times:
      - weekdays: [sat, sun]
      - {weekdays: [Friday], start: 22:00, end: "02:00"}
route:
  receivers: [console]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - name: critical
      match: ['severity="critical"']
      receivers: [console, oncall-pager]
      escalation: critical-default
      group_wait: 0s
      rollback_webhook: team-slack
      continue: true
      mute_time_intervals: [weekends]
      routes:
        - match: ['service=~"pay.*"']
          receivers: []
notify:
  link: "https://vigil.example.com/incidents/{incident_id}"
"""


def load(text: str, check_receiver: ReceiverCheck | None = None) -> RulePack:
    return parse_pack(textwrap.dedent(text), "pack.yaml", check_receiver=check_receiver)


def problems(text: str, check_receiver: ReceiverCheck | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(text, check_receiver)
    return [str(p) for p in info.value.problems]


def with_route(sections: str, route: str = "route:\n  receivers: [console]\n") -> str:
    return "receivers:\n  - name: console\n    kind: console\n" + sections + route


def test_a_full_routing_config_loads_into_the_model() -> None:
    routing = load(GOOD).routing
    assert routing.receivers == {
        "console": ReceiverSpec("console", "console", {}, line=2),
        "oncall-pager": ReceiverSpec(
            "oncall-pager",
            "pagerduty",
            {"routing_key": "${PAGERDUTY_ROUTING_KEY}"},
            fallback="team-slack",
            optional=True,
            rate_per_second=2.0,
            burst=5,
            line=4,
        ),
        "team-slack": ReceiverSpec(
            "team-slack", "slack", {"webhook_url": "${SLACK_WEBHOOK_URL}"}, fallback="console", optional=True, line=11
        ),
    }
    assert type(routing.receivers["oncall-pager"].options) is dict  # raw, no line-annotated YAML
    assert routing.policies == {
        "critical-default": EscalationPolicy(
            "critical-default",
            (EscalationLevel(("oncall-pager",), 300.0), EscalationLevel(("oncall-pager", "team-slack"), 600.0)),
            repeat=2,
        )
    }
    assert routing.time_intervals == {
        "weekends": TimeInterval(
            "weekends",
            (
                MaintenanceWindow("weekends", (), (5, 6), time(0), time(0)),
                MaintenanceWindow("weekends", (), (4,), time(22), time(2)),
            ),
        )
    }
    assert routing.route == Route(
        receivers=("console",),
        group_wait=30.0,
        group_interval=300.0,
        repeat_interval=14400.0,
        routes=(
            Route(
                name="critical",
                matchers=(Matcher("severity", "=", "critical"),),
                receivers=("console", "oncall-pager"),
                escalation="critical-default",
                group_wait=0.0,
                rollback_webhook="team-slack",
                continue_=True,
                mute_time_intervals=("weekends",),
                routes=(Route(matchers=(Matcher("service", "=~", "pay.*"),), receivers=()),),
            ),
        ),
    )
    assert routing.link_for("inc-1") == "https://vigil.example.com/incidents/inc-1"


def test_a_pack_without_routing_tells_nobody() -> None:
    assert load("rules: []\n").routing == RoutingConfig()


def test_the_last_level_needs_no_delay_when_the_policy_does_not_repeat() -> None:
    pack = load(with_route("escalation_policies:\n  - name: p\n    levels:\n      - notify: [console]\n"))
    assert pack.routing.policies["p"] == EscalationPolicy("p", (EscalationLevel(("console",), 0.0),))


CASES: list[tuple[str, str, list[str]]] = [
    # -- keys and types -------------------------------------------------------------------------------
    (
        "unknown route key",
        with_route("", "route:\n  receivers: [console]\n  group_wiat: 1m\n"),
        [
            "pack.yaml:6: route: unknown key 'group_wiat' (allowed: name, receivers, escalation, group_wait, group_interval, repeat_interval, mute_time_intervals, rollback_webhook, routes); did you mean 'group_wait'?"
        ],
    ),
    (
        "match on the root",
        with_route("", "route:\n  match: ['a=\"b\"']\n"),
        [
            "pack.yaml:5: route: unknown key 'match' (allowed: name, receivers, escalation, group_wait, group_interval, repeat_interval, mute_time_intervals, rollback_webhook, routes); the root route matches every incident; put matchers on its child routes"
        ],
    ),
    (
        "unknown child route key",
        with_route("", "route:\n  routes:\n    - name: c\n      matchers: []\n"),
        [
            "pack.yaml:7: route c: unknown key 'matchers' (allowed: name, match, receivers, escalation, continue, group_wait, group_interval, repeat_interval, mute_time_intervals, rollback_webhook, routes); did you mean 'match'?"
        ],
    ),
    (
        "group_by on a route",
        with_route("", "route:\n  routes:\n    - name: c\n      group_by: [team]\n"),
        [
            "pack.yaml:7: route c: unknown key 'group_by' (allowed: name, match, receivers, escalation, continue, group_wait, group_interval, repeat_interval, mute_time_intervals, rollback_webhook, routes); alerts are grouped into incidents before routing: set correlation.group_by (an incident is the unit a route notifies about)"
        ],
    ),
    (
        "unknown level key",
        with_route(
            "escalation_policies:\n  - name: p\n    levels:\n      - notify: [console]\n        escalate_afer: 1m\n"
        ),
        [
            "pack.yaml:8: escalation policy p level 0: unknown key 'escalate_afer' (allowed: notify, escalate_after); did you mean 'escalate_after'?"
        ],
    ),
    (
        "unknown notify key",
        with_route("notify:\n  links: x\n"),
        ["pack.yaml:5: unknown key 'notify.links' (allowed: link); did you mean 'link'?"],
    ),
    (
        "window keys outside times",
        with_route("time_intervals:\n  - name: w\n    weekdays: [sat]\n"),
        [
            "pack.yaml:5: time interval w: missing required key 'times'",
            "pack.yaml:6: time interval w: unknown key 'weekdays' (allowed: name, times); put windows under times: [{weekdays: [...], start: ..., end: ...}]",
        ],
    ),
    (
        "receiver without name and kind",
        "receivers:\n  - optional: true\nroute: {}\n",
        [
            "pack.yaml:2: receiver #1: missing required key 'name'",
            "pack.yaml:2: receiver #1: missing required key 'kind'",
        ],
    ),
    (
        "receiver not a mapping",
        "receivers:\n  - console\nroute: {}\n",
        ["pack.yaml:2: receiver #1 must be a mapping, got 'console'"],
    ),
    (
        "receivers not a list",
        "receivers: {name: console}\nroute: {}\n",
        ["pack.yaml:1: receivers must be a list of receiver mappings, got a mapping"],
    ),
    (
        "route not a mapping",
        with_route("", "route: [console]\n"),
        ["pack.yaml:4: route must be a mapping (the root route), got a list"],
    ),
    (
        "bad receiver fields",
        "receivers:\n  - name: x y\n    kind: 3\n    optional: 'yes'\n    rate_per_second: 0\n    burst: 1.5\nroute: {}\n",
        [
            "pack.yaml:2: receiver x y: name must be a name of letters, digits, _ . : or - (no spaces), got 'x y'",
            "pack.yaml:3: receiver x y: kind must be a non-empty string, got 3",
            "pack.yaml:4: receiver x y: optional must be true or false, got 'yes'",
            "pack.yaml:5: receiver x y: rate_per_second must be more than 0, got 0",
            "pack.yaml:6: receiver x y: burst must be a whole number, got 1.5",
        ],
    ),
    (
        "bad route fields",
        with_route(
            "",
            "route:\n  receivers: console\n  routes:\n    - continue: 1\n      group_wait: 30\n"
            "      group_interval: 0s\n      repeat_interval: soon\n    - 3\n",
        ),
        [
            "pack.yaml:5: route: receivers must be a list of receiver names, got 'console'",
            "pack.yaml:7: route root/0: continue must be true or false, got 1",
            "pack.yaml:8: route root/0: group_wait must be a duration with a unit, got 30 (e.g. 30s)",
            "pack.yaml:9: route root/0: group_interval must be longer than 0s",
            "pack.yaml:10: route root/0: repeat_interval must be a duration like 10s, 5m or 1h30m, got 'soon'",
            "pack.yaml:11: route: routes[1] must be a mapping, got 3",
        ],
    ),
    (
        "matchers",
        with_route("", "route:\n  routes:\n    - match: ['severity=~\"(\"', 'nonsense']\n"),
        [
            "pack.yaml:6: route root/0: match: invalid regex in 'severity=~\"(\"': missing ), unterminated subpattern at position 0",
            'pack.yaml:6: route root/0: match: \'nonsense\' is not a label matcher (expected label="value", label!="value", label=~"regex" or label!~"regex")',
        ],
    ),
    # -- names ----------------------------------------------------------------------------------------
    (
        "duplicate receiver",
        "receivers:\n  - {name: a, kind: console}\n  - {name: a, kind: console}\nroute: {}\n",
        ["pack.yaml:3: receiver a: name already used by the receiver at line 2"],
    ),
    (
        "duplicate policy and interval",
        with_route(
            "escalation_policies:\n  - {name: p, levels: [{notify: [console]}]}\n"
            "  - {name: p, levels: [{notify: [console]}]}\n"
            "time_intervals:\n  - {name: w, times: [{}]}\n  - {name: w, times: [{}]}\n"
        ),
        [
            "pack.yaml:6: escalation policy p: name already used by the escalation policy at line 5",
            "pack.yaml:9: time interval w: name already used by the time interval at line 8",
        ],
    ),
    (
        "duplicate route names",
        with_route(
            "", "route:\n  routes:\n    - {name: a}\n    - {name: b, routes: [{name: a}]}\n    - {name: root}\n"
        ),
        [
            "pack.yaml:7: route a: name already used by the route at line 6",
            "pack.yaml:8: route root: name already used by the route at line 4",
        ],
    ),
    (
        "a receiver listed twice",
        with_route("", "route:\n  receivers: [console, console]\n"),
        ["pack.yaml:5: route: receivers: console is listed twice"],
    ),
    # -- references -----------------------------------------------------------------------------------
    (
        "unknown names everywhere",
        with_route(
            "escalation_policies:\n  - name: p\n    levels:\n      - notify: [consol]\n",
            "route:\n  receivers: [pager]\n  escalation: q\n  routes:\n"
            "    - {name: c, mute_time_intervals: [weekends], rollback_webhook: deploy-bot, escalation: pp}\n",
        ),
        [
            "pack.yaml:7: escalation policy p level 0: notify: no receiver named 'consol' (known: console); did you mean 'console'?",
            "pack.yaml:9: route: receivers: no receiver named 'pager' (known: console)",
            "pack.yaml:10: route: escalation: no escalation policy named 'q' (known: p)",
            "pack.yaml:12: route c: escalation: no escalation policy named 'pp' (known: p); did you mean 'p'?",
            "pack.yaml:12: route c: rollback_webhook: no receiver named 'deploy-bot' (known: console)",
            "pack.yaml:12: route c: mute_time_intervals: no time interval named 'weekends' (known: none declared)",
        ],
    ),
    (
        "unknown fallback",
        "receivers:\n  - name: a\n    kind: console\n    fallback: b\nroute: {}\n",
        ["pack.yaml:4: receiver a: fallback: no receiver named 'b' (known: a)"],
    ),
    (
        "own fallback",
        "receivers:\n  - name: a\n    kind: console\n    fallback: a\nroute: {}\n",
        ["pack.yaml:4: receiver a: fallback: a receiver cannot be its own fallback"],
    ),
    (
        "fallback cycle",
        "receivers:\n  - {name: a, kind: console, fallback: b}\n  - {name: b, kind: console, fallback: c}\n"
        "  - {name: c, kind: console, fallback: b}\n  - {name: d, kind: console, fallback: a}\nroute: {}\n",
        [
            "pack.yaml:3: receiver b: fallback cycle b → c → b: a failing notification would go round forever; end the chain at a receiver without a fallback"
        ],
    ),
    # -- policies -------------------------------------------------------------------------------------
    (
        "empty levels and negative repeat",
        with_route("escalation_policies:\n  - name: p\n    repeat: -1\n    levels: []\n"),
        [
            "pack.yaml:6: escalation policy p: repeat must be at least 0, got -1",
            "pack.yaml:7: escalation policy p: levels must list at least one level (who is told first)",
        ],
    ),
    (
        "empty notify",
        with_route("escalation_policies:\n  - name: p\n    levels:\n      - {notify: []}\n"),
        ["pack.yaml:7: escalation policy p level 0: notify must name at least one receiver"],
    ),
    (
        "levels need a delay before the next one",
        with_route(
            "escalation_policies:\n  - name: p\n    levels:\n      - notify: [console]\n      - notify: [console]\n"
            "  - name: q\n    repeat: 1\n    levels:\n      - notify: [console]\n        escalate_after: 0s\n"
        ),
        [
            "pack.yaml:7: escalation policy p level 0: missing required key 'escalate_after'",
            "pack.yaml:13: escalation policy q level 0: escalate_after must be longer than 0s",
        ],
    ),
    (
        "a level that is not a mapping",
        with_route("escalation_policies:\n  - name: p\n    levels: [console]\n"),
        ["pack.yaml:6: escalation policy p: level 0 must be a mapping, got 'console'"],
    ),
    # -- time intervals -------------------------------------------------------------------------------
    (
        "bad windows",
        with_route(
            "time_intervals:\n  - name: w\n    times:\n      - weekdays: [funday, sat, sat]\n"
            "        start: '24:00'\n        end: 7\n      - weekdays: []\n  - name: x\n    times: []\n"
        ),
        [
            "pack.yaml:7: time interval w: times[0].weekdays: 'funday' is not a weekday (mon … sun)",
            "pack.yaml:7: time interval w: times[0].weekdays: sat is listed twice",
            "pack.yaml:8: time interval w: times[0].start must be a UTC time of day from '00:00' to '23:59', got '24:00'",
            "pack.yaml:9: time interval w: times[0].end must be a UTC time of day from '00:00' to '23:59', got 7",
            "pack.yaml:10: time interval w: times[1].weekdays must list at least one day (leave it out for every day)",
            "pack.yaml:12: time interval x: times must list at least one window",
        ],
    ),
    # -- notify and the whole ------------------------------------------------------------------------
    (
        "link fields",
        with_route("notify:\n  link: 'https://x/{incident}'\n"),
        ["pack.yaml:5: notify.link: unknown field {incident} (the only field is {incident_id})"],
    ),
    (
        "link braces",
        with_route("notify:\n  link: 'https://x/{incident_id'\n"),
        ["pack.yaml:5: notify.link: cannot render 'https://x/{incident_id': expected '}' before end of string"],
    ),
    (
        "routing without a route",
        "rules: []\nreceivers:\n  - {name: console, kind: console}\nnotify: {link: x}\n",
        ["pack.yaml:2: receivers, notify without a route: nobody would be told; add route: {receivers: [...]}"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [(t, e) for _, t, e in CASES], ids=[c[0] for c in CASES])
def test_problem_is_reported_at_its_line(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


# -- check_receiver -------------------------------------------------------------


class Judge:
    """A check_receiver that answers canned problems and remembers whom it was asked about."""

    def __init__(self, answers: dict[str, Sequence[tuple[str | None, str]]]) -> None:
        self.answers = answers
        self.asked: list[ReceiverSpec] = []

    def __call__(self, spec: ReceiverSpec) -> Sequence[tuple[str | None, str]]:
        self.asked.append(spec)
        return self.answers.get(spec.name, [])


RECEIVERS = """\
receivers:
  - name: mail
    kind: email
    host: smtp.example.com
    to:
      - a@example.com
      - not-an-address
    headers: {X-Team: platform}
  - name: broken
    kind: email
    burst: 0
route:
  receivers: [mail]
"""


@pytest.mark.parametrize(
    ("option", "line"),
    [
        ("host", 4),
        ("to", 5),
        ("to.1", 7),
        ("to[1]", 7),
        ("to.9", 5),  # deeper than the YAML goes: the deepest line known
        ("headers.X-Team", 8),
        ("kind", 3),
        ("no_such_option", 2),  # an option the YAML does not have: the receiver's line
        (None, 2),
    ],
)
def test_receiver_problems_are_reported_at_the_option_they_name(option: str | None, line: int) -> None:
    judge = Judge({"mail": [(option, f"{option}: wrong")]})
    assert problems(RECEIVERS, judge) == [
        f"pack.yaml:{line}: receiver mail: {option}: wrong",
        "pack.yaml:11: receiver broken: burst must be at least 1, got 0",
    ]
    # The channel is judged with its raw options; a receiver with problems of its own is not judged.
    assert [spec.name for spec in judge.asked] == ["mail"]
    assert judge.asked[0].options == {
        "host": "smtp.example.com",
        "to": ["a@example.com", "not-an-address"],
        "headers": {"X-Team": "platform"},
    }


def test_without_check_receiver_options_are_not_judged() -> None:
    assert problems(RECEIVERS) == ["pack.yaml:11: receiver broken: burst must be at least 1, got 0"]


# -- several files --------------------------------------------------------------


def test_routing_may_be_set_in_one_file_only() -> None:
    routed, plain = load(GOOD), load("rules: []\n")
    assert merge_packs([("a.yaml", plain), ("b.yaml", routed)]).routing == routed.routing
    with pytest.raises(ConfigError) as info:
        merge_packs([("a.yaml", routed), ("b.yaml", plain), ("c.yaml", routed)])
    assert [str(p) for p in info.value.problems] == ["c.yaml: routing is also set in a.yaml; set it in one file only"]


def test_the_loader_stays_pure_it_imports_no_notifier() -> None:
    code = "import sys, correlator.config; print(sorted(m for m in sys.modules if m.split('.')[0] in ('notifiers', 'aiohttp', 'vigil')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
