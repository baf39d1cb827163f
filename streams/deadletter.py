"""Dead-letter records: the original bytes, untouched, plus why and where from.

Like Kafka Connect's DLQ, the value and key are the rejected record's own
bytes and the context travels in headers, so a fixed record can be
re-produced as is and nothing about the original is lost.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DeadLetter", "HEADER_PREFIX"]

HEADER_PREFIX = "vigil.deadletter."


@dataclass(frozen=True, slots=True)
class DeadLetter:
    key: bytes | None
    value: bytes | None
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    field: str  #: JSON path of the offending field, "$" for the whole record
    reason: str

    def headers(self) -> list[tuple[str, bytes]]:
        p = HEADER_PREFIX
        return [
            (p + "reason", self.reason.encode("utf-8")),
            (p + "field", self.field.encode("utf-8")),
            (p + "topic", self.topic.encode("utf-8")),
            (p + "partition", str(self.partition).encode("ascii")),
            (p + "offset", str(self.offset).encode("ascii")),
            (p + "timestamp", str(self.timestamp_ms).encode("ascii")),
        ]
