"""The page rendered from a realistic report: its sections, what they say, and that it is safe and self-contained."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vigil.report
from tests.unit.report.fixtures import API_TITLE, CHARTS, END, START, SUSPECT_URL, WHATSAPP_TITLE, at, report
from tests.unit.report.parsing import Node, parse, svgs
from vigil.report import render_html

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(report())


@pytest.fixture(scope="module")
def doc(html: str) -> Node:
    return parse(html)


def texts(nodes: list[Node]) -> list[str]:
    return [" ".join(n.text().split()) for n in nodes]


def facts_of(node: Node) -> dict[str, str]:
    return {
        " ".join(div.find("dt").text().split()): " ".join(div.find("dd").text().split())
        for dl in node.find_all("dl", "facts")
        for div in dl.find_all("div")
    }


def rows(table: Node) -> list[list[str]]:
    return [texts([c for c in tr.iter() if c.tag in ("td", "th")]) for tr in table.find("tbody").find_all("tr")]


def test_public_api() -> None:
    assert vigil.report.__all__ == ["render_html"]
    assert all(hasattr(vigil.report, name) for name in vigil.report.__all__)


def test_document_outline(doc: Node) -> None:
    assert texts(doc.find("head").find_all("title")) == ["Vigil postmortem: 2026-01-01 12:00 – 2026-01-01 13:00 UTC"]
    assert doc.find("html").attrs["lang"] == "en"
    assert any(m.attrs.get("name") == "viewport" for m in doc.find_all("meta"))
    assert texts(doc.find_all("h1")) == ["Postmortem report"]
    assert texts(doc.find_all("h2")) == [
        "Summary",
        "Incidents",
        "What if",
        "Alerts",
        "Dead-lettered events",
        "Late events",
    ]
    assert texts(doc.find_all("span", "incident-title")) == [API_TITLE, WHATSAPP_TITLE]
    links = [a.attrs["href"] for a in doc.find("nav").find_all("a")]
    assert links == ["#summary", "#incidents", "#what-if", "#alerts", "#dead-letters", "#late"]
    ids = {n.attrs["id"] for n in doc.iter() if "id" in n.attrs}
    assert all(link[1:] in ids for link in links)


def test_header_says_range_sources_config_and_completeness(doc: Node) -> None:
    facts = facts_of(doc.find("header", "page"))
    assert facts["From"] == "2026-01-01 12:00:00 UTC"
    assert facts["To"] == "2026-01-01 13:00:00 UTC"
    assert facts["Length"] == "1h"
    assert facts["Sources"] == "logs, metrics, receipts"
    assert facts["Config"] == "packs/default.yaml"
    assert facts["Alternative config"] == "alt.yaml"
    assert facts["Events replayed"] == "237,412 over 1h"
    assert facts["Completeness"] == "complete"
    assert doc.find_all(class_="banner") == []


def test_an_incomplete_replay_is_flagged() -> None:
    data = report()
    data["complete"] = False
    doc = parse(render_html(data))
    assert facts_of(doc.find("header", "page"))["Completeness"] == "incomplete"
    assert "Incomplete replay." in texts(doc.find_all(class_="banner"))[0]


def test_summary_cards(doc: Node) -> None:
    cards = texts(doc.find("section", id="summary").find_all("li"))
    assert cards == ["2 incidents", "4 alerts", "4 notifications", "2 dead-lettered events", "17 late events"]


def test_each_incident_has_its_facts_reasons_and_suspects(doc: Node) -> None:
    first, second = doc.find_all("article", "incident")
    assert [b.text() for b in first.find_all("span", "badge")] == ["critical"]
    assert "sev-critical" in first.find("span", "badge").classes
    assert facts_of(first) == {
        "Root cause": "postgres",
        "Services": "advisor-api, postgres",
        "Opened": "12:10:00",
        "Resolved": "12:31:00",
        "Time to detect": "1m 35s",
        "Time to acknowledge": "4m 40s",
        "Time to resolve": "21m 40s",
    }
    assert "advisor-api depends on postgres, which is alerting" in first.text()
    (link,) = first.find_all("a")
    assert link.attrs["href"] == SUSPECT_URL and link.text() == SUSPECT_URL
    facts = facts_of(second)
    assert facts["Time to detect"] == "42s"
    assert facts["Time to acknowledge"] == "not acknowledged"
    assert facts["Time to resolve"] == "unresolved"
    assert facts["Resolved"] == "not in this range"
    assert "Why these alerts" not in second.text() and "Suspect" not in second.text()


def test_timeline_merges_changes_and_notifications_in_time_order(doc: Node) -> None:
    first = doc.find_all("article", "incident")[0]
    table = first.find_all("table")[-1]
    assert texts(table.find("thead").find_all("th")) == ["Time (UTC)", "Kind", "What happened", "Who / receiver"]
    got = rows(table)
    assert [r[0] for r in got] == sorted(r[0] for r in got)
    assert [(r[1], r[3]) for r in got] == [
        ("opened", "—"),
        ("notification: opened", "console"),
        ("notification: opened", "team-slack"),
        ("severity changed", "—"),
        ("notification: escalated", "oncall-pager"),
        ("alert added", "—"),
        ("acknowledged", "ana@example.com"),
        ("resolved", "—"),
    ]
    assert got[4][2] == "not acknowledged within 1 min → delivered (escalation level 0)"
    kinds = [tr.attrs.get("class") for tr in table.find("tbody").find_all("tr")]
    assert kinds.count("notification") == 3


def test_notifications_come_from_the_run_when_the_incident_lists_none() -> None:
    data = report()
    del data["runs"]["current"]["incidents"][0]["notifications"]
    first = parse(render_html(data)).find_all("article", "incident")[0]
    assert [r[3] for r in rows(first.find_all("table")[-1])].count("oncall-pager") == 1


def test_each_incident_charts_the_slis_of_its_services(html: str, doc: Node) -> None:
    first, second = doc.find_all("article", "incident")
    assert [s.find("title").text() for s in first.find_all("svg")] == [
        "ApiLatencyP95High — advisor-api",
        "Api5xxRatioHigh — advisor-api",
    ]
    assert [s.find("title").text() for s in second.find_all("svg")] == ["WhatsAppDeliveryFailures — whatsapp-gateway"]
    charts = svgs(html)
    assert len(charts) == CHARTS
    assert len({c.get("id") for c in charts}) == CHARTS
    for chart in charts:
        assert len([e for e in chart.iter() if e.get("class") == "threshold"]) == 1
        marks = [e.get("data-incident") for e in chart.iter() if e.get("class") == "incident"]
        assert len(marks) == 1
    assert [[e.get("data-incident") for e in c.iter() if e.get("class") == "incident"] for c in charts] == [
        ["inc-api-latency"],
        ["inc-api-latency"],
        ["inc-whatsapp"],
    ]


def test_series_no_incident_involves_get_their_own_section_with_every_incident_marked() -> None:
    data = report()
    data["runs"]["current"]["series"].append(
        {
            "rule": "ValidationP95High",
            "service": "compliance-svc",
            "op": ">",
            "threshold": 1.5,
            "unit": "s",
            "points": [[at(m), 0.4] for m in range(61)],
        }
    )
    html = render_html(data)
    doc = parse(html)
    section = doc.find("section", id="slis")
    assert texts(section.find_all("h2")) == ["Other SLIs"]
    (svg,) = section.find_all("svg")
    assert [g.attrs["data-incident"] for g in svg.find_all("g", "incident")] == ["inc-api-latency", "inc-whatsapp"]
    assert len(svgs(html)) == CHARTS + 1


def test_an_incident_whose_services_have_no_series_shows_all_when_there_are_few() -> None:
    data = report(what_if=False)
    data["runs"]["current"]["incidents"][1]["services"] = ["somewhere-else"]
    second = parse(render_html(data)).find_all("article", "incident")[1]
    assert len(second.find_all("svg")) == 3


def test_what_if_section(doc: Node) -> None:
    section = doc.find("section", id="what-if")
    text = " ".join(section.text().split())
    assert "replayed under alt.yaml instead of packs/default.yaml" in text
    side = section.find_all("table")[0]
    assert rows(side) == [["Incidents", "2", "2", "0"], ["Alerts", "4", "3", "−1"], ["Notifications", "4", "1", "−3"]]
    assert "3 notifications saved" in text
    assert "30s gained" in text and "0s lost" in text and "over 1 incident both opened" in text
    assert rows(section.find_all("table")[1]) == [
        [f"{API_TITLE} inc-api-latency", f"{API_TITLE} alt-api-latency", "30s earlier"]
    ]
    lists = [" ".join(ul.text().split()) for ul in section.find_all("ul")]
    assert len(lists) == 2
    assert WHATSAPP_TITLE in lists[0] and "opened 12:40:00" in lists[0]
    assert "compliance-svc: validation P95 above 1.5s" in lists[1]
    # Incidents of the current run link to their article.
    hrefs = [a.attrs["href"] for a in section.find_all("a")]
    assert hrefs == ["#incident-1", "#incident-2"]


@pytest.mark.parametrize(
    ("delta", "saved", "verdict", "saying"),
    [(45.0, -2, "45s later", "2 more notifications"), (0.0, 0, "same time", "same number")],
)
def test_what_if_when_the_alternative_is_worse(delta: float, saved: int, verdict: str, saying: str) -> None:
    data = report()
    data["diff"]["both"][0]["detect_delta_s"] = delta
    data["diff"]["notifications_saved"] = saved
    section = parse(render_html(data)).find("section", id="what-if")
    assert rows(section.find_all("table")[1])[0][2] == verdict
    assert saying in section.text()


def test_no_what_if_without_a_diff() -> None:
    doc = parse(render_html(report(what_if=False)))
    assert "What if" not in texts(doc.find_all("h2"))
    assert "Alternative config" not in facts_of(doc.find("header", "page"))


def test_alerts_table_has_one_row_per_episode_with_its_latest_state(doc: Node) -> None:
    table = doc.find("section", id="alerts").find("table")
    assert rows(table) == [
        ["ApiLatencyP95High", "high", "resolved", "service=advisor-api", "12:09:19", "12:30:00"],
        ["api-availability:burn14.4x", "critical", "resolved", "service=advisor-api", "12:10:30", "12:31:00"],
        ["PostgresLockWaits", "medium", "resolved", "service=postgres", "12:12:00", "12:29:00"],
        ["WhatsAppDeliveryFailures", "high", "firing", "service=whatsapp-gateway", "12:39:00", "—"],
    ]


def test_dead_letters_and_late_events(doc: Node) -> None:
    dead = doc.find("section", id="dead-letters").find("table")
    assert texts(dead.find("thead").find_all("th")) == [
        "Time (UTC)",
        "Topic",
        "Partition",
        "Offset",
        "Reason",
        "Field",
        "Preview",
    ]
    assert rows(dead) == [
        [
            "12:12:15",
            "vigil.logs",
            "2",
            "48213",
            "schema: missing required field",
            "service",
            '{"level":"error","msg":"<b>lock wait</b> & timeout"}',
        ],
        ["12:41:00", "vigil.metrics", "0", "99120", "not JSON", "—", "latency_ms=1500 service=advisor-api"],
    ]
    late = doc.find("section", id="late").find("table")
    assert rows(late) == [
        ["12:20:00", "vigil.metrics", "advisor-api", "12"],
        ["12:44:00", "vigil.receipts", "whatsapp-gateway", "5"],
    ]
    assert all(
        th.attrs.get("scope") == "col"
        for th in doc.find_all("th")
        if th.parent and th.parent.parent and th.parent.parent.tag == "thead"
    )


def test_more_dead_letters_than_listed_says_so() -> None:
    data = report()
    data["stats"]["dead_lettered"] = 250
    section = parse(render_html(data)).find("section", id="dead-letters")
    assert "The table lists 2 of 250." in section.text()


def _payload_everywhere(data: dict[str, Any], payload: str) -> None:
    current = data["runs"]["current"]
    incident = current["incidents"][0]
    incident["title"] = f"API down {payload}"
    incident["id"] = f'inc" onmouseover="alert(1) {payload}'
    incident["severity"] = payload
    incident["status"] = payload
    incident["root_cause"] = payload
    incident["services"].append(payload)
    incident["group_key"] = payload
    incident["reasons"].append(payload)
    incident["suspects"].append(f'deploy {payload} https://ci.example.com/x?q="><script>alert(1)</script>')
    incident["timeline"][0]["text"] = payload
    incident["timeline"][0]["kind"] = payload
    incident["timeline"][0]["actor"] = payload
    incident["notifications"][0]["receiver"] = payload
    incident["notifications"][0]["reason"] = payload
    current["alerts"][0]["labels"][payload] = payload
    current["alerts"][0]["rule"] = payload
    current["series"][0]["rule"] = payload
    current["series"][0]["service"] = payload
    current["series"][0]["unit"] = payload
    current["series"][0]["op"] = payload
    data["sources"].append(payload)
    data["config"]["current"].append(payload)
    data["dead_letters"][0]["preview"] = payload
    data["dead_letters"][0]["field"] = payload
    data["late"][0]["topic"] = payload
    data["diff"]["only_alternative"][0]["title"] = payload
    data["range"]["from"] = payload


def test_every_string_from_the_report_is_escaped() -> None:
    data = report()
    _payload_everywhere(data, SCRIPT)
    html = render_html(data)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    doc = parse(html)  # still well-formed: nothing broke out of its element
    assert not any(name.startswith("on") for node in doc.iter() for name in node.attrs)
    assert "API down <script>alert('x')</script>" in texts(doc.find_all("span", "incident-title"))
    for chart in svgs(html):  # and the SVG stays well-formed XML
        assert chart.tag == "svg"


RESOURCE_TAGS = {
    "script",
    "link",
    "img",
    "iframe",
    "frame",
    "object",
    "embed",
    "base",
    "audio",
    "video",
    "source",
    "track",
    "image",
    "use",
    "picture",
    "portal",
    "input",
}
RESOURCE_ATTRS = {
    "src",
    "srcset",
    "poster",
    "data",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "manifest",
    "ping",
    "lowsrc",
    "longdesc",
}


def assert_self_contained(html: str, *, no_url_text: bool = True) -> None:
    doc = parse(html)
    used = {node.tag for node in doc.iter()} & RESOURCE_TAGS
    assert not used, f"resource-loading elements: {used}"
    for node in doc.iter():
        assert not (set(node.attrs) & RESOURCE_ATTRS), (node.tag, node.attrs)
        if "href" in node.attrs:
            assert node.tag == "a", node.tag
            assert node.attrs["href"].startswith(("#", "https://", "http://")), node.attrs["href"]
        assert "url(" not in node.attrs.get("style", "")
    style = "".join(s.text() for s in doc.find_all("style"))
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    # Outside links (followed only when clicked), no URL appears anywhere: not even as text.
    if no_url_text:
        without_links = re.sub(r"<a\s[^>]*>.*?</a>", "", html, flags=re.S)
        assert "http://" not in without_links and "https://" not in without_links


def test_page_is_self_contained(html: str) -> None:
    assert_self_contained(html)
    assert "https://" in html  # the suspect's link is there, as a link


def test_page_stays_self_contained_whatever_the_report_says() -> None:
    data = report()
    _payload_everywhere(data, '<img src="https://evil.example/x.png"><link rel=stylesheet href=//evil.example/s.css>')
    assert_self_contained(render_html(data), no_url_text=False)  # the payload is there, as harmless text


def test_same_report_same_bytes() -> None:
    first = render_html(report())
    assert render_html(report()) == first
    assert render_html(json.loads(json.dumps(report()))) == first  # as read back from report.json
    assert render_html(copy.deepcopy(report())) == first


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"vigil_replay": 1},
        {"vigil_replay": 1, "complete": True, "range": {"from_ts": START, "to_ts": END}, "runs": {"current": {}}},
        {
            "runs": {
                "current": {"alerts": [], "incidents": [], "notifications": [], "series": []},
                "alternative": None,
            },
            "diff": None,
            "dead_letters": [],
            "late": [],
        },
        {
            "runs": None,
            "range": None,
            "stats": None,
            "config": None,
            "sources": None,
            "dead_letters": None,
            "late": None,
            "diff": {},
        },
        {"runs": {"current": {"incidents": [{}], "series": [{}], "alerts": [{}], "notifications": [{}]}}},
        {"range": {"from": "2026-01-01T12:00:00Z", "to": "2026-01-01T13:00:00Z"}},
        {"range": {"from_ts": END, "to_ts": START}},
        [],
    ],
)
def test_sparse_reports_render(data: Any) -> None:
    html = render_html(data)
    doc = parse(html)
    assert texts(doc.find_all("h1")) == ["Postmortem report"]
    assert_self_contained(html)


def test_an_empty_report_says_there_is_nothing() -> None:
    doc = parse(render_html({"vigil_replay": 1, "complete": True, "range": {"from_ts": START, "to_ts": END}}))
    text = " ".join(doc.text().split())
    assert "No incident was opened in this range." in text
    assert "No alert fired in this range." in text
    assert "No event was dead-lettered in this range." in text
    assert "No event arrived too late in this range." in text
    assert doc.find_all("svg") == []
    assert texts(doc.find("section", id="summary").find_all("span", "n")) == ["0", "0", "0", "0", "0"]


def test_range_falls_back_to_the_iso_strings() -> None:
    doc = parse(render_html({"range": {"from": "2026-01-01T12:00:00Z", "to": "2026-01-01T13:00:00Z"}}))
    assert facts_of(doc.find("header", "page"))["From"] == "2026-01-01 12:00:00 UTC"


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value[:3]):
            yield from _paths(child, (*path, i))


PATHS = [p for p in _paths(report()) if p]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(PATHS),
    replacement=st.sampled_from(
        [None, [], {}, "", "x", 0, -1, 1e308, -1e308, 10**400, float("nan"), True, [None], [[None, None]], {"a": None}]
    ),
)
def test_any_field_may_be_missing_null_or_odd(path: tuple[Any, ...], replacement: Any) -> None:
    """Replace any one value of the report (lists: their first three entries) with something odd: it still renders."""
    data = report()
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = replacement
    html = render_html(data)
    parse(html)
    assert html == render_html(copy.deepcopy(data))
