"""vigil.receivers: a pack's receivers judged and built by the real notifier kinds, optional ones disabled."""

from __future__ import annotations

from typing import Any

import pytest

from correlator.config import ConfigError, parse_pack
from correlator.routing import ReceiverSpec, RoutingConfig
from notifiers.console import ConsoleNotifier
from vigil import receivers as receivers_module
from vigil.receivers import ReceiverError, build_receivers, missing_variables, receiver_problems

HINT = " (set it, or mark the receiver optional: true to run without it)"
PD_KEY = "0123456789abcdef0123456789abcdef"


def spec(name: str, kind: str, optional: bool = False, **options: Any) -> ReceiverSpec:
    return ReceiverSpec(name=name, kind=kind, options=options, optional=optional, line=7)


def test_missing_variables_are_found_anywhere_in_the_options() -> None:
    receiver = spec("r", "webhook", url="https://${HOST}/x/${TOKEN}", headers={"A": "${TOKEN}"}, to=["${MAIL}"])
    assert missing_variables(receiver, {"HOST": "h"}) == ["TOKEN", "MAIL"]
    assert missing_variables(receiver, {"HOST": "h", "TOKEN": "t", "MAIL": "m"}) == []
    assert missing_variables(receiver, {"HOST": "h", "TOKEN": "", "MAIL": "m"}) == ["TOKEN"]  # empty = unset


@pytest.mark.parametrize(
    ("receiver", "env", "expected"),
    [
        (spec("c", "console"), {}, []),
        (spec("c", "console", stream="stdout"), {}, []),
        (
            spec("c", "console", colour="red"),
            {},
            [("colour", "colour: unknown option(s) colour for a console receiver")],
        ),
        (spec("p", "pagerduty", routing_key="${PD}"), {"PD": PD_KEY}, []),
        # not optional: an unset variable is a problem
        (
            spec("p", "pagerduty", routing_key="${PD}"),
            {},
            [("routing_key", "routing_key: environment variable PD is not set" + HINT)],
        ),
        # optional: an unset variable disables it, no problem
        (spec("p", "pagerduty", optional=True, routing_key="${PD}"), {}, []),
        # optional with every variable set: judged like any other
        (
            spec("s", "slack", optional=True, webhook_url="${URL}"),
            {"URL": "hooks.slack.com/x"},
            [("webhook_url", "webhook_url: must be an http:// or https:// URL")],
        ),
        # optional and disabled, but its kind must still exist
        (
            spec("x", "opsgenie", optional=True, key="${KEY}"),
            {},
            [
                (
                    "kind",
                    'kind: unknown notifier kind "opsgenie" (known: console, email, pagerduty, slack, sms, webhook)',
                )
            ],
        ),
    ],
)
def test_receiver_problems(receiver: ReceiverSpec, env: dict[str, str], expected: list[tuple[str, str]]) -> None:
    assert receiver_problems(env)(receiver) == expected


def test_values_from_the_environment_never_appear_in_a_problem() -> None:
    receiver = spec("mail", "email", host="${SMTP_HOST}", **{"from": "v@example.com", "to": ["a@example.com"]})
    [(option, message)] = receiver_problems({"SMTP_HOST": "hunter2 secret"})(receiver)
    assert option == "host" and "hunter2" not in message and "***" in message


def test_a_plugin_failing_in_another_way_is_still_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(name: str, kind: str, options: Any, env: Any) -> Any:
        raise TypeError(f"cannot use {env['TOKEN']}")

    monkeypatch.setattr(receivers_module, "build_notifier", explode)
    assert receiver_problems({"TOKEN": "s3cr3t-value"})(spec("r", "plugin", token="${TOKEN}")) == [
        (None, "kind plugin cannot build it: TypeError: cannot use ***")
    ]


PACK = """\
receivers:
  - name: console
    kind: console
  - name: mail
    kind: email
    host: smtp.example.com
    from: vigil@example.com
    to:
      - team@example.com
      - not an address
  - name: pager
    kind: pagerduty
    routing_key: ${PD_KEY}
  - name: chat
    kind: slack
    webhook_url: ${SLACK_URL}
    optional: true
route:
  receivers: [console, mail, pager, chat]
"""


def test_the_loader_reports_what_the_notifiers_say_at_the_options_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_pack(PACK, "pack.yaml", check_receiver=receiver_problems({}))
    assert [str(p) for p in info.value.problems] == [
        "pack.yaml:10: receiver mail: to[1]: is not an email address: 'not an address'",
        "pack.yaml:13: receiver pager: routing_key: environment variable PD_KEY is not set" + HINT,
    ]


def test_build_receivers_gives_ready_channels_and_disabled_optional_ones() -> None:
    pack = parse_pack(PACK.replace("      - not an address\n", ""), "pack.yaml")
    env = {"PD_KEY": PD_KEY}
    ready, disabled = build_receivers(pack.routing, env)
    assert sorted(ready) == ["console", "mail", "pager"]
    assert isinstance(ready["console"], ConsoleNotifier) and ready["pager"].kind == "pagerduty"
    assert disabled == {"chat": "environment variable SLACK_URL not set"}
    ready, disabled = build_receivers(pack.routing, {**env, "SLACK_URL": "https://hooks.slack.com/services/T/B/x"})
    assert "chat" in ready and disabled == {}


def test_build_receivers_refuses_a_receiver_that_cannot_be_built() -> None:
    routing = RoutingConfig(receivers={"pager": spec("pager", "pagerduty", routing_key="${PD_KEY}")})
    with pytest.raises(ReceiverError) as info:
        build_receivers(routing, {})
    assert str(info.value) == "receiver pager (pack line 7): routing_key: environment variable PD_KEY is not set"
    several = RoutingConfig(receivers={"m": spec("m", "email", optional=True, host="${A}", to="${B}")})
    assert build_receivers(several, {}) == ({}, {"m": "environment variables A, B not set"})
