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
from ddsketch.pb.proto import DDSketchProto, KeyMappingProto
from ddsketch.store import DenseStore

__all__ = ["RELATIVE_ACCURACY", "count_at_most", "new_sketch", "sketch_from_bytes", "sketch_to_bytes"]

#: Every quantile a sketch returns is within 1 % of the true value.
RELATIVE_ACCURACY = 0.01


def new_sketch() -> DDSketch:
    """An empty sketch with Vigil's accuracy (sketches only merge at equal accuracy)."""
    return DDSketch(relative_accuracy=RELATIVE_ACCURACY)


def sketch_to_bytes(sketch: DDSketch) -> bytes:
    """DDSketch's protobuf form, with each store trimmed to its non-empty bins.

    The library pads stores to 128-bin chunks and writes them whole; a
    window of one series usually fills a dozen bins, so trimming cuts the
    partials topic and the tables several-fold. Readers of the standard
    format (any DDSketch implementation) read it unchanged.
    """
    return ddsketch_pb2.DDSketch(
        mapping=KeyMappingProto.to_proto(sketch._mapping),
        positiveValues=_trimmed(sketch._store),
        negativeValues=_trimmed(sketch._negative_store),
        zeroCount=sketch._zero_count,
    ).SerializeToString()


def sketch_from_bytes(data: bytes) -> DDSketch:
    proto = ddsketch_pb2.DDSketch()
    proto.ParseFromString(data)
    sketch = new_sketch()
    if abs(proto.mapping.gamma - sketch._mapping.gamma) > 1e-12 or proto.mapping.indexOffset != sketch._mapping._offset:
        other: DDSketch = DDSketchProto.from_proto(proto)  # another accuracy: the library's general path
        return other
    sketch._store = _dense(proto.positiveValues)
    sketch._negative_store = _dense(proto.negativeValues)
    sketch._zero_count = proto.zeroCount
    sketch._count = sketch._store.count + sketch._negative_store.count + sketch._zero_count
    return sketch


def _trimmed(store: DenseStore) -> ddsketch_pb2.Store:
    bins = store.bins
    first = next((i for i, c in enumerate(bins) if c), None)
    if first is None:
        return ddsketch_pb2.Store()
    last = len(bins) - next(i for i, c in enumerate(reversed(bins)) if c)
    return ddsketch_pb2.Store(contiguousBinCounts=bins[first:last], contiguousBinIndexOffset=store.offset + first)


def _dense(proto: ddsketch_pb2.Store) -> DenseStore:
    """Rebuild a store in one step instead of the library's bin-by-bin adds."""
    store = DenseStore()
    counts = list(proto.contiguousBinCounts)
    if counts:
        store.bins = counts
        store.offset = proto.contiguousBinIndexOffset
        store.min_key = store.offset
        store.max_key = store.offset + len(counts) - 1
        store.count = sum(counts)
    return store


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
