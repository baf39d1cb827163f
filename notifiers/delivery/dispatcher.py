"""Delivers one message to one receiver the same way for every channel.

Notifiers make exactly one attempt and say whether a failure is worth
retrying; everything around that lives here, once:

- a token bucket per receiver paces requests (waiting, never dropping);
- a circuit breaker per receiver fails fast while a channel is down;
- exponential backoff with jitter retries what the provider says is
  retryable, honouring Retry-After, within a deadline;
- when the receiver cannot be reached the message goes to the fallback
  receiver, so an incident is never told to nobody;
- a key is sent to a receiver at most once per dispatcher, even when
  `deliver` is called twice for it (concurrently or later);
- every attempt is reported to `on_attempt` (a message not sent, because
  the breaker is open or the key was sent before, as attempt 0), and a
  receiver that starts or stops failing to `on_receiver_failing` /
  `on_receiver_recovered`, so the caller can publish results and metrics
  and raise Vigil's own alert about a broken channel.

Each receiver has its own bucket and breaker and nothing is shared between
deliveries but those, so a slow or failing receiver never delays another.
Clock, sleep and random are injected, so tests run the schedule without
waiting.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import MappingProxyType

import aiohttp

from notifiers.base import Message, Notifier, Outcome
from notifiers.delivery.breaker import Admission, BreakerState, CircuitBreaker
from notifiers.delivery.policy import ReceiverPolicy
from notifiers.delivery.ratelimit import TokenBucket
from notifiers.delivery.records import AttemptRecord, Delivery, ReceiverResult, StopReason

__all__ = ["AttemptCallback", "Dispatcher", "FailingCallback", "RecoveredCallback"]

log = logging.getLogger("vigil.notify.delivery")

AttemptCallback = Callable[[AttemptRecord], None]
FailingCallback = Callable[[str, str], None]  #: (receiver, reason in words)
RecoveredCallback = Callable[[str], None]  #: (receiver)


@dataclasses.dataclass
class _ReceiverState:
    """The mutable part of one receiver: its bucket, its breaker, and whether it is reported failing."""

    policy: ReceiverPolicy
    bucket: TokenBucket
    breaker: CircuitBreaker
    failing: str | None = None  #: the reason given to on_receiver_failing, until it recovers


class Dispatcher:
    """Runs deliveries under rate limit, circuit breaker, backoff and fallback.

    `policies` overrides the policy of receivers by name; any other receiver
    gets `ReceiverPolicy.for_kind` of its notifier's class. `clock` measures
    waits and cooldowns (monotonic); `wall_clock` stamps the attempt records
    (Unix seconds).
    """

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        policies: Mapping[str, ReceiverPolicy] | None = None,
        on_attempt: AttemptCallback | None = None,
        on_receiver_failing: FailingCallback | None = None,
        on_receiver_recovered: RecoveredCallback | None = None,
        attempt_timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        remember: int = 10_000,
    ) -> None:
        self._http = http
        self._policies = dict(policies or {})
        self._on_attempt = on_attempt
        self._on_failing = on_receiver_failing
        self._on_recovered = on_receiver_recovered
        self._attempt_timeout = attempt_timeout
        self._clock = clock
        self._wall_clock = wall_clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._remember = remember
        self._receivers: dict[str, _ReceiverState] = {}
        self._done: OrderedDict[tuple[str, str], ReceiverResult] = OrderedDict()
        self._inflight: dict[tuple[str, str], asyncio.Event] = {}

    @property
    def failing(self) -> Mapping[str, str]:
        """Receivers currently failing (their breaker opened), with the reason given when they started to."""
        return MappingProxyType({name: s.failing for name, s in self._receivers.items() if s.failing is not None})

    def breaker_state(self, receiver: str) -> BreakerState:
        state = self._receivers.get(receiver)
        return BreakerState.CLOSED if state is None else state.breaker.state(self._clock())

    async def deliver(
        self, message: Message, notifier: Notifier, fallback: Notifier | Sequence[Notifier] | None = None
    ) -> Delivery:
        """Deliver `message` to `notifier`, else to `fallback` with the same key; never raises for failures.

        `fallback` may be a chain (a receiver's fallback, its fallback's…),
        tried in order while each one fails; receivers already tried are
        skipped, so a cycle cannot loop.
        """
        chain: list[Notifier] = []
        for candidate in list(fallback) if isinstance(fallback, Sequence) else [] if fallback is None else [fallback]:
            if candidate.name != notifier.name and all(candidate.name != seen.name for seen in chain):
                chain.append(candidate)
        primary, duplicate = await self._once(message, notifier, chain[0] if chain else None, fallback_for=None)
        results: list[ReceiverResult] = []
        failed = primary
        for index, backup in enumerate(chain):
            if failed.delivered:
                break
            log.warning(
                "delivery %s to %s failed (%s); trying fallback %s",
                message.key,
                failed.receiver,
                failed.stop,
                backup.name,
            )
            moved = dataclasses.replace(message, receiver=backup.name, reference=None)
            after = chain[index + 1] if index + 1 < len(chain) else None
            failed, _ = await self._once(moved, backup, after, fallback_for=notifier.name)
            results.append(failed)
        return Delivery(message.key, primary, tuple(results), duplicate)

    async def _once(
        self, message: Message, notifier: Notifier, fallback: Notifier | None, *, fallback_for: str | None
    ) -> tuple[ReceiverResult, bool]:
        """The receiver's result for this key, running it only if no call has (or is doing so now)."""
        ident = (notifier.name, message.key)
        while True:
            done = self._done.get(ident)
            if done is not None:
                said = "delivered" if done.delivered else f"tried ({done.stop})"
                outcome = Outcome(False, f"duplicate: already {said}, not sent again")
                self._emit(message, notifier.name, 0, outcome, StopReason.DUPLICATE, fallback_for=fallback_for)
                return done, True
            pending = self._inflight.get(ident)
            if pending is None:
                break
            await pending.wait()  # then read its result; if it was cancelled, run it ourselves
        event = self._inflight[ident] = asyncio.Event()
        try:
            result = await self._run(message, notifier, fallback, fallback_for)
            if result.attempts:  # nothing was sent when the breaker was open: a later call may send it
                self._done[ident] = result
                while len(self._done) > self._remember:
                    self._done.popitem(last=False)
            return result, False
        finally:
            del self._inflight[ident]
            event.set()

    def _state(self, notifier: Notifier) -> _ReceiverState:
        state = self._receivers.get(notifier.name)
        if state is None:
            policy = self._policies.get(notifier.name) or ReceiverPolicy.for_kind(type(notifier))
            state = _ReceiverState(policy, TokenBucket(policy.rate, now=self._clock()), CircuitBreaker(policy.breaker))
            self._receivers[notifier.name] = state
        return state

    async def _run(
        self, message: Message, notifier: Notifier, fallback: Notifier | None, fallback_for: str | None
    ) -> ReceiverResult:
        """Attempts at one receiver until delivered or a reason to stop; fails fast while its breaker is open."""
        name = notifier.name
        handed_to = fallback.name if fallback is not None else None
        state = self._state(notifier)
        admission = state.breaker.admit(self._clock())
        if admission is Admission.REJECTED:
            self._emit_circuit_open(message, state, name, handed_to, fallback_for)
            return ReceiverResult(name, StopReason.BREAKER_OPEN)
        # A half-open trial gets one attempt: if the channel is still down the
        # message should reach the fallback now, not after a backoff schedule.
        backoff = state.policy.backoff
        if admission is Admission.TRIAL:
            backoff = dataclasses.replace(backoff, max_attempts=1)
        attempts: list[AttemptRecord] = []
        began = self._clock()
        waited = 0.0
        previous = backoff.base
        number = 0
        try:
            while True:
                number += 1
                throttled = state.bucket.reserve(self._clock())
                if throttled > 0:
                    await self._sleep(throttled)
                if number > 1 and state.breaker.is_open(self._clock()):
                    # other deliveries opened it while this one waited: stop sending
                    self._emit_circuit_open(message, state, name, handed_to, fallback_for)
                    stop = StopReason.BREAKER_OPEN
                    break
                started = self._wall_clock()
                outcome = await self._attempt(message, notifier)
                finished = self._wall_clock()
                decision = backoff.decide(
                    attempt=number, outcome=outcome, elapsed=self._clock() - began, previous=previous, rng=self._rng
                )
                stop_now = decision.stop
                if stop_now is None and state.breaker.is_open(self._clock()):
                    stop_now = StopReason.BREAKER_OPEN  # no point waiting to retry a receiver now cut off
                attempts.append(
                    self._emit(
                        message,
                        name,
                        number,
                        outcome,
                        stop_now,
                        started=started,
                        finished=finished,
                        waited=waited + throttled,
                        throttled=throttled,
                        retry_in=decision.delay if stop_now is None else None,
                        fallback=handed_to if stop_now not in (None, StopReason.DELIVERED) else None,
                        fallback_for=fallback_for,
                    )
                )
                if stop_now is not None:
                    stop = stop_now
                    break
                log.info(
                    "attempt %d of %s to %s failed (%s); retrying in %.2fs",
                    number,
                    message.key,
                    name,
                    outcome.detail,
                    decision.delay,
                )
                previous = waited = decision.delay
                await self._sleep(decision.delay)
        except BaseException:
            if admission is Admission.TRIAL:
                state.breaker.abandon_trial()
            raise
        result = ReceiverResult(name, stop, tuple(attempts))
        if stop is not StopReason.BREAKER_OPEN:
            self._record(state, name, result)
        return result

    def _emit(
        self,
        message: Message,
        receiver: str,
        attempt: int,
        outcome: Outcome,
        stop: StopReason | None,
        *,
        started: float | None = None,
        finished: float | None = None,
        waited: float = 0.0,
        throttled: float = 0.0,
        retry_in: float | None = None,
        fallback: str | None = None,
        fallback_for: str | None = None,
    ) -> AttemptRecord:
        """Build the record of one attempt (attempt 0: nothing sent) and hand it to on_attempt."""
        now = self._wall_clock()  # for a record of nothing sent, which has no start or finish of its own
        record = AttemptRecord(
            receiver=receiver,
            key=message.key,
            incident_id=message.incident.id,
            attempt=attempt,
            started=now if started is None else started,
            finished=now if finished is None else finished,
            outcome=outcome,
            waited=waited,
            throttled=throttled,
            stop=stop,
            retry_in=retry_in,
            fallback=fallback,
            fallback_for=fallback_for,
        )
        self._call(self._on_attempt, record)
        return record

    def _emit_circuit_open(
        self, message: Message, state: _ReceiverState, receiver: str, fallback: str | None, fallback_for: str | None
    ) -> None:
        why = state.failing or f"{state.breaker.consecutive_failures} consecutive failed deliveries"
        outcome = Outcome(False, f"circuit open, not sent: {why}")
        self._emit(message, receiver, 0, outcome, StopReason.BREAKER_OPEN, fallback=fallback, fallback_for=fallback_for)

    async def _attempt(self, message: Message, notifier: Notifier) -> Outcome:
        """One send, with a deadline of its own and a guard against notifiers that break the contract."""
        try:
            async with asyncio.timeout(self._attempt_timeout):
                outcome = await notifier.send(message, self._http)
        except TimeoutError:
            return Outcome(False, f"no outcome within {self._attempt_timeout:g}s", retryable=True)
        except Exception as exc:  # a notifier must not raise; a plugin that does must not stop paging
            log.error("notifier %s raised %s instead of returning an Outcome", notifier.name, type(exc).__name__)
            return Outcome(False, f"notifier raised {type(exc).__name__}")
        if not isinstance(outcome, Outcome):
            log.error("notifier %s returned %s instead of an Outcome", notifier.name, type(outcome).__name__)
            return Outcome(False, f"notifier returned {type(outcome).__name__}")
        return outcome

    def _record(self, state: _ReceiverState, receiver: str, result: ReceiverResult) -> None:
        """Feed the breaker and report a receiver that starts or stops failing."""
        now = self._clock()
        new_state = state.breaker.record(result.delivered, now)
        if result.delivered and state.failing is not None:
            state.failing = None
            log.warning("receiver %s recovered", receiver)
            self._call(self._on_recovered, receiver)
        elif new_state is BreakerState.OPEN and state.failing is None:
            last = result.outcome
            state.failing = (
                f"{state.breaker.consecutive_failures} consecutive failed deliveries"
                f" (last: {last.detail if last is not None else result.stop})"
            )
            log.warning("receiver %s is failing: %s", receiver, state.failing)
            self._call(self._on_failing, receiver, state.failing)

    @staticmethod
    def _call(callback: Callable[..., None] | None, *args: object) -> None:
        """Run a caller's callback; a bug in metrics or publishing must not stop a page."""
        if callback is None:
            return
        try:
            callback(*args)
        except Exception:
            log.exception("delivery callback %r failed", callback)
