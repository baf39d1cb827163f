"""Token buckets under a fake clock: bursts, pacing, refill, queueing; rates from the kind or the receiver."""

from __future__ import annotations

from typing import Any

import pytest

from notifiers.base import NotifierConfigError
from notifiers.console import ConsoleNotifier
from notifiers.delivery import DELIVERY_OPTIONS, RateLimit, ReceiverPolicy, TokenBucket, split_delivery_options
from notifiers.email import EmailNotifier


def test_a_burst_goes_at_once_then_callers_queue_at_the_rate() -> None:
    bucket = TokenBucket(RateLimit(2.0, 3), now=100.0)

    waits = [bucket.reserve(100.0) for _ in range(6)]

    # three tokens in the bucket, then one every 0.5 s; each caller queues behind the previous one
    assert waits == [0.0, 0.0, 0.0, 0.5, 1.0, 1.5]


def test_callers_who_waited_their_turn_then_find_the_bucket_empty() -> None:
    bucket = TokenBucket(RateLimit(1.0, 1), now=0.0)

    assert bucket.reserve(0.0) == 0.0
    assert bucket.reserve(0.0) == 1.0  # its token comes at t=1
    assert bucket.reserve(1.0) == 1.0  # at t=1 that token is taken: the next comes at t=2
    assert bucket.reserve(2.5) == 0.5
    assert bucket.tokens(3.0) == pytest.approx(0.0)


def test_a_quiet_spell_refills_up_to_the_burst_only() -> None:
    bucket = TokenBucket(RateLimit(5.0, 5), now=0.0)
    for _ in range(5):
        bucket.reserve(0.0)
    assert bucket.tokens(0.0) == 0.0
    assert bucket.tokens(0.4) == pytest.approx(2.0)

    assert bucket.tokens(3600.0) == 5.0
    assert [bucket.reserve(3600.0) for _ in range(6)] == pytest.approx([0, 0, 0, 0, 0, 0.2])


def test_a_slow_rate_waits_whole_seconds() -> None:
    bucket = TokenBucket(RateLimit.for_rate(0.5), now=0.0)
    assert bucket.limit.burst == 1
    assert [bucket.reserve(0.0) for _ in range(3)] == [0.0, 2.0, 4.0]


def test_a_clock_that_steps_back_does_not_mint_tokens() -> None:
    bucket = TokenBucket(RateLimit(1.0, 1), now=10.0)
    assert bucket.reserve(10.0) == 0.0
    assert bucket.reserve(5.0) == 1.0
    assert bucket.reserve(10.0) == 2.0


def test_rates_default_to_the_kind_and_the_receiver_may_override() -> None:
    assert ReceiverPolicy.for_kind(EmailNotifier).rate == RateLimit(5.0, 5)
    assert ReceiverPolicy.for_kind(ConsoleNotifier).rate == RateLimit(1000.0, 1000)
    assert ReceiverPolicy.for_kind(EmailNotifier, {"rate_per_second": 0.2}).rate == RateLimit(0.2, 1)
    assert ReceiverPolicy.for_kind(EmailNotifier, {"rate_per_second": 1, "burst": 10}).rate == RateLimit(1.0, 10)
    assert ReceiverPolicy.for_kind(EmailNotifier, {"burst": 2}).rate == RateLimit(5.0, 2)
    # a pack's unset overrides may arrive as None
    assert ReceiverPolicy.for_kind(EmailNotifier, {"rate_per_second": None, "burst": None}).rate == RateLimit(5.0, 5)

    class Plugin:  # a third-party kind that declares no rate gets a careful one
        pass

    assert ReceiverPolicy.for_kind(Plugin).rate == RateLimit(1.0, 1)


def test_delivery_options_are_split_from_the_channels() -> None:
    channel, delivery = split_delivery_options({"host": "smtp", "rate_per_second": 2, "burst": 4, "to": ["a@b.c"]})
    assert channel == {"host": "smtp", "to": ["a@b.c"]}
    assert delivery == {"rate_per_second": 2, "burst": 4}
    assert set(delivery) == DELIVERY_OPTIONS


@pytest.mark.parametrize(
    ("options", "option"),
    [
        ({"rate_per_second": 0}, "rate_per_second"),
        ({"rate_per_second": -1}, "rate_per_second"),
        ({"rate_per_second": "fast"}, "rate_per_second"),
        ({"rate_per_second": True}, "rate_per_second"),
        ({"rate_per_second": float("inf")}, "rate_per_second"),
        ({"burst": 0}, "burst"),
        ({"burst": 1.5}, "burst"),
    ],
)
def test_bad_rate_options_are_refused_naming_the_option(options: dict[str, Any], option: str) -> None:
    with pytest.raises(NotifierConfigError) as caught:
        ReceiverPolicy.for_kind(EmailNotifier, options)
    assert caught.value.option == option


def test_impossible_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimit(0.0, 1)
    with pytest.raises(ValueError):
        RateLimit(1.0, 0)
