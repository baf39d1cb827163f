import pytest

from correlator.config import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10s", 10),
        ("5m", 300),
        ("1h", 3600),
        ("30d", 30 * 86400),
        ("1h30m", 5400),
        ("1w", 7 * 86400),
        ("1y", 365 * 86400),
        ("500ms", 0.5),
        ("1m30s500ms", 90.5),
        ("0", 0),
        ("0s", 0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "10 s", "1.5h", "30m1h", "5mm", "-5m", "1h 30m", "s", "10sec"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (10, "10s"), (90, "1m30s"), (5400, "1h30m"), (30 * 86400, "30d"), (0.5, "500ms")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds
