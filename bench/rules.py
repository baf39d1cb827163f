"""Rule evaluation cost and memory of the pure core, for 10,000 and 100,000 active series.

    .venv/bin/python bench/rules.py [--series 10000,100000] [--full] [--profile PREFIX]

No Kafka: this measures `correlator/` alone, the way the `evaluate` agent
drives it. Each configuration runs in a fresh subprocess
(`bench/rules.py --one ...`), so the RSS of one cannot leak into another.

One tick = one base window (10 s) of event time:

    fold K events per series   PartialFolder.add, interleaved across series as
                               ingest sees them, then drain(window end)
    engine.add_all(partials)   one Partial per series, then a Watermark per service
    engine.advance()           closes the previous window (allowed lateness 5 s)
                               and evaluates every rule and SLO over it

Series keys are built afresh every tick (the agent's `from_wire` gives each
partial its own key), so every window holds its own key objects, as live.

Timing: `advance()` per tick, median and p95 over the ticks after the
longest rule's range (60 s) has filled (the first 7 ticks are warm-up).
Folding is timed separately (µs per event) and so is `add_all` (µs per
partial). Memory: VmRSS after gc.collect(), minus a baseline read after the
imports and before the engine exists. RSS, not tracemalloc (far too slow
at 100k series).

Memory must grow with series, not with events: every series count runs with
K and 10×K events per series per window, and the RSS after the same number
of ticks is compared.

Prints ONE JSON object on stdout; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from importlib import metadata
from pathlib import Path
from typing import Any

from correlator.engine import RuleEngine
from correlator.pack import EvaluationSettings, RulePack
from correlator.partials import PartialFolder
from correlator.rules import Matcher, default_rules
from correlator.series import SeriesKey
from correlator.slo import SliSpec, Slo, SloCounter

REPO = Path(__file__).resolve().parent.parent
BASE_TS = 1_767_225_600.0  # 2026-01-01T00:00:00Z, a multiple of the base window
WINDOW = 10.0
METRIC = "http_request_duration_seconds"
#: Every series of a service: routes x statuses. Healthy services answer 2xx/3xx/404;
#: every 50th service also has a 503 series (its 5xx ratio is 20 %, so ApiErrorRatioHigh and
#: the availability SLO fire there) and every 50th, offset by one, is 10x slower (P95 rule,
#: latency SLO). The rest stay quiet, as most of a fleet does.
STATUSES = ("200", "201", "204", "304", "404")
FAULTY_STATUS = "503"
ROUTE_BASE = (0.030, 0.045, 0.080, 0.150)  #: median latency (s) of route i % 4
POOL = 1 << 14  #: log-normal multipliers, cycled


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def rss_after_collect() -> int:
    gc.collect()
    return rss_bytes()


# ------------------------------------------------------------------ the rule pack


def build_pack() -> RulePack:
    """The built-in rules plus two SLOs on the API histogram: an event SLI and a latency SLI."""
    m = Matcher.parse
    slos = (
        Slo(
            name="ApiAvailability",
            objective=0.999,
            sli=SliSpec(source="metrics", metric=METRIC, bad=(m('status=~"5.."'),)),
        ),
        Slo(
            name="ApiLatency",
            objective=0.99,
            sli=SliSpec(source="metrics", metric=METRIC, le=0.5),
        ),
    )
    return RulePack(rules=tuple(default_rules()), slos=slos, settings=EvaluationSettings(window_seconds=WINDOW))


def warmup_ticks(pack: RulePack) -> int:
    """Ticks until the longest rule's range is full and windows start expiring (steady state).

    A tick's window closes in the next tick's advance (the watermark is the
    window end minus the allowed lateness), so one more than the range.
    """
    longest = max(r.window_seconds for r in pack.rules)
    return math.ceil(longest / pack.settings.window_seconds) + 1


# ------------------------------------------------------------------ data


def series_shape(n: int, services: int) -> tuple[list[tuple[str, dict[str, str]]], list[float]]:
    """(service, labels) of every series, and the median latency of each."""
    per = n // services
    if per * services != n or per % len(STATUSES):
        raise SystemExit(f"--series {n} must be services ({services}) x a multiple of {len(STATUSES)}")
    shape: list[tuple[str, dict[str, str]]] = []
    scale: list[float] = []
    for s in range(services):
        service = f"svc-{s:05d}"
        statuses = STATUSES[:-1] + (FAULTY_STATUS,) if s % 50 == 0 else STATUSES
        slow = 10.0 if s % 50 == 1 else 1.0
        for i in range(per):
            route = i // len(STATUSES)
            shape.append((service, {"route": f"/v1/r{route:04d}", "status": statuses[i % len(statuses)]}))
            scale.append(ROUTE_BASE[route % len(ROUTE_BASE)] * slow)
    return shape, scale


def fresh_keys(shape: list[tuple[str, dict[str, str]]]) -> list[SeriesKey]:
    return [SeriesKey.of("metrics", service, METRIC, labels) for service, labels in shape]


def fold_tick(
    folder: PartialFolder, keys: list[SeriesKey], scale: list[float], pool: list[float], k: int, start: float
) -> int:
    """K events per series in [start, start + W), interleaved across series; returns the event count."""
    add = folder.add
    step = WINDOW / k
    mask = POOL - 1
    for e in range(k):
        ts = start + (e + 0.5) * step
        j = e * 7919
        for key, base in zip(keys, scale, strict=True):
            add(key, ts, base * pool[j & mask])
            j += 1
    return len(keys) * k


def generation_overhead(keys: list[SeriesKey], scale: list[float], pool: list[float], k: int) -> float:
    """µs per event of `fold_tick`'s own loop (the data generator), with a no-op instead of add."""

    class _Null:
        def add(self, series: SeriesKey, ts: float, value: float | None) -> None:
            pass

    n = max(1, 200_000 // k)
    keys, scale = keys[:n], scale[:n]
    t = time.perf_counter()
    n = fold_tick(_Null(), keys, scale, pool, k, 0.0)  # type: ignore[arg-type]
    return (time.perf_counter() - t) * 1e6 / n


# ------------------------------------------------------------------ one configuration (subprocess)


class _GcTimer:
    """Seconds spent in cyclic GC, by generation, via gc.callbacks."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self._t = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self._t
            self.count[info["generation"]] += 1


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def sketch_shape(engine: RuleEngine, sample: int = 2000) -> dict[str, float]:
    """Mean size of the DDSketch stores the engine holds: dense bins allocated, bins in use."""
    allocated = used = n = 0
    for shard in engine.shards.values():
        for window in shard.windows.values():
            for agg in window.values():
                if agg.sketch is None:
                    continue
                bins = agg.sketch._store.bins
                allocated += len(bins)
                used += sum(1 for b in bins if b)
                n += 1
                if n >= sample:
                    break
            if n >= sample:
                break
        if n >= sample:
            break
    return {"dense_bins": round(allocated / max(1, n), 1), "nonempty_bins": round(used / max(1, n), 1)}


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    pack = build_pack()
    warm = warmup_ticks(pack)
    shape, scale = series_shape(args.series, args.services)
    rng = random.Random(7)
    pool = [rng.lognormvariate(0.0, 0.6) for _ in range(POOL)]
    rss_at = set(args.rss_at)
    baseline = rss_after_collect()  # after imports and the series shape, before the engine and any key

    engine = RuleEngine(pack)
    gc_timer = _GcTimer()
    gc.callbacks.append(gc_timer)
    prof = cProfile.Profile() if args.profile else None
    ticks: list[dict[str, Any]] = []
    rss_by_tick: dict[int, int] = {}
    transitions = 0
    for tick in range(args.ticks):
        start = BASE_TS + tick * WINDOW
        keys = fresh_keys(shape)
        folder = PartialFolder(window_seconds=WINDOW)
        t0 = time.perf_counter()
        events = fold_tick(folder, keys, scale, pool, args.k, start)
        items = folder.drain(start + WINDOW)
        t1 = time.perf_counter()
        engine.add_all(items)
        t2 = time.perf_counter()
        if prof is not None and tick >= warm:
            prof.enable()
        out = engine.advance()
        if prof is not None:
            prof.disable()
        t3 = time.perf_counter()
        partials = len(items) - args.services
        del items, keys, folder
        transitions += len(out)
        row = {
            "tick": tick + 1,
            "fold_s": round(t1 - t0, 4),
            "add_all_s": round(t2 - t1, 4),
            "advance_s": round(t3 - t2, 4),
            "events": events,
            "partials": partials,
            "transitions": len(out),
            "windows_held": engine.series_count(),
        }
        if tick + 1 in rss_at or tick + 1 == args.ticks:
            rss_by_tick[tick + 1] = rss_after_collect() - baseline
            row["rss_mb"] = round(rss_by_tick[tick + 1] / 2**20, 1)
        ticks.append(row)
        say(
            f"  {args.name} tick {tick + 1}/{args.ticks}: fold {row['fold_s']:.2f}s "
            f"({(t1 - t0) * 1e6 / events:.2f} µs/event), add_all {row['add_all_s']:.2f}s, "
            f"advance {row['advance_s']:.3f}s, {len(out)} transitions"
            + (f", RSS +{row['rss_mb']} MB" if "rss_mb" in row else "")
        )
    gc.callbacks.remove(gc_timer)

    sketches = sketch_shape(engine)
    overhead = generation_overhead(fresh_keys(shape[:2000]) * 100, scale[:2000] * 100, pool, args.k)
    measured = [t for t in ticks if t["tick"] > warm] or ticks[-1:]
    advance = [t["advance_s"] for t in measured]
    fold_s = sum(t["fold_s"] for t in ticks)
    events = sum(t["events"] for t in ticks)
    add_s = sum(t["add_all_s"] for t in ticks)
    partials = sum(t["partials"] for t in ticks)
    final = rss_by_tick[args.ticks]
    result: dict[str, Any] = {
        "name": args.name,
        "series": args.series,
        "services": args.services,
        "series_per_service": args.series // args.services,
        "events_per_series_per_window": args.k,
        "ticks": args.ticks,
        "warmup_ticks": warm,
        "measured_ticks": [t["tick"] for t in measured],
        "steady_state": args.ticks >= warm + 2,  # every rule range full and windows expiring: RSS flat
        # Before steady state (the 10x-events memory runs at large counts) advance has not yet seen a full range.
        "advance_s": {
            "median": round(statistics.median(advance), 4),
            "p95": round(_pct(advance, 0.95), 4),
            "max": round(max(advance), 4),
            "us_per_series": round(statistics.median(advance) * 1e6 / args.series, 2),
        }
        if args.ticks > warm
        else None,
        "advance_s_by_tick": [t["advance_s"] for t in ticks],
        "fold_us_per_event": round(fold_s * 1e6 / events, 3),
        "fold_generator_overhead_us_per_event": round(overhead, 3),
        "add_all_us_per_partial": round(add_s * 1e6 / partials, 2),
        "windows_held": ticks[-1]["windows_held"],
        "transitions": transitions,
        "rss_baseline_mb": round(baseline / 2**20, 1),
        "rss_mb": round(final / 2**20, 1),
        "rss_mb_by_tick": {str(t): round(b / 2**20, 1) for t, b in sorted(rss_by_tick.items())},
        "bytes_per_series": round(final / args.series),
        "bytes_per_series_window": round(final / max(1, ticks[-1]["windows_held"])),
        "sketches_held": sketches,
        "gc": {"collections": gc_timer.count, "seconds": [round(s, 3) for s in gc_timer.seconds]},
    }
    if prof is not None:
        prof.dump_stats(args.profile)
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(20)
        print(
            f"--- cProfile advance() {args.name}: top 20 by tottime ({args.profile}) ---\n{buf.getvalue()}",
            file=sys.stderr,
        )
        result["profile"] = args.profile
    return result


# ------------------------------------------------------------------ SLO counters at 30 days


def slo_counter_steady_state(pack: RulePack) -> dict[str, Any]:
    """What one SLO group costs once its counter holds a whole period of buckets.

    The benchmark's runs cover minutes of event time, so their counters hold
    one bucket. A live worker's hold period / bucket (30 d / 300 s = 8640):
    this times the per-window judging `advance` does for every group
    (a bad_ratio per burn window and one for the period, then expire) on a full counter,
    and measures the counter's memory.
    """
    base = pack.settings.window_seconds
    slo = pack.slos[0]
    burns = slo.burn_alerts(base)
    bucket = slo.bucket_seconds(base)
    retention = max(slo.period_seconds, *(b.long_seconds for b in burns))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    counter = SloCounter(bucket_seconds=bucket, retention_seconds=retention)
    end = BASE_TS
    for i in range(int(retention // bucket)):
        counter.add(BASE_TS + i * bucket, 990.0, 1000.0)
        end = BASE_TS + (i + 1) * bucket
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()

    def judge() -> None:
        for alert in burns:
            counter.bad_ratio(end, alert.long_seconds)
            counter.bad_ratio(end, alert.short_seconds)
        counter.bad_ratio(end, slo.period_seconds)
        counter.expire(end)

    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(20):
            judge()
        runs.append((time.perf_counter() - t) / 20)
    return {
        "slo": slo.name,
        "bucket_s": bucket,
        "retention_s": retention,
        "buckets": len(counter.buckets),
        "bad_ratio_calls_per_window": 2 * len(burns) + 1,
        "us_per_group_per_window": round(min(runs) * 1e6, 1),
        "bytes_per_group": size,
    }


# ------------------------------------------------------------------ orchestration


def _count(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def plan(args: argparse.Namespace, warm: int) -> list[dict[str, Any]]:
    """Configurations, smallest first. Every series count runs with K and factor x K events."""
    out: list[dict[str, Any]] = []
    counts = sorted(int(s) for s in args.series.split(","))
    k, kk = args.k, args.k * args.factor
    for n in counts:
        services = max(1, n // args.series_per_service)
        large = n >= args.large and not args.full
        ticks = warm + (args.measure_ticks_large if large else args.measure_ticks)
        # RSS is flat from warm + 2 on: that tick adds a window before advance expires the oldest.
        # 10x the events costs 10x the folding (~25 s a tick at 100k), so at large counts the 10x run
        # stops after mem_ticks_large ticks and is compared with the K run's RSS after as many.
        ticks_kk = args.mem_ticks_large if large else warm + 2
        ticks = max(ticks, ticks_kk)
        out.append(
            dict(
                name=f"{_count(n)}_series_{services}_services_k{k}",
                series=n,
                services=services,
                k=k,
                ticks=ticks,
                rss_at=[ticks_kk],
            )
        )
        out.append(
            dict(
                name=f"{_count(n)}_series_{services}_services_k{kk}",
                series=n,
                services=services,
                k=kk,
                ticks=ticks_kk,
                rss_at=[],
                compare_with=out[-1]["name"],
            )
        )
    few = [n for n in counts if (args.full or n < args.large) and n // args.series_per_service != args.few_services]
    for n in few[:1] if not args.full else few:
        per = n // args.few_services
        large = n >= args.large and not args.full
        ticks = max(warm + 2, warm + (args.measure_ticks_large if large else args.measure_ticks))
        out.append(
            dict(
                name=f"{_count(n)}_series_{args.few_services}_services_k{k}",
                series=n,
                services=args.few_services,
                k=k,
                ticks=ticks,
                rss_at=[],
                shape=f"{per} series per service",
            )
        )
    return out


def run_config(cfg: dict[str, Any], profile: str | None) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--one",
        "--name",
        cfg["name"],
        "--series",
        str(cfg["series"]),
        "--services",
        str(cfg["services"]),
        "--k",
        str(cfg["k"]),
        "--ticks",
        str(cfg["ticks"]),
    ]
    if cfg["rss_at"]:
        cmd += ["--rss-at", *(str(t) for t in cfg["rss_at"])]
    if profile:
        cmd += ["--profile", f"{profile}.{cfg['name']}.pstats"]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
    result: dict[str, Any] = json.loads(proc.stdout)
    result["wall_s"] = round(time.perf_counter() - t, 1)
    return result


def memory_checks(results: dict[str, dict[str, Any]], cfgs: list[dict[str, Any]], k: int, per: int) -> dict[str, Any]:
    """Same ticks, 10x the events: RSS must not move. 10x the series: RSS about 10x."""
    events: dict[str, Any] = {}
    for cfg in cfgs:
        other = cfg.get("compare_with")
        if not other:
            continue
        many, few = results[cfg["name"]], results[other]
        tick = str(cfg["ticks"])
        a, b = few["rss_mb_by_tick"][tick], many["rss_mb_by_tick"][tick]
        events[_count(cfg["series"])] = {
            "after_ticks": cfg["ticks"],
            "steady_state": many["steady_state"],
            f"rss_mb_k{few['events_per_series_per_window']}": a,
            f"rss_mb_k{many['events_per_series_per_window']}": b,
            "ratio": round(b / a, 3),
        }
    series: dict[str, Any] = {}
    base = [
        r
        for r in results.values()
        if r["steady_state"] and r["events_per_series_per_window"] == k and r["services"] * per == r["series"]
    ]
    base.sort(key=lambda r: r["series"])
    for small, big in zip(base, base[1:], strict=False):
        series[f"{_count(big['series'])}/{_count(small['series'])}"] = {
            "series_ratio": big["series"] / small["series"],
            "rss_ratio": round(big["rss_mb"] / small["rss_mb"], 2),
            "bytes_per_series": [small["bytes_per_series"], big["bytes_per_series"]],
        }
    return {"events_x10_same_ticks": events, "series_scaling": series}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--series", default="10000,100000", help="comma-separated active series counts")
    parser.add_argument("--series-per-service", type=int, default=100)
    parser.add_argument("--few-services", type=int, default=10, help="services of the few-big-shards run")
    parser.add_argument("--k", type=int, default=5, help="events per series per window")
    parser.add_argument("--factor", type=int, default=10, help="the memory check runs factor x k events")
    parser.add_argument("--measure-ticks", type=int, default=4, help="ticks timed after warm-up")
    parser.add_argument("--large", type=int, default=100_000, help="series counts from here on get fewer ticks")
    parser.add_argument("--measure-ticks-large", type=int, default=2)
    parser.add_argument("--mem-ticks-large", type=int, default=1, help="ticks of the factor x k run at large counts")
    parser.add_argument("--full", action="store_true", help="no reductions: every run to steady state (about 12 min)")
    parser.add_argument("--profile", metavar="PREFIX", help="cProfile advance() into PREFIX.<run>.pstats (slower)")
    # one configuration, in a subprocess
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--name", default="one", help=argparse.SUPPRESS)
    parser.add_argument("--services", type=int, default=100, help=argparse.SUPPRESS)
    parser.add_argument("--ticks", type=int, default=12, help=argparse.SUPPRESS)
    parser.add_argument("--rss-at", type=int, nargs="*", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.one:
        args.series = int(args.series)
        print(json.dumps(run_one(args)))
        return 0

    pack = build_pack()
    warm = warmup_ticks(pack)
    cfgs = plan(args, warm)
    started = time.perf_counter()
    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    for cfg in cfgs:
        say(f"{cfg['name']}: {cfg['series']:,} series, {cfg['services']} services, K={cfg['k']}, {cfg['ticks']} ticks")
        results[cfg["name"]] = run_config(cfg, args.profile)
        r = results[cfg["name"]]
        say(
            f"  advance {r['advance_s']}, "
            f"fold {r['fold_us_per_event']} µs/event, RSS +{r['rss_mb']} MB ({r['bytes_per_series']:,} B/series)"
        )
    say("SLO counter at a full 30-day period")
    slo = slo_counter_steady_state(pack)
    for r in results.values():
        groups = r["services"] * len(pack.slos)
        r["slo_judging_s_per_tick_at_30d_projected"] = round(groups * slo["us_per_group_per_window"] / 1e6, 3)
        r["slo_counters_mb_at_30d_projected"] = round(groups * slo["bytes_per_group"] / 2**20, 1)

    report = {
        "pack": {
            "rules": [r.name for r in pack.rules],
            "slos": [s.name for s in pack.slos],
            "base_window_s": WINDOW,
            "allowed_lateness_s": pack.settings.allowed_lateness,
            "longest_rule_window_s": max(r.window_seconds for r in pack.rules),
            "windows_held_per_series": warm + 1,
        },
        "series_shape": f"{METRIC}{{route, status}}, {len(STATUSES)} statuses x routes per service",
        "warmup_ticks": warm,
        "runs": [results[c["name"]] for c in cfgs],
        "memory": memory_checks(results, cfgs, args.k, args.series_per_service),
        "slo_counter_30d": slo,
        "python": platform.python_version(),
        "ddsketch": metadata.version("ddsketch"),
        "cpu_count": os.cpu_count(),
        "loadavg_1_5_15": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "total_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
