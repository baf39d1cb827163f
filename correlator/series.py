"""Series identity and the per-window aggregate every series keeps.

A series is one stream of samples with a fixed identity: which topic it
came from, which service, which metric, which labels. Windows never hold
raw events, only an `Aggregate`: counts, sum, min, max and (for valued
series) a quantile sketch, all of which merge exactly or within the
sketch's error bound, so windows combine into longer ranges.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from typing import Any

from ddsketch import DDSketch

from correlator.sketch import new_sketch, sketch_from_bytes, sketch_to_bytes

__all__ = ["Aggregate", "SeriesKey"]

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, order=True)
class SeriesKey:
    """Identity of one series; hashable so it can key dicts and tables."""

    source: str  #: topic family the samples came from: metrics, logs or receipts
    service: str  #: emitting service; also the partition key downstream
    name: str  #: metric name, or "log_events" / "delivery_receipts"
    labels: Labels = ()  #: sorted (key, value) pairs

    @classmethod
    def of(cls, source: str, service: str, name: str, labels: dict[str, str]) -> SeriesKey:
        return cls(source, service, name, tuple(sorted(labels.items())))

    def label(self, key: str) -> str | None:
        """A label's value; `service` and `name` read as labels too, as in PromQL."""
        if key == "service":
            return self.service
        if key == "__name__":
            return self.name
        for k, v in self.labels:
            if k == key:
                return v
        return None

    def to_wire(self) -> list[Any]:
        return [self.source, self.service, self.name, [list(p) for p in self.labels]]

    @classmethod
    def from_wire(cls, wire: list[Any]) -> SeriesKey:
        source, service, name, labels = wire
        return cls(str(source), str(service), str(name), tuple((str(k), str(v)) for k, v in labels))


@dataclass(slots=True)
class Aggregate:
    """What a window knows about one series: mergeable, never raw values."""

    count: int = 0  #: events seen (valued or not)
    total: float = 0.0  #: sum of values
    minimum: float = math.inf
    maximum: float = -math.inf
    sketch: DDSketch | None = field(default=None, repr=False)  #: quantiles of values, if any

    def add(self, value: float | None) -> None:
        self.count += 1
        if value is None:
            return
        self.total += value
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        if self.sketch is None:
            self.sketch = new_sketch()
        self.sketch.add(value)

    def merge(self, other: Aggregate) -> None:
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        if other.sketch is not None:
            if self.sketch is None:
                self.sketch = new_sketch()
            self.sketch.merge(other.sketch)

    def copy(self) -> Aggregate:
        merged = Aggregate()
        merged.merge(self)
        return merged

    @property
    def valued(self) -> int:
        """How many events carried a value (the sketch's count)."""
        return int(self.sketch.count) if self.sketch is not None else 0

    def quantile(self, q: float) -> float | None:
        if self.sketch is None or self.sketch.count == 0:
            return None
        value: float = self.sketch.get_quantile_value(q)
        # The sketch answers with a bin's midpoint; the true quantile lies within [min, max].
        return min(max(value, self.minimum), self.maximum)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"count": self.count}
        if self.sketch is not None:
            wire["sum"] = self.total
            wire["min"] = self.minimum
            wire["max"] = self.maximum
            wire["sketch"] = base64.b64encode(sketch_to_bytes(self.sketch)).decode("ascii")
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Aggregate:
        agg = cls(count=int(wire["count"]))
        if "sketch" in wire:
            agg.total = float(wire["sum"])
            agg.minimum = float(wire["min"])
            agg.maximum = float(wire["max"])
            agg.sketch = sketch_from_bytes(base64.b64decode(wire["sketch"]))
        return agg
