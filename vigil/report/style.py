"""The page's only stylesheet, inlined into `<style>`: no fonts, images or other files to fetch.

Colours meet WCAG AA contrast on white (text ≥ 4.5:1, badges white on
dark). The layout is one column that widens up to 70rem; tables scroll
sideways on a phone instead of squeezing. Charts scale with their box,
at most 48rem wide so that their text stays near its design size; on a
phone their text is set larger to stay legible once scaled down.
"""

from __future__ import annotations

__all__ = ["CSS"]

CSS = """
:root {
  --fg: #1b1f24; --muted: #4a5360; --bg: #ffffff; --panel: #f3f5f8; --line: #d3d9e0;
  --accent: #1d5bb8; --threshold: #b3261e; --incident: #e59a2f; --incident-ink: #6e4100;
  --warn-bg: #fff4d6; --warn-line: #b37a00; --good: #1e6b34; --bad: #a3241c;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; color: var(--fg); background: var(--bg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif;
}
.wrap { max-width: 70rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 .25rem; line-height: 1.25; }
h2 { font-size: 1.3rem; margin: 2.25rem 0 .75rem; padding-bottom: .25rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.12rem; margin: 0 0 .5rem; line-height: 1.35; overflow-wrap: anywhere; }
h4 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
a { color: var(--accent); overflow-wrap: anywhere; }
code { font: .9em/1.4 ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
header.page { border-bottom: 1px solid var(--line); padding-bottom: .75rem; }
.facts {
  display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 15rem), 1fr)); gap: .35rem 1.5rem;
  margin: .75rem 0;
}
.facts div { min-width: 0; }
.facts dt {
  font-size: .8rem; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .03em;
}
.facts dd { margin: 0; overflow-wrap: anywhere; }
.banner {
  border: 1px solid var(--warn-line); background: var(--warn-bg); border-radius: .4rem; padding: .6rem .8rem;
  margin: .75rem 0;
}
.complete { color: var(--good); font-weight: 600; }
.incomplete { color: var(--bad); font-weight: 600; }
nav.toc ul { list-style: none; padding: 0; margin: .5rem 0 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
.cards {
  list-style: none; padding: 0; margin: 0; display: grid; gap: .75rem;
  grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr));
}
.cards li { background: var(--panel); border: 1px solid var(--line); border-radius: .5rem; padding: .6rem .8rem; }
.cards .n { display: block; font-size: 1.7rem; font-weight: 700; line-height: 1.2; }
.cards .l { color: var(--muted); font-size: .9rem; }
.incident { border: 1px solid var(--line); border-radius: .6rem; padding: 1rem 1.1rem; margin: 0 0 1.25rem; }
.incident > header { border-bottom: 1px solid var(--line); padding-bottom: .5rem; }
.num { color: var(--muted); font-weight: 600; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .78rem; font-weight: 700;
  color: #fff; background: #4a5360; vertical-align: .1em; letter-spacing: .02em; }
.sev-critical { background: #7d1414; } .sev-high { background: #b3261e; } .sev-medium { background: #8a4b00; }
.sev-low { background: #1f5f8a; } .sev-info { background: #4a5360; }
.status { display: inline-block; font-size: .78rem; font-weight: 600; border: 1px solid var(--muted);
  border-radius: 1rem; padding: 0 .45rem; color: var(--muted); vertical-align: .1em; }
ul.plain { margin: .25rem 0; padding-left: 1.25rem; }
ul.plain li { overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; margin: .5rem 0; }
.table-wrap:focus { outline: 2px solid var(--accent); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
table.wide { min-width: 34rem; }
td, td code { overflow-wrap: break-word; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; color: var(--muted); }
th, td { text-align: left; vertical-align: top; padding: .35rem .55rem; border-bottom: 1px solid var(--line); }
thead th { background: var(--panel); white-space: nowrap; }
td.t, td.n { white-space: nowrap; font-variant-numeric: tabular-nums; }
td.n, th.n { text-align: right; }
td.preview code { white-space: pre-wrap; }
tr.notification td { background: #f6f9ff; }
.charts { display: grid; gap: 1rem; grid-template-columns: minmax(0, 48rem); margin: .5rem 0; }
figure.chart-figure {
  margin: 0; border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .6rem .4rem; min-width: 0;
}
figure.chart-figure figcaption { font-size: .9rem; margin-bottom: .25rem; overflow-wrap: anywhere; }
.legend {
  display: flex; flex-wrap: wrap; gap: .1rem .9rem; font-size: .8rem; color: var(--muted); margin-top: .2rem;
}
.swatch { display: inline-block; width: 1.4rem; height: 0; vertical-align: middle; margin-right: .3rem; }
.swatch.line { border-top: 3px solid var(--accent); }
.swatch.dashed { border-top: 2px dashed var(--threshold); }
.swatch.span { height: .8rem; background: rgba(229, 154, 47, .35); border-bottom: 3px solid #b86e00; }
svg.chart { display: block; width: 100%; height: auto; }
svg.chart text { font-size: 12px; fill: var(--muted); font-family: inherit; }
svg.chart .plot { fill: #fff; stroke: var(--line); }
svg.chart .grid { stroke: #e7eaef; }
svg.chart .axis, svg.chart .x-tick line { stroke: var(--muted); }
svg.chart .series-line { fill: none; stroke: var(--accent); stroke-width: 2; stroke-linejoin: round; }
svg.chart .series-dot { fill: var(--accent); }
svg.chart .threshold { stroke: var(--threshold); stroke-width: 1.5; }
svg.chart text.threshold-label { fill: var(--threshold); font-weight: 600; }
svg.chart .incident-span { fill: var(--incident); fill-opacity: .22; }
svg.chart .incident-bar { fill: #b86e00; }
svg.chart text.incident-label { fill: var(--incident-ink); font-weight: 700; }
svg.chart text.no-data { font-size: 14px; }
.gain { color: var(--good); font-weight: 600; }
.loss { color: var(--bad); font-weight: 600; }
footer.page {
  margin-top: 3rem; font-size: .85rem; color: var(--muted); border-top: 1px solid var(--line);
  padding-top: .5rem;
}
@media (max-width: 40rem) {
  body { font-size: 15px; }
  .wrap { padding: .75rem .75rem 2rem; }
  h1 { font-size: 1.35rem; }
  .incident { padding: .75rem; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  svg.chart text, svg.chart text.no-data { font-size: 22px; }
  svg.chart .x-tick.minor { display: none; }
}
@media print {
  .incident, figure.chart-figure { break-inside: avoid; }
  nav.toc { display: none; }
}
""".strip()
