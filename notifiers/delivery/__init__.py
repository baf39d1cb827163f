"""The delivery engine: retries, rate limits, circuit breaker and fallback, the same for every channel.

- `backoff`: when to try again (exponential, jittered, Retry-After, deadline), as a pure decision.
- `ratelimit`: a token bucket per receiver that makes senders wait rather than drop.
- `breaker`: a circuit breaker per receiver that fails fast while a channel is down.
- `policy`: a receiver's rate, retry and breaker settings, from its kind and options.
- `records`: what happened (per attempt, per receiver, per delivery), ready to publish.
- `dispatcher`: runs one delivery under all of the above and reports it.
"""

from notifiers.delivery.backoff import Backoff, BackoffDecision, Jitter
from notifiers.delivery.breaker import Admission, BreakerSettings, BreakerState, CircuitBreaker
from notifiers.delivery.dispatcher import AttemptCallback, Dispatcher, FailingCallback, RecoveredCallback
from notifiers.delivery.policy import DELIVERY_OPTIONS, ReceiverPolicy, split_delivery_options
from notifiers.delivery.ratelimit import RateLimit, TokenBucket
from notifiers.delivery.records import AttemptRecord, Delivery, ReceiverResult, StopReason

__all__ = [
    "DELIVERY_OPTIONS",
    "Admission",
    "AttemptCallback",
    "AttemptRecord",
    "Backoff",
    "BackoffDecision",
    "BreakerSettings",
    "BreakerState",
    "CircuitBreaker",
    "Delivery",
    "Dispatcher",
    "FailingCallback",
    "Jitter",
    "RateLimit",
    "ReceiverPolicy",
    "ReceiverResult",
    "RecoveredCallback",
    "StopReason",
    "TokenBucket",
    "split_delivery_options",
]
