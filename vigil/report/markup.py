"""Small HTML builders the sections share: tables, definition lists, times, badges.

Builders take already-escaped HTML fragments (`Html`) for cells and
values, and escape the plain strings they are given themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from vigil.report.humanize import esc, iso, utc

__all__ = ["Html", "badge", "facts", "slug", "table", "time"]

Html = str  #: a fragment that is already escaped

_SEVERITIES = frozenset({"critical", "high", "medium", "low", "info"})


def time(ts: float | None, fmt: str = "%Y-%m-%d %H:%M:%S", *, missing: str = "—") -> Html:
    """A `<time>` element with the machine-readable UTC time; `missing` text when unknown."""
    if ts is None:
        return esc(missing)
    return f'<time datetime="{iso(ts)}">{esc(utc(ts, fmt))}</time>'


def badge(severity: str) -> Html:
    """The severity as a coloured badge; unknown severities are grey."""
    kind = severity.lower() if severity.lower() in _SEVERITIES else "other"
    return f'<span class="badge sev-{kind}">{esc(severity or "unknown")}</span>'


def facts(pairs: Iterable[tuple[str, Html]]) -> Html:
    """A definition list of (label, value) pairs, laid out as a grid."""
    rows = "".join(f"<div><dt>{esc(label)}</dt><dd>{value}</dd></div>" for label, value in pairs)
    return f'<dl class="facts">{rows}</dl>'


def table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Html]],
    *,
    cell_classes: Sequence[str] = (),
    row_classes: Sequence[str] | None = None,
    row_header: bool = False,
    wide: bool = True,
) -> Html:
    """A captioned table in a wrapper that scrolls sideways on narrow screens.

    `cell_classes[i]` styles column i (`t` time, `n` number); with `row_header` the first cell
    of each row is a `<th scope="row">`. A `wide` table keeps a minimum width and scrolls on a phone
    rather than squeezing its text into slivers.
    """
    classes = list(cell_classes) + [""] * (len(headers) - len(cell_classes))
    head = "".join(
        f'<th scope="col"{_cls("n" if c == "n" else "")}>{esc(h)}</th>' for h, c in zip(headers, classes, strict=True)
    )
    body: list[str] = []
    for i, row in enumerate(rows):
        cells = []
        for j, (cell, c) in enumerate(zip(row, classes, strict=True)):
            tag = "th" if row_header and j == 0 else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cells.append(f"<{tag}{scope}{_cls(c)}>{cell}</{tag}>")
        row_class = _cls(row_classes[i]) if row_classes is not None else ""
        body.append(f"<tr{row_class}>{''.join(cells)}</tr>")
    return (
        f'<div class="table-wrap" role="region" tabindex="0" aria-label="{esc(caption)}">'
        f"<table{_cls('wide' if wide else '')}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def slug(text: str) -> str:
    """`text` reduced to letters, digits and dashes, for ids and class names."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _cls(name: str) -> str:
    return f' class="{esc(name)}"' if name else ""
