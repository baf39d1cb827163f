"""The Grafana dashboard reads only what Vigil exports, for the rules and SLOs the default pack has.

The exported names and labels come from a real worker registry
(`WorkerMetrics` watching a `RuleEngine` on packs/default.yaml that has
seen traffic for every rule, and an `IncidentReadModel` fed incident
events), rendered as /metrics renders it; the provisioning files are
checked against docker-compose.yml's mounts.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from correlator import PartialFolder, RuleEngine, SeriesKey
from correlator.config import load_pack
from correlator.slo import WORKBOOK_WINDOWS
from schemas import IncidentEvent, decode, encode
from streams.api import IncidentReadModel
from streams.metrics import WorkerMetrics
from tests.unit.api.fixtures import event

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARD_FILE = GRAFANA / "dashboards" / "vigil.json"
DASHBOARD: dict[str, Any] = json.loads(DASHBOARD_FILE.read_text())
PANELS: list[dict[str, Any]] = DASHBOARD["panels"]
PACK = load_pack(ROOT / "packs" / "default.yaml")
RULES = {rule.name: rule for rule in PACK.rules}
SLOS = {slo.name: slo for slo in PACK.slos}
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

ROWS = ["SLAs", "SLIs over time", "Burn rates", "Alerts & notifications", "Vigil's own health"]
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SCRAPE_LABELS = {"job", "instance"}  # added by Prometheus to every scraped sample

T0 = 1_700_000_000.0
#: one series per rule of packs/default.yaml, so every rule and SLO has a value
TRAFFIC = [
    (SeriesKey.of("metrics", "advisor-api", "http_request_duration_seconds", {"status": "200"}), 0.1),
    (SeriesKey.of("metrics", "advisor-api", "up", {}), 1.0),
    (SeriesKey.of("metrics", "compliance-svc", "compliance_validation_duration_seconds", {}), 0.4),
    (
        SeriesKey.of(
            "receipts", "whatsapp-gateway", "delivery_outcomes", {"channel": "whatsapp", "outcome": "success"}
        ),
        1.0,
    ),
    (SeriesKey.of("logs", "advisor-api", "log_pattern_matches", {"pattern": "upstream_timeout"}), 1.0),
    (SeriesKey.of("logs", "postgres", "log_pattern_matches", {"pattern": "lock_wait"}), 1.0),
]
#: what the worker's read model has read off the incidents topic: one incident open in each open status, one resolved
INCIDENT_EVENTS = [
    event("opened", incident_id="inc-1", severity="critical"),
    event("opened", incident_id="inc-2", severity="high"),
    event("acknowledged", incident_id="inc-2", severity="high", status="acknowledged", actor="ana"),
    event("opened", incident_id="inc-3", severity="low"),
    event("resolved", incident_id="inc-3", severity="low", status="resolved"),
]
OPEN_INCIDENTS = {"critical": 1, "high": 1, "medium": 0, "low": 0}  #: by severity, after INCIDENT_EVENTS


def worker_registry() -> CollectorRegistry:
    """The registry of a worker on the default pack after two minutes of traffic, one late event,
    the incident events above, and one of each thing its agents count (an event read, a dead
    letter, a notification, ...)."""
    engine = RuleEngine(PACK)
    metrics = WorkerMetrics()
    metrics.watch(engine, {"metrics": "metrics", "logs": "logs", "receipts": "receipts"})
    read_model = IncidentReadModel()
    for incident_event in INCIDENT_EVENTS:
        read_model.apply(decode(IncidentEvent, encode(incident_event)))  # as the follower reads it
    metrics.watch_incidents(read_model)
    folder = PartialFolder(window_seconds=engine.settings.window_seconds)
    for second in range(120):
        for series, value in TRAFFIC:
            folder.add(series, T0 + second, value)
        engine.add_all(folder.drain())
        engine.advance()
    folder.add(TRAFFIC[0][0], T0, 0.1)  # its window closed long ago: late
    engine.add_all(folder.drain())
    assert engine.late_events == 1
    # What the ingest, alert and notify agents record, once each (streams/ingest.py, app.py, notify.py).
    metrics.events_in.labels("metrics").inc()
    metrics.events_invalid.labels("metrics").inc()
    metrics.consumer_lag.labels("metrics", "0").set(0)
    metrics.partials_out.inc()
    metrics.flush_seconds.observe(0.01)
    metrics.evaluation_seconds.observe(0.001)
    metrics.alerts_out.labels("firing").inc()
    metrics.notifications.labels("console", "delivered").inc()
    metrics.notification_seconds.labels("console").observe(0.01)
    return metrics.registry


@dataclass(frozen=True)
class Exported:
    labels: dict[str, frozenset[str]]  #: sample name → its label names
    values: dict[tuple[str, str], frozenset[str]]  #: (sample name, label) → values seen


@functools.cache
def exported() -> Exported:
    """Every sample name /metrics shows, with its labels, parsed back from the exposition text."""
    labels: dict[str, set[str]] = {}
    values: dict[tuple[str, str], set[str]] = {}
    text = generate_latest(worker_registry()).decode()
    for family in text_string_to_metric_families(text):
        assert family.samples, f"{family.name} has no sample: worker_registry() should touch it"
        for sample in family.samples:
            labels.setdefault(sample.name, set()).update(sample.labels)
            for key, value in sample.labels.items():
                values.setdefault((sample.name, key), set()).add(value)
    return Exported(
        {name: frozenset(keys) for name, keys in labels.items()},
        {key: frozenset(seen) for key, seen in values.items()},
    )


# --- PromQL, as far as the dashboard uses it ---------------------------------

_STRING = r'"(?:[^"\\]|\\.)*"'
_SELECTOR = re.compile(rf"([a-zA-Z_:][\w:]*)?\s*\{{((?:[^}}\"]|{_STRING})*)\}}")
_MATCHER = re.compile(rf"([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*({_STRING})")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_RANGE = re.compile(r"\[[^\]]*\]")
_IDENT = re.compile(r"(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?")
FUNCTIONS = {"sum", "max", "min", "avg", "count", "rate", "increase", "histogram_quantile", "time"}
KEYWORDS = {"bool", "and", "or", "unless", "offset"}


@dataclass(frozen=True)
class Query:
    metrics: frozenset[str]
    matchers: tuple[tuple[str | None, str, str, str], ...]  #: (metric, label, op, value)
    grouping: frozenset[str]  #: labels of by (...) and friends
    functions: frozenset[str]


def parse(expr: str) -> Query:
    matchers = []
    for metric, body in _SELECTOR.findall(expr):
        for label, op, value in _MATCHER.findall(body):
            matchers.append((metric or None, label, op, json.loads(value)))
    bare = _RANGE.sub("", _SELECTOR.sub(lambda m: m.group(1) or "", expr))
    grouping = {label.strip() for labels in _GROUPING.findall(bare) for label in labels.split(",") if label.strip()}
    bare = _GROUPING.sub("", bare)
    assert '"' not in bare and "{" not in bare, f"unparsed string or selector left in {expr!r}: {bare!r}"
    metrics, functions = set(), set()
    for name, call in _IDENT.findall(bare):
        if call:
            functions.add(name)
        elif name not in KEYWORDS:
            metrics.add(name)
    return Query(frozenset(metrics), tuple(matchers), frozenset(grouping), frozenset(functions))


def test_parse_reads_what_the_dashboard_writes() -> None:
    q = parse(
        'histogram_quantile(0.99, sum by (receiver, le) (rate(vigil_x_bucket{a="b}", c=~"$s"}[5m]))) - time() * 1e3'
    )
    assert q.metrics == {"vigil_x_bucket"}
    assert q.matchers == (("vigil_x_bucket", "a", "=", "b}"), ("vigil_x_bucket", "c", "=~", "$s"))
    assert q.grouping == {"receiver", "le"}
    assert q.functions == {"histogram_quantile", "sum", "rate", "time"}


# --- the dashboard -------------------------------------------------------------


def panels() -> Iterator[dict[str, Any]]:
    return (p for p in PANELS if p["type"] != "row")


def targets() -> Iterator[tuple[str, dict[str, Any]]]:
    for panel in panels():
        for target in panel["targets"]:
            yield panel["title"], target


def exprs() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of the dashboard."""
    return [(title, target["expr"]) for title, target in targets()]


def by_row() -> dict[str, list[dict[str, Any]]]:
    """Panels under each row (rows are expanded, so a row's panels follow it)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] | None = None
    for panel in PANELS:
        if panel["type"] == "row":
            assert not panel["collapsed"] and panel["panels"] == []
            current = rows.setdefault(panel["title"], [])
        else:
            assert current is not None, f"{panel['title']!r} is above the first row"
            current.append(panel)
    return rows


def steps(panel: dict[str, Any]) -> list[tuple[str, float | None]]:
    return [(s["color"], s["value"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def test_identity_and_variables() -> None:
    assert DASHBOARD["uid"] == "vigil"
    assert DASHBOARD["title"] == "Vigil — platform SLAs"
    assert 36 <= DASHBOARD["schemaVersion"] <= 41
    variables = {v["name"]: v for v in DASHBOARD["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    service = variables["service"]
    assert service["type"] == "query" and service["datasource"] == DATASOURCE
    assert service["definition"] == service["query"]["query"] == "label_values(vigil_rule_value, service)"
    assert "service" in exported().labels["vigil_rule_value"]
    assert service["includeAll"] and service["multi"] and service["allValue"] == ".*"


def test_rows_in_order_each_with_panels() -> None:
    assert [p["title"] for p in PANELS if p["type"] == "row"] == ROWS
    assert all(by_row()[row] for row in ROWS)


def test_panel_ids_are_unique() -> None:
    ids = [p["id"] for p in PANELS]
    assert len(ids) == len(set(ids)), ids


def test_panels_tile_the_grid_without_overlap() -> None:
    boxes = []
    for panel in PANELS:
        g = panel["gridPos"]
        assert g["x"] >= 0 and g["y"] >= 0 and g["w"] > 0 and g["h"] > 0, panel["title"]
        assert g["x"] + g["w"] <= 24, f"{panel['title']!r} sticks out of the 24 columns"
        boxes.append((panel["title"], g["x"], g["y"], g["x"] + g["w"], g["y"] + g["h"]))
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1 :]:
            assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, f"{a!r} overlaps {b!r}"
    # Listed top to bottom, so each row's panels sit below it and above the next row.
    assert [(p["gridPos"]["y"], p["gridPos"]["x"]) for p in PANELS] == sorted(
        (p["gridPos"]["y"], p["gridPos"]["x"]) for p in PANELS
    )


def test_every_query_uses_the_datasource_variable_and_unique_ref_ids() -> None:
    for panel in panels():
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        assert all(t["datasource"] == DATASOURCE for t in panel["targets"]), panel["title"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]


@pytest.mark.parametrize(("title", "expr"), exprs(), ids=[f"{t}: {e}" for t, e in exprs()])
def test_query_reads_only_what_vigil_exports(title: str, expr: str) -> None:
    names = exported().labels
    query = parse(expr)
    assert query.metrics, f"{title}: {expr!r} reads no metric"
    assert query.metrics <= names.keys(), f"{title}: not exported by Vigil: {sorted(query.metrics - names.keys())}"
    assert query.functions <= FUNCTIONS, f"{title}: unexpected functions {sorted(query.functions - FUNCTIONS)}"
    available = set().union(*(names[m] for m in query.metrics)) | SCRAPE_LABELS
    assert query.grouping <= available, f"{title}: grouping by labels no metric has: {query.grouping - available}"
    for metric, label, op, value in query.matchers:
        assert metric is not None, f"{title}: a selector without a metric name"
        assert label in names[metric] | SCRAPE_LABELS, f"{title}: {metric} has no label {label!r}"
        if label == "service":
            assert (op, value) == ("=~", "$service"), f"{title}: services are chosen by the $service variable"
        elif label == "rule":
            assert op == "=" and value in RULES, f"{title}: {value!r} is not a threshold rule of packs/default.yaml"
        elif label == "slo":
            assert op == "=" and value in SLOS, f"{title}: {value!r} is not an SLO of packs/default.yaml"
        else:
            assert op == "=" and value in exported().values[metric, label], (
                f"{title}: {metric} has no {label}={value!r}"
            )


PER_SERVICE = {"vigil_rule_value", "vigil_slo_error_budget_remaining", "vigil_slo_burn_rate"}


def test_every_per_service_sli_follows_the_service_variable() -> None:
    for title, expr in exprs():
        query = parse(expr)
        for metric in query.metrics & PER_SERVICE:
            chosen = {(label, op, value) for m, label, op, value in query.matchers if m == metric}
            assert ("service", "=~", "$service") in chosen, title


# --- thresholds match packs/default.yaml ----------------------------------------------


def selected(panel: dict[str, Any], label: str) -> set[str]:
    return {v for t in panel["targets"] for _, lbl, _, v in parse(t["expr"]).matchers if lbl == label}


def test_sla_tiles_colour_at_the_pack_thresholds() -> None:
    rule, slo = RULES, SLOS
    tiles = {p["title"]: p for p in by_row()["SLAs"] if p["type"] == "stat"}
    red, green, yellow = "red", "green", "yellow"
    expected = {
        # title: (rule read, steps from the lowest value up)
        "API P95 latency": ("ApiLatencyP95High", [(green, None), (red, rule["ApiLatencyP95High"].threshold)]),
        "API error rate (5xx)": (
            "ApiErrorRatioHigh",
            [(green, None), (yellow, slo["api-availability"].error_budget), (red, rule["ApiErrorRatioHigh"].threshold)],
        ),
        "Compliance validation P95": (
            "ComplianceValidationSlow",
            [(green, None), (red, rule["ComplianceValidationSlow"].threshold)],
        ),
        "WhatsApp delivery": (
            "WhatsAppDeliveryFailing",
            [
                (red, None),
                (yellow, 1 - rule["WhatsAppDeliveryFailing"].threshold),
                (green, slo["whatsapp-delivery"].objective),
            ],
        ),
        "Uptime": ("ServiceDown", [(red, None), (green, rule["ServiceDown"].threshold)]),
    }
    for title, (rule_name, want) in expected.items():
        tile = tiles[title]
        assert selected(tile, "rule") == {rule_name}, title
        got = steps(tile)
        assert [c for c, _ in got] == [c for c, _ in want], title
        assert got[0][1] is None, title
        assert [v for _, v in got[1:]] == pytest.approx([v for _, v in want[1:]]), title
    assert tiles["WhatsApp delivery"]["targets"][0]["expr"].startswith("min by (service) (1 - vigil_rule_value{")


def test_every_threshold_rule_is_drawn_with_its_threshold() -> None:
    charts = by_row()["SLIs over time"]
    assert sorted(name for p in charts for name in selected(p, "rule")) == sorted(RULES)
    for panel in charts:
        (name,) = selected(panel, "rule")
        rule = RULES[name]
        above = rule.comparison.value in (">", ">=")  # does the rule fire above its threshold?
        want = [("green", None), ("red", rule.threshold)] if above else [("red", None), ("green", rule.threshold)]
        assert steps(panel) == want, name
        assert panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"] != "off", name


def test_every_slo_has_a_budget_gauge_and_a_burn_chart() -> None:
    rows = by_row()
    gauges = [p for p in rows["SLAs"] if p["type"] == "gauge"]
    assert sorted(name for p in gauges for name in selected(p, "slo")) == sorted(SLOS)
    assert all(parse(t["expr"]).metrics == {"vigil_slo_error_budget_remaining"} for p in gauges for t in p["targets"])
    burns = rows["Burn rates"]
    assert sorted(name for p in burns for name in selected(p, "slo")) == sorted(SLOS)
    factors = sorted(factor for factor, *_ in WORKBOOK_WINDOWS)
    for panel in burns:
        assert [v for _, v in steps(panel)[1:]] == factors, panel["title"]
        assert all("by (window)" in t["expr"] for t in panel["targets"]), panel["title"]


def test_alerts_and_health_rows_cover_their_metrics() -> None:
    rows = by_row()
    read = {row: set().union(*(parse(t["expr"]).metrics for p in rows[row] for t in p["targets"])) for row in ROWS}
    assert {
        "vigil_active_alerts",
        "vigil_incidents",
        "vigil_notifications_total",
        "vigil_notification_attempt_seconds_bucket",
    } <= read["Alerts & notifications"]
    assert "vigil_incidents" in read["SLAs"]
    assert {
        "vigil_events_in_total",
        "vigil_events_invalid_total",
        "vigil_events_late_total",
        "vigil_consumer_lag",
        "vigil_watermark_seconds",
        "vigil_ingest_flush_seconds_bucket",
        "vigil_rule_evaluation_seconds_bucket",
    } <= read["Vigil's own health"]


_MAX_OVER_WORKERS = re.compile(r"\bmax\s+by\s*\(\s*severity\s*,\s*status\s*\)\s*\(\s*vigil_incidents\s*\)")


def test_incident_counts_are_combined_over_workers_with_max() -> None:
    """Every worker follows the whole incidents topic: a sum over workers would count each incident once per worker."""
    reading = [(title, expr) for title, expr in exprs() if "vigil_incidents" in parse(expr).metrics]
    assert reading
    for title, expr in reading:
        assert expr.count("vigil_incidents") == len(_MAX_OVER_WORKERS.findall(expr)), f"{title}: {expr}"


# --- provisioning and docker-compose.yml ---------------------------------------------


def host_path(service: str, container_path: str) -> Path:
    """The file of this repository that `container_path` is, through the service's bind mounts."""
    wanted = PurePosixPath(container_path)
    for volume in COMPOSE[service]["volumes"]:
        source, target, *_ = volume.split(":")
        if wanted == PurePosixPath(target) or PurePosixPath(target) in wanted.parents:
            assert source.startswith("./"), volume
            return ROOT / source / wanted.relative_to(target)
    raise AssertionError(f"{container_path} is not mounted into {service}")


def test_grafana_service() -> None:
    grafana = COMPOSE["grafana"]
    assert re.fullmatch(r"grafana/grafana:11\.\d+\.\d+", grafana["image"]), "pin an exact Grafana 11 release"
    assert "3000:3000" in grafana["ports"]
    assert "prometheus" in grafana["depends_on"]
    assert all(volume.endswith(":ro") for volume in grafana["volumes"])
    env = grafana["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true" and env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert host_path("grafana", env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]) == DASHBOARD_FILE


def test_datasource_is_the_compose_prometheus() -> None:
    provisioning = host_path("grafana", "/etc/grafana/provisioning")
    assert provisioning == GRAFANA / "provisioning"
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"]
    url = urlsplit(source["url"])
    assert url.hostname == "prometheus" and url.hostname in COMPOSE
    assert any(port.endswith(f":{url.port}") for port in COMPOSE["prometheus"]["ports"])
    assert source["uid"] == "prometheus"
    current = next(v for v in DASHBOARD["templating"]["list"] if v["name"] == "datasource")["current"]
    assert current["value"] == source["uid"]
    scrape = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())["global"]["scrape_interval"]
    assert source["jsonData"]["timeInterval"] == scrape


def test_dashboard_provider_loads_the_dashboards_folder() -> None:
    provisioning = host_path("grafana", "/etc/grafana/provisioning")
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "vigil.yml").read_text())["providers"]
    assert provider["type"] == "file"
    folder = host_path("grafana", provider["options"]["path"])
    assert folder == DASHBOARD_FILE.parent
    assert sorted(folder.glob("*.json")) == [DASHBOARD_FILE]
