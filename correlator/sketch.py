"""Mergeable quantile sketches with a compact wire form.

Windowed percentiles must merge (a 5-minute P95 is built from 10-second
windows) and must never keep raw values, so every window holds a DDSketch
with 1 % relative accuracy. The wire form is DDSketch's own protobuf
message, the format Datadog's Go and Java sketches read too, rather than
pickle, so the partials topic and the tables stay language-neutral.
"""

from __future__ import annotations

from ddsketch import DDSketch
from ddsketch.pb import ddsketch_pb2
from ddsketch.pb.proto import DDSketchProto

__all__ = ["RELATIVE_ACCURACY", "count_at_most", "new_sketch", "sketch_from_bytes", "sketch_to_bytes"]

#: Every quantile a sketch returns is within 1 % of the true value.
RELATIVE_ACCURACY = 0.01


def new_sketch() -> DDSketch:
    """An empty sketch with Vigil's accuracy (sketches only merge at equal accuracy)."""
    return DDSketch(relative_accuracy=RELATIVE_ACCURACY)


def sketch_to_bytes(sketch: DDSketch) -> bytes:
    return DDSketchProto.to_proto(sketch).SerializeToString()  # type: ignore[no-any-return]


def sketch_from_bytes(data: bytes) -> DDSketch:
    proto = ddsketch_pb2.DDSketch()
    proto.ParseFromString(data)
    sketch: DDSketch = DDSketchProto.from_proto(proto)
    return sketch


def count_at_most(sketch: DDSketch, limit: float, *, inclusive: bool = True) -> float:
    """How many values the sketch holds that are ≤ `limit` (< with inclusive=False), for limit ≥ 0.

    Exact up to the sketch's bucket boundaries: a value within 1 % of the
    limit may be counted on either side. Reads the store's bins directly;
    the ddsketch package has no rank query.
    """
    if limit < 0:
        raise ValueError("count_at_most: only non-negative limits (latencies, probes) are supported")
    count = sketch._negative_store.count
    if limit > 0 or inclusive:
        count += sketch._zero_count
    store = sketch._store
    if limit == 0 or store.count == 0:
        return float(count)
    last_key = sketch._mapping.key(limit) - (0 if inclusive else 1)
    end = min(len(store.bins), last_key - store.offset + 1)
    return float(count + (sum(store.bins[:end]) if end > 0 else 0))
