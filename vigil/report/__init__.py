"""The postmortem report: report.json in, one self-contained HTML page out.

`vigil replay --out DIR` writes report.json and, through `render_html`,
report.html. The page needs no network: inline CSS, inline SVG charts,
no script. Every string from the report is escaped.

Modules: `page` (the document), `incidents`, `slis`, `whatif` and
`tables` (its sections), `charts` (pure SVG line charts), `context`
(range, runs, anchors), `markup` and `humanize` (HTML and text helpers),
`fields` (tolerant reads of the JSON).
"""

from __future__ import annotations

from vigil.report.page import render_html

__all__ = ["render_html"]
