import { designOf, domId, esc } from './html';
import type { Cell, MatrixInput, OracleInput, OracleScenario, ReportInputs } from './inputs';

/** The filter group of a verdict: the three of `/1`, `inconclusive` of `/2`, anything else. */
export function verdictGroup(verdict: string): 'pass' | 'fail' | 'na' | 'inconclusive' | 'other' {
  if (verdict === 'pass' || verdict === 'fail' || verdict === 'inconclusive') return verdict;
  if (verdict === 'n/a') return 'na';
  return 'other';
}

/** True when a cell's verdict differs from the catalogue's expectation (as `daxref check` decides). */
export function isUnexpected(c: Cell): boolean {
  if (c.expected === undefined) return false;
  if (c.expected === 'pass' || c.expected === 'n/a') return c.verdict !== c.expected;
  return c.verdict !== 'fail' || !c.violations.some((v) => v.kind === c.expected);
}

/** The id of a failing cell's counterexample section. */
export function cexId(c: Pick<Cell, 'scenario' | 'policy'>): string {
  return domId('cex', c.scenario, c.policy);
}

/** Distinct violation kinds of a cell, in order. */
export function kindsOf(c: Cell): string[] {
  return [...new Set(c.violations.map((v) => v.kind))];
}

/** A real-kernel result beside the model cell of the variant that describes that kernel. */
export interface RealResult {
  kernel: string;
  result: OracleScenario;
}

/** Real-kernel results by `scenario` + model policy. */
export function oracleIndex(oracle: OracleInput | null): Map<string, RealResult[]> {
  const m = new Map<string, RealResult[]>();
  for (const k of oracle?.kernels ?? []) {
    for (const s of k.scenarios) {
      const key = `${s.scenario}\u0000${s.model.policy}`;
      m.set(key, [...(m.get(key) ?? []), { kernel: k.version ?? k.release ?? k.spec, result: s }]);
    }
  }
  return m;
}

function cellHtml(c: Cell | undefined, scenario: string, policy: string, real: RealResult[]): string {
  const design = esc(designOf(policy));
  if (c === undefined) {
    return `<td class="cell v-other" data-design="${design}" data-verdict-group="other">missing</td>`;
  }
  const group = verdictGroup(c.verdict);
  const kinds = kindsOf(c);
  const unexpected = isUnexpected(c);
  const why = c.note ?? c.reason ?? c.error;
  const title = [
    `${scenario} under ${policy}: ${c.verdict}`,
    kinds.length > 0 ? `violations: ${kinds.join(', ')}` : '',
    c.expected !== undefined ? `expected: ${c.expected}` : '',
    why !== undefined ? `note: ${why}` : '',
    c.schedulesExplored !== undefined
      ? `${c.schedulesExplored} schedules${c.exhausted ? ' (exhausted)' : ''}`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  const verdict = esc(c.verdict === 'n/a' ? 'n/a' : c.verdict);
  const body =
    group === 'fail'
      ? `<a href="#${cexId(c)}" data-cex="${cexId(c)}"><span class="verdict">${verdict}</span></a>`
      : `<span class="verdict">${verdict}</span>`;
  const mark = unexpected
    ? ` <span class="mark" title="differs from the expected ${esc(c.expected)}">≠ exp. ${esc(c.expected)}</span>`
    : '';
  const kindsHtml = kinds.length > 0 ? `<span class="kinds">${kinds.map(esc).join(', ')}</span>` : '';
  const reason =
    group === 'inconclusive' && why !== undefined ? `<span class="kinds">${esc(why)}</span>` : '';
  const realHtml = real
    .map(
      (r) =>
        `<span class="real" title="${esc(`real kernel ${r.kernel}: ${r.result.real.summary ?? r.result.real.verdict}`)}">real ${esc(r.kernel)}: ${esc(r.result.real.verdict)}${r.result.real.kinds.length ? ` (${r.result.real.kinds.map(esc).join(', ')})` : ''}${r.result.agree ? ' ✓' : ' <b>≠ model</b>'}</span>`,
    )
    .join('');
  return `<td class="cell v-${group}${unexpected ? ' unexpected' : ''}" data-design="${design}" data-verdict-group="${group}" title="${esc(title)}">${body}${mark}${kindsHtml}${reason}${realHtml}</td>`;
}

/** The correctness matrix: filters, a legend, and the scenario × policy table. */
export function matrixSection(inputs: ReportInputs): string {
  const m: MatrixInput = inputs.matrix;
  const byKey = new Map(m.cells.map((c) => [`${c.scenario}\u0000${c.policy}`, c]));
  const real = oracleIndex(inputs.oracle);
  const designs = [...new Set(m.policies.map((p) => designOf(p.id)))];
  const groups = ['pass', 'fail', 'na', 'inconclusive', 'other'].filter(
    (g) => g === 'pass' || g === 'fail' || m.cells.some((c) => verdictGroup(c.verdict) === g),
  );
  const groupLabel: Record<string, string> = {
    pass: 'pass',
    fail: 'fail',
    na: 'n/a',
    inconclusive: 'inconclusive',
    other: 'other',
  };
  const filters = `<div class="filters">
<fieldset><legend>Design</legend>${designs
    .map((d) => `<label><input type="checkbox" name="design" value="${esc(d)}" checked> ${esc(d)}</label>`)
    .join('')}</fieldset>
<fieldset><legend>Verdict</legend>${groups
    .map(
      (g) =>
        `<label><input type="checkbox" name="verdict" value="${g}" checked> <span class="chip v-${g}">${groupLabel[g]}</span></label>`,
    )
    .join('')}</fieldset>
<label><input type="checkbox" id="f-unexpected"> only cells that differ from the expectation</label>
<label>Scenario <input type="search" id="f-text" placeholder="id, title or source"></label>
<span id="f-count" class="muted" aria-live="polite"></span>
</div>`;
  const designRow = designs
    .map((d) => {
      const n = m.policies.filter((p) => designOf(p.id) === d).length;
      return `<th colspan="${n}" data-design="${esc(d)}" scope="colgroup">${esc(d)}</th>`;
    })
    .join('');
  const variantRow = m.policies
    .map(
      (p) =>
        `<th scope="col" data-design="${esc(designOf(p.id))}" title="${esc(p.title ?? p.id)}">${esc(p.variant ?? p.id)}</th>`,
    )
    .join('');
  const rows = m.scenarios
    .map((s) => {
      const search = `${s.id} ${s.title ?? ''} ${s.source ?? ''}`.toLowerCase();
      const cells = m.policies
        .map((p) =>
          cellHtml(byKey.get(`${s.id}\u0000${p.id}`), s.id, p.id, real.get(`${s.id}\u0000${p.id}`) ?? []),
        )
        .join('');
      return `<tr id="${domId('row', s.id)}" data-search="${esc(search)}"><th scope="row"><code>${esc(s.id)}</code><span class="title">${esc(s.title ?? '')}</span><span class="src">${esc(s.source ?? '')}</span></th>${cells}</tr>`;
    })
    .join('\n');
  const legend = `<p class="legend">Each cell names its verdict in words and its violation kinds; colour repeats it.
<span class="chip v-pass">pass</span> no violation in the explored schedules ·
<span class="chip v-fail">fail</span> a counterexample was found (click it for the timeline) ·
<span class="chip v-na">n/a</span> the design has no such operation ·
<span class="mark">≠ exp.</span> with a dashed outline: the verdict differs from the catalogue's expectation${
    inputs.oracle
      ? ' · <i>real …</i>: what a real kernel did, under the variant that describes it (✓ agrees, ≠ disagrees)'
      : ''
  }.</p>`;
  return `<section id="matrix"><h2>Correctness matrix</h2>
<p>${m.scenarios.length} scenarios × ${m.policies.length} policy variants = ${m.scenarios.length * m.policies.length} cells, explored with strategy <code>${esc(m.strategy ?? '?')}</code>, seed ${esc(m.seed ?? '?')}, budget ${esc(m.budget ?? '?')} schedules per cell.</p>
${legend}
${filters}
<div class="matrix-wrap"><table class="matrix">
<thead><tr class="designs"><th class="corner" rowspan="2" scope="col">scenario</th>${designRow}</tr>
<tr class="variants">${variantRow}</tr></thead>
<tbody>
${rows}
</tbody></table></div></section>`;
}
