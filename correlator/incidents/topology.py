"""The service dependency map: who depends on whom, and which services can correlate at all.

`depends_on` says `advisor-api depends on [postgres, compliance-svc]`. From
it come the transitive upstreams of a service (used to join alerts that
share a failing upstream and to pick the root-cause candidate) and its
*domain*: the connected part of the map it belongs to. Alerts of two
services in different domains can never correlate, so the worker keys the
`alerts` and `commands` topics by domain: everything that may join one
incident meets in one partition, and one agent is the single writer of a
domain's incidents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Topology"]


@dataclass(frozen=True)
class Topology:
    """A service dependency map; services absent from it depend on nothing and are their own domain."""

    depends_on: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _upstreams: Mapping[str, frozenset[str]] = field(init=False, repr=False, compare=False)
    _domains: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        graph = {service: tuple(dict.fromkeys(ups)) for service, ups in self.depends_on.items()}
        for ups in list(graph.values()):
            for up in ups:
                graph.setdefault(up, ())
        object.__setattr__(self, "depends_on", MappingProxyType(graph))
        object.__setattr__(self, "_upstreams", MappingProxyType({s: _reachable(graph, s) for s in graph}))
        object.__setattr__(self, "_domains", MappingProxyType(_domain_names(graph)))

    @property
    def services(self) -> tuple[str, ...]:
        """Every service the map names, sorted."""
        return tuple(sorted(self.depends_on))

    def upstreams(self, service: str) -> frozenset[str]:
        """Everything `service` depends on, directly or through others (never itself, even in a cycle)."""
        return self._upstreams.get(service, frozenset())

    def is_upstream(self, upstream: str, of: str) -> bool:
        """Whether `of` depends on `upstream`, directly or not."""
        return upstream in self.upstreams(of)

    def path(self, service: str, upstream: str) -> tuple[str, ...]:
        """The shortest dependency chain from `service` to `upstream`, both included; () if none."""
        if service == upstream:
            return (service,)
        parents: dict[str, str] = {}
        frontier = [service]
        while frontier:
            nxt = []
            for node in frontier:
                for up in self.depends_on.get(node, ()):
                    if up in parents or up == service:
                        continue
                    parents[up] = node
                    if up == upstream:
                        chain = [up]
                        while chain[-1] != service:
                            chain.append(parents[chain[-1]])
                        return tuple(reversed(chain))
                    nxt.append(up)
            frontier = nxt
        return ()

    def domain(self, service: str) -> str:
        """The stable name of the connected part of the map `service` is in.

        It is the alphabetically first of that part's most upstream services
        (those that depend on nothing; of all its services when every one is
        in a cycle), so adding a downstream service never renames a domain.
        A service absent from the map is its own domain.
        """
        return self._domains.get(service, service)

    def domains(self) -> tuple[str, ...]:
        """The names of every domain the map defines, sorted."""
        return tuple(sorted(set(self._domains.values())))


def _reachable(graph: Mapping[str, tuple[str, ...]], start: str) -> frozenset[str]:
    seen: set[str] = set()
    stack = list(graph.get(start, ()))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    seen.discard(start)
    return frozenset(seen)


def _domain_names(graph: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    neighbours: dict[str, set[str]] = {s: set() for s in graph}
    for service, ups in graph.items():
        for up in ups:
            neighbours[service].add(up)
            neighbours[up].add(service)
    names: dict[str, str] = {}
    for start in sorted(graph):
        if start in names:
            continue
        component, stack = {start}, [start]
        while stack:
            for other in neighbours[stack.pop()]:
                if other not in component:
                    component.add(other)
                    stack.append(other)
        roots = [s for s in component if not graph[s]] or list(component)
        name = min(roots)
        for service in component:
            names[service] = name
    return names
