"""Durations, values and links as people read them."""

from __future__ import annotations

import pytest

from vigil.report.humanize import duration, esc, linkify, value


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (0.85, "850ms"),
        (4.5, "4.5s"),
        (4.0, "4s"),
        (42.5, "42s"),
        (95, "1m 35s"),
        (60, "1m"),
        (1300, "21m 40s"),
        (3600, "1h"),
        (3725, "1h 2m"),
        (3605, "1h"),
        (86400 + 4 * 3600, "1d 4h"),
        (-30, "-30s"),
    ],
)
def test_durations(seconds: float, text: str) -> None:
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("number", "unit", "text"),
    [
        (1.507, "s", "1.51s"),
        (0.48, "s", "480ms"),
        (0.05, "%", "5%"),
        (0.125, "ratio", "12.5%"),
        (480.0, "ms", "480ms"),
        (12.0, "rps", "12 rps"),
        (1234.5, None, "1,234"),
        (0, "s", "0ms"),
        (None, "s", "—"),
    ],
)
def test_values_with_units(number: float | None, unit: str | None, text: str) -> None:
    assert value(number, unit) == text


def test_esc_escapes_markup_and_both_quotes() -> None:
    assert esc("<a href='x'>\"&\"</a>") == "&lt;a href=&#x27;x&#x27;&gt;&quot;&amp;&quot;&lt;/a&gt;"
    assert esc(None) == ""


def test_linkify_links_http_urls_only_and_escapes_everything() -> None:
    out = linkify("deployed <b>1.4.2</b>: https://ci.example.com/d/1?a=1&b=2. javascript:alert(1) ftp://x")
    assert out == (
        "deployed &lt;b&gt;1.4.2&lt;/b&gt;: "
        '<a href="https://ci.example.com/d/1?a=1&amp;b=2" rel="noopener noreferrer nofollow">'
        "https://ci.example.com/d/1?a=1&amp;b=2</a>. javascript:alert(1) ftp://x"
    )


def test_linkify_cannot_break_out_of_the_attribute() -> None:
    out = linkify('see https://x.example/"onmouseover="alert(1)')
    assert 'href="https://x.example/"' in out
    assert "onmouseover=" in out and '"onmouseover' not in out.split("</a>")[0]
