"""How the dispatcher treats one receiver: its rate limit, retries and circuit breaker.

Defaults come from the notifier kind (`default_rate_per_second`, the
provider's published limit); a receiver in the pack may override the rate
with `rate_per_second` and `burst`. Those two options belong to delivery,
not to the channel, so `split_delivery_options` takes them out before the
rest goes to the kind's `from_options` (which rejects options it does not
know).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from notifiers.base import NotifierKind
from notifiers.delivery.backoff import Backoff
from notifiers.delivery.breaker import BreakerSettings
from notifiers.delivery.ratelimit import RateLimit

__all__ = ["DELIVERY_OPTIONS", "ReceiverPolicy", "split_delivery_options"]

#: Receiver options the dispatcher reads; every other option is the channel's.
DELIVERY_OPTIONS = frozenset({"rate_per_second", "burst"})

_FALLBACK_RATE = 1.0  # for a plugin kind that declares no default_rate_per_second


def split_delivery_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the channel's options, the dispatcher's options) of one receiver."""
    channel = {k: v for k, v in options.items() if k not in DELIVERY_OPTIONS}
    delivery = {k: v for k, v in options.items() if k in DELIVERY_OPTIONS}
    return channel, delivery


@dataclass(frozen=True, kw_only=True)
class ReceiverPolicy:
    """Everything the dispatcher needs to pace, retry and cut off one receiver."""

    rate: RateLimit
    backoff: Backoff = field(default_factory=Backoff)
    breaker: BreakerSettings = field(default_factory=BreakerSettings)

    @classmethod
    def for_kind(cls, kind: type[Any] | NotifierKind, options: Mapping[str, Any] | None = None) -> ReceiverPolicy:
        """The policy for a receiver of `kind`, with its `rate_per_second`/`burst` overrides if given."""
        default_rate = float(getattr(kind, "default_rate_per_second", _FALLBACK_RATE))
        return cls(rate=RateLimit.from_options(options or {}, default_rate))
