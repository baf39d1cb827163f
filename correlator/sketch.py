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

__all__ = ["RELATIVE_ACCURACY", "new_sketch", "sketch_from_bytes", "sketch_to_bytes"]

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
