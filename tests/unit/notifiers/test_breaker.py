"""Circuit breaker transitions with time passed in: closed → open → half-open trial → closed or open again."""

from __future__ import annotations

import pytest

from notifiers.delivery import Admission, BreakerSettings, BreakerState, CircuitBreaker


def opened(threshold: int = 3, cooldown: float = 60.0, at: float = 100.0) -> CircuitBreaker:
    breaker = CircuitBreaker(BreakerSettings(threshold=threshold, cooldown=cooldown))
    for _ in range(threshold):
        breaker.record(False, at)
    assert breaker.state(at) is BreakerState.OPEN
    return breaker


def test_it_opens_after_threshold_consecutive_failures_only() -> None:
    breaker = CircuitBreaker()  # 5 failures, 60 s

    assert [breaker.record(False, 0.0) for _ in range(4)] == [BreakerState.CLOSED] * 4
    assert breaker.admit(0.0) is Admission.ALLOWED
    assert breaker.record(False, 10.0) is BreakerState.OPEN
    assert breaker.consecutive_failures == 5
    assert breaker.admit(10.0) is Admission.REJECTED
    assert breaker.is_open(10.0)


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(BreakerSettings(threshold=3))
    for delivered in (False, False, True, False, False):
        breaker.record(delivered, 0.0)
    assert breaker.state(0.0) is BreakerState.CLOSED and breaker.consecutive_failures == 2


def test_open_rejects_until_the_cooldown_then_admits_exactly_one_trial() -> None:
    breaker = opened(cooldown=60.0, at=100.0)

    assert breaker.admit(159.9) is Admission.REJECTED
    assert breaker.state(160.0) is BreakerState.HALF_OPEN and not breaker.is_open(160.0)
    assert breaker.admit(160.0) is Admission.TRIAL
    assert breaker.admit(160.0) is Admission.REJECTED  # the trial is in flight
    assert breaker.admit(500.0) is Admission.REJECTED  # however long it takes
    assert breaker.is_open(500.0)


def test_a_successful_trial_closes_it() -> None:
    breaker = opened()
    assert breaker.admit(160.0) is Admission.TRIAL

    assert breaker.record(True, 161.0) is BreakerState.CLOSED
    assert breaker.consecutive_failures == 0
    assert breaker.admit(161.0) is Admission.ALLOWED


def test_a_failed_trial_opens_it_for_another_full_cooldown() -> None:
    breaker = opened(cooldown=60.0, at=100.0)
    assert breaker.admit(160.0) is Admission.TRIAL

    assert breaker.record(False, 170.0) is BreakerState.OPEN
    assert breaker.admit(229.9) is Admission.REJECTED
    assert breaker.admit(230.0) is Admission.TRIAL


def test_an_abandoned_trial_lets_the_next_delivery_be_the_trial() -> None:
    breaker = opened()
    assert breaker.admit(160.0) is Admission.TRIAL

    breaker.abandon_trial()

    assert breaker.admit(160.5) is Admission.TRIAL


def test_abandoning_outside_a_trial_changes_nothing() -> None:
    breaker = CircuitBreaker()
    breaker.abandon_trial()
    assert breaker.state(0.0) is BreakerState.CLOSED
    breaker = opened(at=100.0)
    breaker.abandon_trial()
    assert breaker.admit(101.0) is Admission.REJECTED


def test_a_late_success_from_before_it_opened_closes_it() -> None:
    # a delivery admitted while closed that succeeds after others opened the breaker is fresh evidence
    breaker = opened()
    assert breaker.record(True, 101.0) is BreakerState.CLOSED


@pytest.mark.parametrize("settings", [{"threshold": 0}, {"cooldown": -1.0}])
def test_impossible_settings_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        BreakerSettings(**settings)  # type: ignore[arg-type]
