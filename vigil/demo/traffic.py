"""Synthetic traffic of a small financial-advisory platform, as wire-format dicts.

This module is pure: no asyncio, no Kafka, no clock reads.  Everything is a
function of ``(seed, start, rate, faults)`` and the requested time window, so the
same generator serves the live demo (fed wall-clock windows every 250 ms) and the
integration tests (fed minutes of event time at once).

Randomness is derived per *(seed, second since start, stream)*: each one-second
bucket owns its own ``random.Random``.  Asking for ``[0, 10)`` then ``[10, 20)``
therefore yields exactly what ``[0, 20)`` yields, and a fault on one service does
not reshuffle the traffic of the others.  Events a bucket emits later than its
own second (request completions, delivery receipts) are kept by looking back
``_LAG_BUCKETS`` seconds when a window is requested.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

__all__ = [
    "API_BASELINE_P95_S",
    "COMPLIANCE_BASELINE_P95_S",
    "DEFAULT_FAULTS",
    "DemoEvent",
    "Fault",
    "FaultKind",
    "PlatformTraffic",
    "SERVICES",
    "fault_active",
]

FaultKind = Literal["api_latency", "api_errors", "whatsapp_failures", "compliance_slow", "service_down"]

API = "advisor-api"
COMPLIANCE = "compliance-svc"
WHATSAPP = "whatsapp-gateway"
POSTGRES = "postgres"
SERVICES: tuple[str, ...] = (API, COMPLIANCE, WHATSAPP, POSTGRES)

#: Baseline p95s the latency faults scale from (matched to the distributions below).
API_BASELINE_P95_S = 0.18
COMPLIANCE_BASELINE_P95_S = 0.60

_API_RPS = 40.0
_COMPLIANCE_PER_S = 8.0
_WHATSAPP_PER_S = 5.0
_PROBE_EVERY_S = 5
_API_TIMEOUT_S = 2.0  # advisor-api gives up on postgres after this and answers 503
_MAX_LAG_S = 30.0  # no event is emitted later than this after its bucket's second
_LAG_BUCKETS = math.ceil(_MAX_LAG_S) + 1
_CACHE_BUCKETS = 4 * _LAG_BUCKETS

# route, weight, median latency (s), methods with weights
_ROUTES: tuple[tuple[str, float, float, tuple[tuple[str, float], ...]], ...] = (
    ("/v1/quotes", 0.35, 0.048, (("GET", 1.0),)),
    ("/v1/portfolio", 0.30, 0.085, (("GET", 0.9), ("PUT", 0.1))),
    ("/v1/accounts", 0.20, 0.068, (("GET", 0.8), ("PATCH", 0.2))),
    ("/v1/advice", 0.15, 0.125, (("POST", 0.7), ("GET", 0.3))),
)
_ROUTE_CHOICES = [(r, r[1]) for r in _ROUTES]
_API_SIGMA = 0.45
_CHECKS: tuple[tuple[str, float, float], ...] = (  # check, weight, fail probability
    ("kyc", 0.4, 0.02),
    ("suitability", 0.4, 0.05),
    ("aml", 0.2, 0.01),
)
_CHECK_CHOICES = [((check, fail_p), w) for check, w, fail_p in _CHECKS]
_COMPLIANCE_MEDIAN_S = 0.25
_COMPLIANCE_SIGMA = math.log(COMPLIANCE_BASELINE_P95_S / _COMPLIANCE_MEDIAN_S) / 1.645
_WA_BASELINE_FAIL = 0.002
_WA_READ_P = 0.4
_WA_TEMPLATES = ("portfolio_update", "advice_ready", "kyc_reminder", "login_otp")
# Meta Cloud API error codes a failed/undelivered receipt may carry.
_WA_ERRORS = ("131026", "131047", "131049", "130472", "131000")
_INSTANCES = {
    API: "advisor-api-0:8080",
    COMPLIANCE: "compliance-svc-0:8080",
    WHATSAPP: "whatsapp-gateway-0:8080",
    POSTGRES: "postgres-0:5432",
}
_LOGGERS = {API: "advisor_api.http", COMPLIANCE: "compliance.engine", WHATSAPP: "whatsapp.gateway", POSTGRES: None}
_DEFAULT_TARGET: dict[str, str] = {
    "api_latency": API,
    "api_errors": API,
    "whatsapp_failures": WHATSAPP,
    "compliance_slow": COMPLIANCE,
    "service_down": POSTGRES,
}


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected incident, timed relative to the generator's ``start``.

    ``intensity`` means, by kind (chosen so a schedule reads like the incident):

    * ``api_latency`` / ``compliance_slow``: the target p95 in seconds while active;
    * ``api_errors``: fraction of advisor-api requests answered 500/503;
    * ``whatsapp_failures``: fraction of WhatsApp messages that fail;
    * ``service_down``: ``service`` (default postgres) reports ``up`` = 0 and emits
      no work traffic; if it is postgres, that fraction of advisor-api requests fail.
    """

    kind: FaultKind
    start_offset_s: float
    duration_s: float
    intensity: float
    service: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.duration_s <= 0 or self.start_offset_s < 0 or self.intensity < 0:
            raise ValueError(f"invalid fault timing/intensity: {self!r}")
        if self.service is not None and self.service not in SERVICES:
            raise ValueError(f"unknown service {self.service!r}")

    @property
    def target(self) -> str:
        """The service the fault hits."""
        return self.service or _DEFAULT_TARGET[self.kind]

    def describe(self) -> str:
        """Human summary for the demo console, e.g. ``api_latency on advisor-api (p95 ≈ 1.5 s)``."""
        if self.kind in ("api_latency", "compliance_slow"):
            effect = f"p95 ≈ {self.intensity:.1f} s"
        elif self.kind == "service_down":
            effect = "up = 0"
        else:
            effect = f"{self.intensity:.0%} failing"
        return f"{self.kind} on {self.target} ({effect})"


#: The demo's story: 30 s of calm, two minutes of slow postgres behind advisor-api, recovery.
DEFAULT_FAULTS: tuple[Fault, ...] = (Fault("api_latency", 30.0, 120.0, 1.5),)


@dataclass(frozen=True, slots=True)
class DemoEvent:
    """One record to produce: topic, key (service name) and the wire-format dict."""

    topic: str
    key: bytes
    value: dict[str, Any]


def fault_active(faults: Sequence[Fault], start: float, t: float) -> list[Fault]:
    """Faults whose window ``[start + offset, start + offset + duration)`` contains ``t``."""
    return [f for f in faults if start + f.start_offset_s <= t < start + f.start_offset_s + f.duration_s]


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    r = rng.random() * sum(w for _, w in weighted)
    for item, w in weighted:
        r -= w
        if r < 0:
            return item
    return weighted[-1][0]


def _arrivals(rng: random.Random, base: float, per_s: float) -> Iterator[float]:
    """Poisson arrival times in ``[base, base + 1)`` at ``per_s`` events per second."""
    if per_s <= 0:
        return
    t = base + rng.expovariate(per_s)
    while t < base + 1.0:
        yield t
        t += rng.expovariate(per_s)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class PlatformTraffic:
    """Deterministic traffic of advisor-api, compliance-svc, whatsapp-gateway and postgres.

    No traffic exists before ``start``; ``rate`` scales request/message rates (not
    the 5 s ``up`` probes).  Instances cache recently generated seconds, so a live
    caller stepping forward in small windows pays for each second once.
    """

    def __init__(
        self,
        *,
        seed: int,
        start: float,
        rate: float = 1.0,
        faults: Sequence[Fault] = DEFAULT_FAULTS,
    ) -> None:
        if rate < 0:
            raise ValueError("rate must be >= 0")
        self.seed = seed
        self.start = start
        self.rate = rate
        self.faults: tuple[Fault, ...] = tuple(faults)
        self._cache: OrderedDict[int, tuple[list[float], list[DemoEvent]]] = OrderedDict()

    # -- public -------------------------------------------------------------------------

    def events(self, t0: float, t1: float) -> Iterator[DemoEvent]:
        """Events with ``t0 <= ts < t1``, in ts order; independent of how windows are chunked."""
        if t1 <= t0:
            return iter(())
        first = max(0, math.floor(t0 - self.start) - _LAG_BUCKETS)
        last = math.ceil(t1 - self.start)  # exclusive
        slices: list[list[DemoEvent]] = []
        for k in range(first, last):
            ts, evs = self._bucket(k)
            lo, hi = bisect_left(ts, t0), bisect_left(ts, t1)
            if lo < hi:
                slices.append(evs[lo:hi])
        return heapq.merge(*slices, key=lambda e: e.value["ts"])

    # -- generation ---------------------------------------------------------------------

    def _bucket(self, k: int) -> tuple[list[float], list[DemoEvent]]:
        """All events originating in second ``k`` after start, sorted by ts (cached)."""
        hit = self._cache.get(k)
        if hit is not None:
            self._cache.move_to_end(k)
            return hit
        base = self.start + k
        out: list[DemoEvent] = []
        down = {f.target for f in fault_active(self.faults, self.start, base) if f.kind == "service_down"}
        if k % _PROBE_EVERY_S == 0:
            self._probes(base, down, out)
        if API not in down:
            self._api(self._rng(k, API), base, out)
        if COMPLIANCE not in down:
            self._compliance(self._rng(k, COMPLIANCE), base, out)
        if WHATSAPP not in down:
            self._whatsapp(self._rng(k, WHATSAPP), base, out)
        if POSTGRES not in down:
            self._postgres(self._rng(k, POSTGRES), base, out)
        out.sort(key=lambda e: e.value["ts"])  # stable: ties keep generation order
        entry = ([e.value["ts"] for e in out], out)
        self._cache[k] = entry
        if len(self._cache) > _CACHE_BUCKETS:
            self._cache.popitem(last=False)
        return entry

    def _rng(self, k: int, stream: str) -> random.Random:
        # str seeds are hashed with SHA-512 by random.seed: stable across runs and PYTHONHASHSEED.
        return random.Random(f"vigil-demo:{self.seed}:{k}:{stream}")

    def _active(self, t: float, *kinds: str) -> list[Fault]:
        return [f for f in fault_active(self.faults, self.start, t) if f.kind in kinds]

    def _probes(self, base: float, down: set[str], out: list[DemoEvent]) -> None:
        for i, svc in enumerate(SERVICES):
            value = 0.0 if svc in down else 1.0
            out.append(_metric(base + 0.01 * i, svc, "up", value, {"instance": _INSTANCES[svc]}))
            if svc in down:
                out.append(_log(base + 0.01 * i, svc, "critical", f"health probe failed: {svc} unreachable", {}))

    def _api(self, rng: random.Random, base: float, out: list[DemoEvent]) -> None:
        for t in _arrivals(rng, base, _API_RPS * self.rate):
            route, _, median, methods = _pick(rng, _ROUTE_CHOICES)
            method: str = _pick(rng, methods)
            latency = _lognormal(rng, median, _API_SIGMA)
            u = rng.random()  # status draw
            s = rng.random()  # log-sampling draw
            ok = "201" if method == "POST" else "200"
            status = "400" if u < 0.004 else "404" if u < 0.01 else ok
            upstream_error: str | None = None
            for f in self._active(t, "api_latency", "api_errors", "service_down"):
                if f.kind == "api_latency":
                    latency *= f.intensity / API_BASELINE_P95_S
                    if latency >= _API_TIMEOUT_S:
                        latency, status, upstream_error = _API_TIMEOUT_S, "503", "upstream timeout: postgres"
                elif f.kind == "api_errors" and u > 1.0 - f.intensity:
                    status = "500" if u > 1.0 - f.intensity / 2 else "503"
                    upstream_error = f"unhandled error on {route}" if status == "500" else "upstream unavailable"
                elif f.kind == "service_down" and f.target == POSTGRES and u > 1.0 - f.intensity:
                    latency, status = min(latency, 0.05), "503"
                    upstream_error = "upstream unavailable: postgres (connection refused)"
            latency = min(latency, _MAX_LAG_S - 1.0)
            done = t + latency
            labels = {"route": route, "method": method, "status": status}
            out.append(_metric(done, API, "http_request_duration_seconds", latency, labels))
            line = f"{method} {route} {status} in {_ms(latency)}"
            if upstream_error is not None:
                out.append(_log(done, API, "error", f"{upstream_error} ({line})", {"route": route}))
            elif status.startswith("4"):
                out.append(_log(done, API, "warning", f"client error: {line}", {"route": route}))
            elif latency > 1.0 and s < 0.25:
                out.append(_log(done, API, "warning", f"slow request, waiting on postgres: {line}", {"route": route}))
            elif s < 0.05:
                out.append(_log(done, API, "info", line, {"route": route}))

    def _compliance(self, rng: random.Random, base: float, out: list[DemoEvent]) -> None:
        for t in _arrivals(rng, base, _COMPLIANCE_PER_S * self.rate):
            check, fail_p = _pick(rng, _CHECK_CHOICES)
            latency = _lognormal(rng, _COMPLIANCE_MEDIAN_S, _COMPLIANCE_SIGMA)
            failed = rng.random() < fail_p
            s = rng.random()
            client = f"c-{rng.randrange(10_000, 99_999)}"
            for f in self._active(t, "compliance_slow"):
                latency *= f.intensity / COMPLIANCE_BASELINE_P95_S
            latency = min(latency, _MAX_LAG_S - 1.0)
            done = t + latency
            outcome = "fail" if failed else "pass"
            out.append(
                _metric(
                    done,
                    COMPLIANCE,
                    "compliance_validation_duration_seconds",
                    latency,
                    {"check": check, "outcome": outcome},
                )
            )
            labels = {"check": check}
            if latency > 1.5:
                out.append(_log(done, COMPLIANCE, "warning", f"slow {check} check: {_ms(latency)}", labels))
            elif failed:
                out.append(_log(done, COMPLIANCE, "info", f"{check} check failed for client {client}", labels))
            elif s < 0.1:
                out.append(_log(done, COMPLIANCE, "info", f"{check} check passed for client {client}", labels))

    def _whatsapp(self, rng: random.Random, base: float, out: list[DemoEvent]) -> None:
        for t in _arrivals(rng, base, _WHATSAPP_PER_S * self.rate):
            msg_id = f"wamid.{rng.getrandbits(64):016x}"
            template: str = rng.choice(_WA_TEMPLATES)
            fail_p = _WA_BASELINE_FAIL
            for f in self._active(t, "whatsapp_failures"):
                fail_p = max(fail_p, f.intensity)
            u, s = rng.random(), rng.random()
            delay = min(_lognormal(rng, 1.0, 0.6), 10.0)
            read_delay = min(rng.expovariate(1 / 5.0), 15.0)
            code: str = rng.choice(_WA_ERRORS)
            labels = {"template": template}
            out.append(_receipt(t, msg_id, "sent", None, labels))
            if u < fail_p:
                status = "failed" if u < fail_p * 0.7 else "undelivered"
                out.append(_receipt(t + delay, msg_id, status, code, labels))
                out.append(
                    _log(
                        t + delay,
                        WHATSAPP,
                        "error",
                        f"message {msg_id} {status}: meta error {code}",
                        {"template": template},
                    )
                )
                continue
            out.append(_receipt(t + delay, msg_id, "delivered", None, labels))
            if s < _WA_READ_P:
                out.append(_receipt(t + delay + read_delay, msg_id, "read", None, labels))
            if s > 0.9:
                out.append(_log(t, WHATSAPP, "info", f"sent template {template} as {msg_id}", {"template": template}))

    def _postgres(self, rng: random.Random, base: float, out: list[DemoEvent]) -> None:
        if rng.random() < 0.1:
            buffers = rng.randrange(200, 5_000)
            out.append(_log(base + rng.random(), POSTGRES, "info", f"checkpoint complete: wrote {buffers} buffers", {}))
        if self._active(base, "api_latency"):
            for t in _arrivals(rng, base, 0.5 * self.rate):
                wait = rng.uniform(1.0, 4.0)
                out.append(
                    _log(
                        t,
                        POSTGRES,
                        "warning",
                        f"process still waiting for lock on relation portfolios after {wait * 1000:.0f} ms",
                        {},
                    )
                )


def _metric(ts: float, service: str, name: str, value: float, labels: dict[str, str]) -> DemoEvent:
    value_ = {
        "v": 1,
        "ts": round(ts, 6),
        "service": service,
        "name": name,
        "value": round(float(value), 6),
        "labels": labels,
    }
    return DemoEvent("metrics", service.encode(), value_)


def _log(ts: float, service: str, level: str, message: str, labels: dict[str, str]) -> DemoEvent:
    value = {
        "v": 1,
        "ts": round(ts, 6),
        "service": service,
        "level": level,
        "message": message,
        "logger": _LOGGERS[service],
        "labels": labels,
    }
    return DemoEvent("logs", service.encode(), value)


def _receipt(ts: float, message_id: str, status: str, error_code: str | None, labels: dict[str, str]) -> DemoEvent:
    value = {
        "v": 1,
        "ts": round(ts, 6),
        "service": WHATSAPP,
        "message_id": message_id,
        "channel": "whatsapp",
        "provider": "meta",
        "status": status,
        "error_code": error_code,
        "labels": labels,
    }
    return DemoEvent("receipts", WHATSAPP.encode(), value)
