"""Live equals replay: a latency story run live through the broker and a `vigil run` worker, then the same
range replayed with `vigil replay`; the incidents must match, and the replay's real report.html must render.

The traffic (tests/integration/live_replay_helpers.py) is produced in real
time, each sample stamped with the wall clock as it is sent, with a fault
on postgres and advisor-api; the worker turns it into one incident (two
alerts joined by the topology, root cause postgres) that resolves by
itself. Then `vigil replay` reads the same range from Kafka, without a
consumer group, and writes report.json, report.html and (`--publish`) its
incident events to a topic of its own.

What is compared, by group key (ids hash the opening time, so they differ):

- exactly: title, status, services, root cause, domain, final and highest
  severity, the sequence of incident event kinds, the join reasons, and
  each alert (name, service, severity, status, `first_seen`, `ends_at`)
  plus the incident's `detected_at`. Those alert times are event times
  (window ends): both sides evaluate the same windows over the same
  samples, so they are equal to the bit.
- within one evaluation tick (the pack's base window, 10 s, strictly
  less): `opened_at` and `resolved_at`. These are processing times: live,
  the Kafka record time of the alert the correlate agent read (and the
  wall-clock tick for the auto-resolve); in the replay, the simulated 1 s
  step at which the same window evaluation happened. Both wait for the
  same watermark (newest sample time minus the 5 s allowed lateness); the
  replay sees it at the first step of its 1 s grid after it (up to 1 s
  late), the live worker at ingest's next 1 s flush plus the broker round
  trips. Observed over six runs (one beside two CPU hogs): live − replay
  between −0.9 s and +1.4 s. A difference of a whole tick would mean
  another window decided: a real divergence.
- the notifications: the live page agent's (the `notifications` topic) and
  the replay's dry run, the same receivers, events and reasons in the same
  order, each decided within the same tolerance.
- report.json must say what the replay's published events say.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from schemas import IncidentEvent, IncidentEventType, IncidentStatus, Notification, decode
from tests.browser import Browser, require_chromium
from tests.integration.kafka_helpers import delete_topics
from tests.integration.live_replay_helpers import (
    DB,
    PACK,
    WINDOW,
    Traffic,
    compare,
    compare_notifications,
    deltas,
    live_incidents,
    read_all,
    replay_incidents,
)
from tests.integration.scenario_player import IncidentFeed
from tests.integration.waiting import eventually
from tests.integration.worker import RunningWorker, running_worker

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "test-artifacts" / "replay-report.png"
TOLERANCE = WINDOW  #: one evaluation tick, see the module docstring
STORY = 60.0  #: seconds from B to the live incident's resolution: B+40 last transition, +5 lateness, +10 timeout
SLACK = 45.0  #: extra seconds a loaded machine may need before the test gives up waiting


def watermark(worker: RunningWorker) -> float | None:
    """The worker's rules-engine watermark: not None once samples have gone through ingest and the engine."""
    try:
        with urllib.request.urlopen(f"{worker.web}/health", timeout=5) as resp:
            return orjson.loads(resp.read()).get("watermark")
    except OSError:
        return None


def log_tail(worker: RunningWorker) -> str:
    return worker.log.read_text()[-4000:]


async def told_the_resolution(bootstrap: str, topic: str, timeout: float) -> list[Notification]:
    """The live notifications, once the page agent has decided the one about the resolution."""
    deadline = time.monotonic() + timeout
    while True:
        notes = [decode(Notification, r.value) for r in await read_all(bootstrap, topic)]
        if any(n.event == IncidentEventType.RESOLVED for n in notes) or time.monotonic() > deadline:
            return notes
        await asyncio.sleep(0.5)


def all_resolved(events: list[IncidentEvent]) -> bool:
    latest = {e.incident_id: e.incident for e in events}
    return bool(latest) and all(s.status == IncidentStatus.RESOLVED for s in latest.values())


def vigil_replay(*args: str) -> subprocess.CompletedProcess[str]:
    """`vigil replay` as a user runs it: the CLI's `main`, in its own process."""
    code = "import sys; from vigil.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "replay", "--quiet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


async def test_live_incidents_equal_the_replayed_ones(
    kafka_bootstrap: str, kafka_admin: AIOKafkaAdminClient, tmp_path: Path
) -> None:
    started = time.monotonic()
    pack = tmp_path / "pack.yaml"
    pack.write_text(PACK, encoding="utf-8")
    with running_worker(kafka_bootstrap, tmp_path, VIGIL_CONFIG=str(pack)) as worker:
        topics = worker.topics
        producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=5, enable_idempotence=True)
        await producer.start()
        traffic = Traffic(producer, topics.metrics)
        try:
            async with IncidentFeed(kafka_bootstrap, topics.incidents) as feed:
                sending = asyncio.create_task(traffic.run())
                try:
                    # Healthy traffic until it has gone through ingest and the rules engine.
                    await eventually(
                        lambda: watermark(worker) is not None, "a watermark", 60, explain=lambda: log_tail(worker)
                    )
                    base = float(math.ceil((time.time() + 2.0) / WINDOW) * WINDOW)
                    traffic.fault_base = base
                    await eventually(
                        lambda: all_resolved(feed.events) and time.time() > base + 40,
                        "the live incident to resolve",
                        base + STORY + SLACK - time.time(),
                        explain=lambda: log_tail(worker),
                    )
                finally:
                    traffic.stop.set()
                    await sending
                live_events = list(feed.events)
        finally:
            await producer.stop()
        live_notes = await told_the_resolution(kafka_bootstrap, topics.notifications, timeout=30)
    live_seconds = time.monotonic() - started
    assert traffic.first_ts is not None and traffic.last_ts is not None

    # The same range, replayed.
    out = tmp_path / "replay"
    published = f"{topics.prefix}replayed-incidents"
    from_ts, to_ts = traffic.first_ts - 1.0, traffic.last_ts + 0.001  # --to is exclusive: keep the last sample
    try:
        run = vigil_replay(
            "--bootstrap", kafka_bootstrap, "--prefix", topics.prefix, "--config", str(pack),
            "--from", f"{from_ts:.3f}", "--to", f"{to_ts:.3f}", "--out", str(out), "--publish", published,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        report = orjson.loads((out / "report.json").read_bytes())
        records = await read_all(kafka_bootstrap, published)
    finally:
        await delete_topics(kafka_admin, [published])
    replayed_events = [decode(IncidentEvent, r.value) for r in records]
    assert report["complete"] is True
    assert report["stats"]["events"] == traffic.sent, (report["stats"], traffic.sent)
    assert report["stats"]["dead_lettered"] == 0 and report["stats"]["late"] == 0, report["stats"]

    live = live_incidents(live_events)
    replay = replay_incidents(report, replayed_events)
    shown = {"live": live, "replay": replay, "live - replay (s)": deltas(live, replay), "B": base}
    problems = compare(live, replay, TOLERANCE)
    assert problems == [], "live and replay differ:\n" + "\n".join(problems) + "\n" + repr(shown)

    # The story happened as designed, so the comparison was about something.
    (incident,) = live.values()
    assert incident["root_cause"] == DB and incident["services"] == ["advisor-api", DB], incident
    assert (incident["severity"], incident["max_severity"]) == ("high", "critical"), incident
    assert incident["events"] == ["opened", "alert_added", "alert_resolved", "alert_resolved", "resolved"], incident
    assert [a[:2] for a in incident["alerts"]] == [("ApiLatencyP95High", "advisor-api"), ("PostgresQueryP95High", DB)]
    # Notifications: the live page agent and the replay's dry pagers told the same receivers the same things.
    told, problems = compare_notifications(live_notes, report["runs"]["current"]["notifications"], TOLERANCE)
    assert problems == [], "\n".join(problems)
    assert [t[1] for t in told] == incident["events"], told  # group_interval 1s: each change told on its own

    # The real report in a real browser.
    html = out / "report.html"
    async with Browser(binary=require_chromium(), width=1280, height=900) as browser:
        page = await browser.new_page()
        await page.goto(html.as_uri())
        SCREENSHOT.parent.mkdir(exist_ok=True)
        await page.screenshot(SCREENSHOT)
        assert page.console_errors == [], "\n".join(map(str, page.console_errors))
        assert page.exceptions == []
        assert page.failed_requests == []
        charts = await page.evaluate(
            "[...document.querySelectorAll('svg')].map(svg => {"
            " const box = svg.getBoundingClientRect(); return {width: box.width, height: box.height}; })"
        )
        assert any(c["width"] > 0 and c["height"] > 0 for c in charts), charts
        titles = await page.evaluate(
            "[...document.querySelectorAll('.incident-title')].map(e => {"
            " const box = e.getBoundingClientRect(); const style = getComputedStyle(e);"
            " return {text: e.innerText, visible: box.width > 0 && box.height > 0"
            " && style.visibility === 'visible' && style.display !== 'none'}; })"
        )
        assert titles == [{"text": incident["title"], "visible": True}], titles
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(
        f"live {live_seconds:.1f}s, total {time.monotonic() - started:.1f}s; "
        f"live - replay: {deltas(live, replay)}; {traffic.sent} samples; told {told}"
    )
