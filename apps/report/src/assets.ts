// The page's only style sheet and script, inlined: the report loads nothing from anywhere.

/** The report's CSS: light by default, dark under `prefers-color-scheme: dark`. */
export const CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1d21; --muted: #5b616b; --line: #d5d9e0; --head: #f1f3f6; --code: #f4f5f7;
  --pass-bg: #dff3e4; --pass-fg: #14532d;
  --fail-bg: #fde0de; --fail-fg: #8a1c12;
  --na-bg: #eef0f3; --na-fg: #5b616b;
  --inc-bg: #fff1cc; --inc-fg: #6b4a00;
  --other-bg: #e8e3f7; --other-fg: #3d2c7a;
  --accent: #1f5fbf; --warn: #b3261e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15171b; --fg: #e4e6ea; --muted: #a3a9b4; --line: #343842; --head: #1f2228; --code: #1d2026;
    --pass-bg: #16351f; --pass-fg: #a7e3b5;
    --fail-bg: #4a1c19; --fail-fg: #ffb4ab;
    --na-bg: #23262c; --na-fg: #a3a9b4;
    --inc-bg: #3d3010; --inc-fg: #f5d68a;
    --other-bg: #2c2547; --other-fg: #cfc2ff;
    --accent: #8ab4f8; --warn: #ff8a80;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; max-width: 1400px; padding: 0 1.25rem 4rem; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: var(--accent); }
h1 { font-size: 1.6rem; margin: 1.2rem 0 0.2rem; }
h2 { font-size: 1.25rem; margin: 2.4rem 0 0.6rem; border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
p.meta, .muted { color: var(--muted); }
nav.toc { position: sticky; top: 0; z-index: 5; background: var(--bg); border-bottom: 1px solid var(--line); padding: 0.4rem 0; display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; font-size: 0.9rem; }
code, pre, kbd { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.86em; }
code { background: var(--code); padding: 0.05em 0.3em; border-radius: 3px; }
pre { background: var(--code); padding: 0.6rem 0.8rem; overflow-x: auto; border-radius: 4px; }
table { border-collapse: separate; border-spacing: 0; }
th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { border-left: 4px solid var(--line); padding: 0.3rem 0.8rem; color: var(--muted); }
.finding { border-left: 4px solid var(--warn); padding: 0.2rem 0.8rem; margin: 0.3rem 0; }
ul.findings { padding-left: 0; list-style: none; }
.chip { display: inline-block; padding: 0 0.4em; margin: 0.1em 0.15em; border-radius: 3px; font-size: 0.82rem; white-space: nowrap; text-decoration: none; }
.v-pass { background: var(--pass-bg); color: var(--pass-fg); }
.v-fail { background: var(--fail-bg); color: var(--fail-fg); }
.v-na { background: var(--na-bg); color: var(--na-fg); }
.v-inconclusive { background: var(--inc-bg); color: var(--inc-fg); }
.v-other { background: var(--other-bg); color: var(--other-fg); }

/* The matrix: a scroll box whose header row and scenario column stay in view. */
.filters { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; align-items: center; margin: 0.6rem 0; padding: 0.5rem 0.7rem; background: var(--head); border-radius: 4px; font-size: 0.9rem; }
.filters fieldset { border: 0; margin: 0; padding: 0; display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
.filters legend { float: left; font-weight: 600; margin-right: 0.3rem; padding: 0; }
.filters label { white-space: nowrap; }
.matrix-wrap { max-height: 80vh; overflow: auto; border: 1px solid var(--line); border-radius: 4px; }
table.matrix { font-size: 0.8rem; }
table.matrix thead th { position: sticky; z-index: 2; }
table.matrix thead tr.designs th { top: 0; height: 1.9rem; text-align: center; border-left: 1px solid var(--line); }
table.matrix thead tr.variants th { top: 1.9rem; writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; padding: 0.4rem 0.2rem; font-weight: 500; border-left: 1px solid var(--line); }
table.matrix thead th.corner { left: 0; z-index: 4; writing-mode: horizontal-tb; transform: none; vertical-align: bottom; }
table.matrix tbody th { position: sticky; left: 0; z-index: 1; background: var(--bg); font-weight: 500; min-width: 15rem; max-width: 22rem; }
table.matrix tbody th .src { display: block; color: var(--muted); font-weight: 400; font-size: 0.75rem; }
table.matrix tbody th .title { display: block; font-weight: 400; font-size: 0.78rem; }
table.matrix td.cell { min-width: 5.6rem; border-left: 1px solid var(--line); line-height: 1.25; }
table.matrix td.cell .verdict { font-weight: 700; }
table.matrix td.cell .kinds { display: block; font-size: 0.72rem; }
table.matrix td.cell .real { display: block; font-size: 0.72rem; border-top: 1px dashed currentColor; margin-top: 0.15rem; }
table.matrix td.cell a { color: inherit; }
table.matrix td.cell.unexpected { outline: 2px dashed var(--warn); outline-offset: -3px; }
table.matrix td.cell .mark { font-weight: 700; color: var(--warn); }
table.matrix td.dim { opacity: 0.18; }
.hidden { display: none !important; }
.legend { font-size: 0.85rem; margin: 0.3rem 0; }

/* Counterexamples */
section, details.cex { scroll-margin-top: 2.6rem; }
details.cex { border: 1px solid var(--line); border-radius: 4px; margin: 0.5rem 0; padding: 0.2rem 0.8rem; }
details.cex[open] { padding-bottom: 0.8rem; }
details.cex > summary { cursor: pointer; padding: 0.3rem 0; }
details.cex:target, details.cex.flash { border-color: var(--accent); box-shadow: 0 0 0 2px var(--accent); }
.timeline { overflow-x: auto; }
.timeline svg, figure svg, .chart svg { --plot-background: var(--bg); background: var(--bg); }
.chart { margin: 0.5rem 0 1rem; overflow-x: auto; }
figure { margin: 0; }
.violation { color: var(--warn); font-weight: 600; }
td.violation, span.violation { white-space: nowrap; }
.steps-legend span { margin-right: 0.9rem; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: -0.1em; border-radius: 2px; margin-right: 0.2em; }
.evidence { max-height: 18rem; }
table.per-design tbody th { font-weight: 400; max-width: 16rem; background: var(--bg); }
table.per-design tbody th .muted { font-size: 0.8rem; }
`;

/**
 * The page's script: the matrix filters (design, verdict, unexpected only, text) and opening a
 * failing cell's counterexample when its cell is clicked or its anchor is in the URL.
 */
export const SCRIPT = `
(function () {
  var table = document.querySelector('table.matrix');
  function checked(name) {
    return Array.prototype.map.call(document.querySelectorAll('input[name="' + name + '"]:checked'), function (i) { return i.value; });
  }
  function apply() {
    if (!table) return;
    var designs = checked('design');
    var verdicts = checked('verdict');
    var onlyUnexpected = document.getElementById('f-unexpected').checked;
    var text = document.getElementById('f-text').value.trim().toLowerCase();
    table.querySelectorAll('[data-design]').forEach(function (el) {
      el.classList.toggle('hidden', designs.indexOf(el.getAttribute('data-design')) < 0);
    });
    var shown = 0;
    table.querySelectorAll('tbody tr').forEach(function (tr) {
      var any = false;
      tr.querySelectorAll('td.cell').forEach(function (td) {
        var ok = designs.indexOf(td.getAttribute('data-design')) >= 0 &&
          verdicts.indexOf(td.getAttribute('data-verdict-group')) >= 0 &&
          (!onlyUnexpected || td.classList.contains('unexpected'));
        td.classList.toggle('dim', !ok);
        if (ok) any = true;
      });
      var match = !text || tr.getAttribute('data-search').indexOf(text) >= 0;
      var show = any && match;
      tr.classList.toggle('hidden', !show);
      if (show) shown++;
    });
    var count = document.getElementById('f-count');
    if (count) count.textContent = shown + ' of ' + table.tBodies[0].rows.length + ' scenarios shown';
  }
  document.querySelectorAll('.filters input').forEach(function (i) {
    i.addEventListener(i.type === 'search' ? 'input' : 'change', apply);
  });
  function openCex(id) {
    var d = document.getElementById(id);
    if (!d || d.tagName !== 'DETAILS') return;
    d.open = true;
    d.classList.add('flash');
    d.scrollIntoView({ block: 'start' });
  }
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[data-cex]');
    if (!a) return;
    e.preventDefault();
    history.replaceState(null, '', '#' + a.getAttribute('data-cex'));
    openCex(a.getAttribute('data-cex'));
  });
  if (location.hash.length > 1) openCex(decodeURIComponent(location.hash.slice(1)));
  apply();
})();
`;
