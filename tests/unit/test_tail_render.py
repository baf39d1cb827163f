"""`vigil tail` shows alerts as the worker logs them, and anything else as JSON with its headers."""

from __future__ import annotations

from aiokafka import ConsumerRecord
from rich.console import Console

from schemas import EXAMPLES, Alert, encode
from vigil.commands.tail import _render


def record(value: bytes, headers: list[tuple[str, bytes]] | None = None) -> ConsumerRecord:  # type: ignore[type-arg]
    return ConsumerRecord(
        topic="alerts",
        partition=0,
        offset=7,
        timestamp=1_767_225_901_200,
        timestamp_type=0,
        key=None,
        value=value,
        checksum=None,
        serialized_key_size=0,
        serialized_value_size=len(value),
        headers=headers or [],
    )


def plain(markup: str) -> str:
    console = Console(width=400, color_system=None)
    with console.capture() as captured:
        console.print(markup, soft_wrap=True)
    return captured.get()


def test_alert_is_one_readable_line() -> None:
    text = plain(_render(record(encode(EXAMPLES[Alert])), raw=False))
    assert "alerts/0@7" in text
    assert "FIRING   [high] checkout_latency_p99_high route=/pay service=checkout-api" in text
    assert "p99 latency of /pay above 1s for 5m" in text


def test_dead_letter_shows_its_headers_and_original_bytes() -> None:
    text = plain(_render(record(b"{not json", [("vigil.deadletter.reason", b"invalid JSON")]), raw=False))
    assert "vigil.deadletter.reason='invalid JSON'" in text and "{not json" in text
