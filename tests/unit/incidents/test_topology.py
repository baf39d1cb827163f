"""The dependency map: transitive upstreams, chains, and stable domain names."""

from __future__ import annotations

from correlator.incidents import Topology

from .factories import PLATFORM


def test_upstreams_are_transitive_and_never_include_the_service() -> None:
    assert PLATFORM.upstreams("advisor-api") == {"postgres", "compliance-svc"}
    assert PLATFORM.upstreams("compliance-svc") == {"postgres"}
    assert PLATFORM.upstreams("postgres") == frozenset()
    assert PLATFORM.upstreams("not-in-the-map") == frozenset()
    chain = Topology({"a": ("b",), "b": ("c",), "c": ("a",)})  # a cycle
    assert chain.upstreams("a") == {"b", "c"}


def test_path_is_the_shortest_dependency_chain() -> None:
    deep = Topology({"web": ("api",), "api": ("cache", "db"), "cache": ("db",)})
    assert deep.path("web", "db") == ("web", "api", "db")
    assert deep.path("db", "web") == ()
    assert deep.path("web", "web") == ("web",)


def test_domain_is_the_first_most_upstream_service_of_the_connected_part() -> None:
    assert {PLATFORM.domain(s) for s in PLATFORM.services} == {"postgres"}
    two = Topology({"web": ("api",), "api": ("db",), "batch": ("queue",)})
    assert two.domain("web") == two.domain("db") == "db"
    assert two.domain("batch") == "queue"
    assert two.domains() == ("db", "queue")
    assert two.domain("whatsapp-gateway") == "whatsapp-gateway"  # absent: its own domain


def test_adding_a_downstream_service_keeps_the_domain_name() -> None:
    grown = Topology({**PLATFORM.depends_on, "a-new-frontend": ("advisor-api",)})
    assert grown.domain("a-new-frontend") == grown.domain("advisor-api") == PLATFORM.domain("advisor-api")


def test_a_cycle_is_named_by_its_first_service() -> None:
    assert Topology({"b": ("a",), "a": ("b",)}).domain("b") == "a"


def test_the_map_is_read_only_and_lists_duplicates_once() -> None:
    topology = Topology({"api": ("db", "db")})
    assert topology.depends_on["api"] == ("db",)
    assert topology.depends_on["db"] == ()
