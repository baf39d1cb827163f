"""Every worker's share of the SLA board, so that any worker's page shows all of it.

A worker's engine holds only the services whose shards it owns. So every
10 s each worker publishes its own tiles (without sparklines) to the
``vigil-board`` topic, keyed by its name, and every worker follows that
topic: other workers' tiles join its board, and every sample goes into its
SLI history, including its own from before a restart, read back from the
last hours of the topic. A worker that stops publishing drops off the board
after ``stale_after`` seconds; its services' new owner shows them.

Pure: snapshots (``{"worker", "ts", "slos", "rules"}``, as ``/api/slos``
returns the board, sparklines left out) and ``now`` come in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from streams.dashboard.board import sparkline
from streams.dashboard.history import SeriesId, SliHistory

__all__ = ["BoardShare", "snapshot", "tile_readings"]

Tile = dict[str, Any]


def snapshot(worker: str, board: Mapping[str, Any]) -> dict[str, Any]:
    """What a worker publishes: its board without sparklines (every worker has the history to draw them)."""
    return {
        "worker": worker,
        "ts": board["generated_at"],
        "slos": [_bare(t) for t in board["slos"]],
        "rules": [_bare(t) for t in board["rules"]],
    }


def tile_readings(tiles: Iterable[Mapping[str, Any]]) -> dict[SeriesId, float]:
    """The value of each tile that has one, by series: the points a snapshot adds to the history."""
    out: dict[SeriesId, float] = {}
    for tile in tiles:
        key = _series(tile)
        value = tile.get("value")
        if key is not None and isinstance(value, int | float):
            out[key] = float(value)
    return out


class BoardShare:
    """The latest snapshot of every other worker, merged into this worker's own board on each read."""

    def __init__(self, history: SliHistory, *, worker: str, stale_after: float = 35.0) -> None:
        self.history = history
        self.worker = worker
        self.stale_after = stale_after
        self._latest: dict[str, dict[str, Any]] = {}

    def add(self, snap: Mapping[str, Any]) -> None:
        """One snapshot read from the topic: its points into the history, its tiles kept if it is the newest."""
        if not isinstance(snap, Mapping):
            raise ValueError("not a board snapshot: not an object")
        worker, ts = snap.get("worker"), snap.get("ts")
        slos, rules = snap.get("slos"), snap.get("rules")
        if not (isinstance(worker, str) and isinstance(ts, int | float) and isinstance(slos, list)) or not isinstance(
            rules, list
        ):
            raise ValueError("not a board snapshot: needs worker (text), ts (number), slos and rules (lists)")
        self.history.record(float(ts), tile_readings([*slos, *rules]))
        if worker == self.worker:
            return  # this worker's own tiles come fresh from its engine
        held = self._latest.get(worker)
        if held is None or ts >= held["ts"]:
            self._latest[worker] = {"ts": float(ts), "slos": slos, "rules": rules}

    def workers(self, now: float) -> list[str]:
        """The other workers on the board now."""
        return sorted(w for w, snap in self._latest.items() if now - snap["ts"] <= self.stale_after)

    def merged(
        self, own: Mapping[str, Any], now: float, *, slo_order: Sequence[str], rule_order: Sequence[str]
    ) -> dict[str, Any]:
        """This worker's board plus every live worker's tiles it does not have, in pack order, with sparklines."""
        slos: list[Tile] = [t for t in own["slos"] if t.get("service") is not None]
        rules: list[Tile] = list(own["rules"])
        held = {_series(t) for t in [*slos, *rules]}
        others = self.workers(now)
        for worker in others:
            snap = self._latest[worker]
            for kind, out in (("slos", slos), ("rules", rules)):
                for tile in snap[kind]:
                    key = _series(tile)
                    if key is None or key in held:
                        continue
                    held.add(key)
                    out.append({**tile, "spark": sparkline(self.history, key, now)})
        named = {t["name"] for t in slos}
        slos.extend(t for t in own["slos"] if t.get("service") is None and t["name"] not in named)
        return {
            **own,
            "slos": sorted(slos, key=_order(slo_order)),
            "rules": sorted(rules, key=_order(rule_order)),
            "workers": [self.worker, *others],
        }


def _series(tile: Mapping[str, Any]) -> SeriesId | None:
    kind, name, service = tile.get("kind"), tile.get("name"), tile.get("service")
    if kind not in ("slo", "rule") or not isinstance(name, str) or not isinstance(service, str):
        return None
    group = tile.get("group")
    return SeriesId(kind, name, service, group if isinstance(group, str) else "")


def _bare(tile: Mapping[str, Any]) -> Tile:
    return {k: v for k, v in tile.items() if k != "spark"}


def _order(names: Sequence[str]) -> Any:
    rank = {name: i for i, name in enumerate(names)}

    def key(tile: Mapping[str, Any]) -> tuple[int, str, str]:
        return (rank.get(tile["name"], len(rank)), tile.get("service") or "", tile.get("group") or "")

    return key
