import { timelineChart } from './charts';
import { domId, esc } from './html';
import type { Cell, OracleScenario, ReportInputs } from './inputs';
import { cexId, kindsOf, oracleIndex, verdictGroup } from './matrix-view';

const END_LEGEND: [string, string, string][] = [
  ['#4e79a7', '', 'ran, then preempted'],
  ['#f28e2b', '‖', 'blocked'],
  ['#59a14f', '✓', 'finished'],
  ['#e15759', '✗', 'threw / killed'],
];

/** The exact command that replays a cell's schedule. */
export function traceCommand(c: Cell, format?: 'chrome'): string {
  const base = `daxref trace ${c.scenario} --policy ${c.policy}${c.schedule ? ` --schedule ${c.schedule}` : ''}`;
  return format === 'chrome' ? `${base} --format chrome --out ${c.scenario}.${c.policy}.trace.json` : base;
}

function timelineBlock(c: Cell): string {
  const t = c.timeline;
  if (t === undefined) {
    return '<p class="note">No timeline in matrix.json for this cell (written by <code>daxref check</code> from this version on); replay it with the command above.</p>';
  }
  let chart: string;
  try {
    chart = timelineChart(t);
  } catch (e) {
    // A timeline the chart cannot draw costs that drawing only, never the report.
    chart = `<p class="note">The timeline could not be drawn: ${esc((e as Error).message)}</p>`;
  }
  const window =
    t.from > 1 || t.to < t.totalSteps
      ? `steps ${t.from}–${t.to} of ${t.totalSteps} (the window ends just after the last violation)`
      : `all ${t.totalSteps} steps`;
  const legend = `<p class="steps-legend muted">${END_LEGEND.map(
    ([color, sym, text]) =>
      `<span><i class="swatch" style="background:${color}"></i>${sym ? `${sym} ` : ''}${esc(text)}</span>`,
  ).join(
    '',
  )}<span><b class="violation">⚠ dashed rule</b>: the violation</span> · hover a box for its kernel function; counters are scaled per row, with values written at each change.</p>`;
  const steps = t.steps
    .map(
      (s) =>
        `<tr${t.violations.some((v) => v.step === s.step) ? ' class="violation"' : ''}><td class="n">${s.step}</td><td>${esc(t.tasks[s.task] ?? s.task)}</td><td><code>${esc(s.fn || '-')}</code></td><td>${esc(s.end)}${s.what ? ` — ${esc(s.what)}` : ''}</td></tr>`,
    )
    .join('');
  const download =
    t.chromeTrace !== undefined
      ? `<a download="${esc(`${c.scenario}.${c.policy}.trace.json`)}" href="data:application/json;base64,${Buffer.from(t.chromeTrace, 'utf8').toString('base64')}">Download the Chrome trace</a> (open it in Perfetto, ui.perfetto.dev, or chrome://tracing)`
      : `The Chrome trace (${t.chromeTraceOmitted ?? '?'} bytes) was too large to embed: <code>${esc(traceCommand(c, 'chrome'))}</code>`;
  return `<div class="timeline" data-testid="timeline">${chart}</div>${legend}
<p>${window}. ${download}.</p>
<details><summary>Steps as a table</summary><table><thead><tr><th class="n" scope="col">step</th><th scope="col">task</th><th scope="col">kernel function</th><th scope="col">how it ended</th></tr></thead><tbody>${steps}</tbody></table></details>`;
}

/** One `<details>` per failing cell: violations, timeline, token, replay command, Chrome trace. */
export function counterexamplesSection(inputs: ReportInputs): string {
  const failing = inputs.matrix.cells.filter((c) => verdictGroup(c.verdict) === 'fail');
  const real = oracleIndex(inputs.oracle);
  const blocks = failing.map((c) => {
    const vs = c.violations
      .map(
        (v) =>
          `<li><span class="violation">${esc(v.kind)}</span> at step ${esc(v.step)}${v.pfn !== undefined ? `, pfn 0x${v.pfn.toString(16)}` : ''}: ${esc(v.message)}</li>`,
      )
      .join('');
    const realHtml = (real.get(`${c.scenario}\u0000${c.policy}`) ?? [])
      .map((r) => evidenceBlock(r.kernel, r.result))
      .join('');
    return `<details class="cex" id="${cexId(c)}"><summary><code>${esc(c.scenario)}</code> under <code>${esc(c.policy)}</code> — <span class="violation">${kindsOf(c).map(esc).join(', ') || 'fail'}</span>${c.error ? ' (a task threw)' : ''}</summary>
<ul>${vs}</ul>
<p>Schedule token <code>${esc(c.schedule ?? '–')}</code>; replay it exactly with <code>${esc(traceCommand(c))}</code></p>
${timelineBlock(c)}${realHtml}</details>`;
  });
  return `<section id="counterexamples"><h2>Counterexamples</h2>
<p>${failing.length} failing cell${failing.length === 1 ? '' : 's'}. Each opens on a timeline of its (shrunk) schedule: one lane per task, the counters of the pages in play, and the violation.</p>
${blocks.join('\n')}</section>`;
}

/** A real kernel's result with its evidence lines (stacks, WARN / Oops). */
export function evidenceBlock(kernel: string, s: OracleScenario): string {
  return `<div class="real-result"><h4>Real kernel ${esc(kernel)}: ${esc(s.real.verdict)}${s.real.kinds.length ? ` (${s.real.kinds.map(esc).join(', ')})` : ''} — ${s.agree ? 'agrees with' : '<span class="violation">disagrees with</span>'} the model (${esc(s.model.verdict)})</h4>${s.real.summary ? `<p>${esc(s.real.summary)}</p>` : ''}${s.evidence.length > 0 ? `<pre class="evidence">${s.evidence.map(esc).join('\n')}</pre>` : ''}</div>`;
}

/** The real kernels run by the oracle, each scenario real against model, disagreements first. */
export function oracleSection(inputs: ReportInputs): string {
  const o = inputs.oracle!;
  const kernels = o.kernels
    .map(
      (k) =>
        `<tr><td><code>${esc(k.spec)}</code></td><td>${esc(k.version ?? k.release ?? '–')}</td><td>${esc(k.package ?? '–')}</td><td><code>${esc(k.variant ?? '–')}</code></td><td>${esc(k.status ?? '–')}</td><td class="n">${k.bootMs !== undefined ? (k.bootMs / 1000).toFixed(1) : '–'}</td><td class="n">${k.scenarios.length}</td></tr>`,
    )
    .join('');
  const results = o.kernels
    .flatMap((k) => k.scenarios.map((s) => ({ k: k.version ?? k.release ?? k.spec, s })))
    .sort((a, b) => Number(a.s.agree) - Number(b.s.agree));
  const rows = results
    .map(
      ({ k, s }) =>
        `<tr id="${domId('oracle', k, s.scenario)}"><td>${esc(k)}</td><td><code>${esc(s.scenario)}</code></td><td>${esc(s.real.verdict)}${s.real.kinds.length ? ` (${s.real.kinds.map(esc).join(', ')})` : ''}</td><td><code>${esc(s.model.policy)}</code>: ${esc(s.model.verdict)}${s.model.kinds.length ? ` (${s.model.kinds.map(esc).join(', ')})` : ''}</td><td>${s.agree ? '✓ agrees' : `<b class="violation">≠ disagrees</b>${s.explained ? `<br><small>explained: ${esc(s.explained)}</small>` : ''}`}</td><td>${s.evidence.length > 0 ? `<details><summary>${s.evidence.length} line${s.evidence.length === 1 ? '' : 's'}</summary><pre class="evidence">${s.evidence.map(esc).join('\n')}</pre></details>` : '–'}</td></tr>`,
    )
    .join('\n');
  return `<section id="oracle"><h2>Real kernels</h2>
<table><thead><tr><th scope="col">spec</th><th scope="col">version</th><th scope="col">package</th><th scope="col">model variant</th><th scope="col">status</th><th scope="col" class="n">boot s</th><th scope="col" class="n">scenarios</th></tr></thead><tbody>${kernels}</tbody></table>
<h3>Each scenario: the real kernel against the model (disagreements first)</h3>
<table><thead><tr><th scope="col">kernel</th><th scope="col">scenario</th><th scope="col">real verdict</th><th scope="col">model</th><th scope="col">agree</th><th scope="col">evidence</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

/** The fuzzer's findings, those outside the catalogue first. */
export function fuzzSection(inputs: ReportInputs): string {
  const f = inputs.fuzz!;
  const list = [...f.findings].sort(
    (a, b) => Number(a.catalogue !== undefined) - Number(b.catalogue !== undefined),
  );
  const rows = list
    .map(
      (x) =>
        `<tr><td><code>${esc(x.id)}</code></td><td class="violation">${esc(x.kind)}</td><td>${x.policies.map((p) => `<code>${esc(p)}</code>`).join(' ')}</td><td class="n">${esc(x.count)}</td><td>${x.catalogue ? `<code>${esc(x.catalogue)}</code>` : '<b>new</b>'}</td><td>${x.ops.map(esc).join(' → ')}</td><td>${x.traceCommand ? `<code>${esc(x.traceCommand)}</code>` : '–'}${x.scenarioSource ? `<details><summary>scenario source</summary><pre>${esc(x.scenarioSource)}</pre></details>` : ''}</td></tr>`,
    )
    .join('\n');
  const st = f.stats ?? {};
  return `<section id="fuzz"><h2>Fuzz findings</h2>
<p>${esc(st.workloads ?? f.runs ?? '?')} random workloads (seed ${esc(f.seed ?? '?')}) over ${esc((f.policies ?? []).join(', ') || '?')}${st.workloadsPerSec !== undefined ? `, ${Math.round(st.workloadsPerSec).toLocaleString('en')} workloads/s` : ''}: ${f.findings.length} distinct finding${f.findings.length === 1 ? '' : 's'}.</p>
${f.findings.length > 0 ? `<table><thead><tr><th scope="col">id</th><th scope="col">kind</th><th scope="col">policies</th><th scope="col" class="n">hits</th><th scope="col">catalogue</th><th scope="col">operations</th><th scope="col">replay</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
</section>`;
}
