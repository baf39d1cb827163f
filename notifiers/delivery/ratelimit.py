"""A token bucket per receiver, so Vigil stays within each provider's published rate.

Providers throttle or ban senders that burst past their limits (Slack
webhooks take about one message a second, Twilio about one SMS a second
per number). During an incident storm it is better to queue a few seconds
than to earn 429s, so the bucket never drops: `reserve` takes a token now
and says how long to wait until it is really available. Tokens may go
negative, which makes concurrent callers queue in order without a lock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from notifiers.base import NotifierConfigError

__all__ = ["RateLimit", "TokenBucket"]


@dataclass(frozen=True)
class RateLimit:
    """A receiver's sustained rate and the burst it may send at once."""

    rate_per_second: float  #: tokens added per second
    burst: int  #: the bucket's size: requests that may go out back to back after a quiet spell

    def __post_init__(self) -> None:
        if not (self.rate_per_second > 0 and math.isfinite(self.rate_per_second)):
            raise ValueError(f"rate_per_second must be a positive number, got {self.rate_per_second}")
        if self.burst < 1:
            raise ValueError(f"burst must be at least 1, got {self.burst}")

    @classmethod
    def for_rate(cls, rate_per_second: float) -> RateLimit:
        """The default burst is one second's worth of tokens (at least one)."""
        return cls(rate_per_second, max(1, math.ceil(rate_per_second)))

    @classmethod
    def from_options(cls, options: Mapping[str, Any], default_rate: float) -> RateLimit:
        """`rate_per_second` and `burst` from a receiver's options (None = unset), else the kind's default rate."""
        rate = options.get("rate_per_second")
        if rate is None:
            rate = default_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not (rate > 0 and math.isfinite(rate)):
            raise NotifierConfigError("rate_per_second", f"must be a positive number, not {rate!r}")
        burst = options.get("burst")
        if burst is None:
            return cls.for_rate(float(rate))
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise NotifierConfigError("burst", f"must be a whole number of at least 1, not {burst!r}")
        return cls(float(rate), burst)


class TokenBucket:
    """Tokens for one receiver; the time is passed in, so it is exact under a fake clock."""

    def __init__(self, limit: RateLimit, *, now: float) -> None:
        self.limit = limit
        self._tokens = float(limit.burst)
        self._updated = now

    def tokens(self, now: float) -> float:
        """Tokens available at `now` (negative while callers are queued for future ones)."""
        elapsed = max(0.0, now - self._updated)
        return min(float(self.limit.burst), self._tokens + elapsed * self.limit.rate_per_second)

    def reserve(self, now: float) -> float:
        """Take one token; the seconds to wait before using it (0 when one is available now).

        A caller that is cancelled while waiting does not give its token
        back: under a storm that errs on the side of sending less.
        """
        self._tokens = self.tokens(now) - 1.0
        self._updated = max(self._updated, now)
        return 0.0 if self._tokens >= 0 else -self._tokens / self.limit.rate_per_second
