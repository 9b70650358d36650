import { designOf, esc } from './html';
import type { Cell, ReportInputs } from './inputs';
import { cexId, isUnexpected, kindsOf, verdictGroup } from './matrix-view';

/** Counts of cells by verdict (raw verdict strings, so a new verdict is counted under its name). */
export function verdictCounts(cells: readonly Cell[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of cells) m.set(c.verdict, (m.get(c.verdict) ?? 0) + 1);
  return m;
}

/** The scenarios that are known failures: some variant is expected to or does fail them. */
export function failureScenarios(inputs: ReportInputs): string[] {
  const m = inputs.matrix;
  return m.scenarios
    .map((s) => s.id)
    .filter((id) =>
      m.cells.some(
        (c) =>
          c.scenario === id &&
          ((c.expected !== undefined && c.expected !== 'pass' && c.expected !== 'n/a') ||
            c.verdict === 'fail'),
      ),
    );
}

/** Real-kernel results that disagree with the model. */
export function disagreements(inputs: ReportInputs) {
  return (inputs.oracle?.kernels ?? []).flatMap((k) =>
    k.scenarios.filter((s) => !s.agree).map((s) => ({ kernel: k.version ?? k.release ?? k.spec, s })),
  );
}

function chip(c: Cell, text: string): string {
  const g = verdictGroup(c.verdict);
  const inner = esc(text);
  return g === 'fail'
    ? `<a class="chip v-${g}" href="#${cexId(c)}" data-cex="${cexId(c)}">${inner}</a>`
    : `<span class="chip v-${g}">${inner}</span>`;
}

/**
 * The summary: the findings in words first (cells that differ from the catalogue, real kernels
 * that disagree with the model, fuzz findings), then per policy variant which known failures it
 * is exposed to and which it fixes.
 */
export function summarySection(inputs: ReportInputs): string {
  const m = inputs.matrix;
  const counts = verdictCounts(m.cells);
  const countText = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([v, n]) => `${n} ${esc(v)}`)
    .join(', ');
  const findings: string[] = [];
  for (const d of disagreements(inputs)) {
    findings.push(
      `<li class="finding"><b>Real kernel ${esc(d.kernel)} disagrees with the model</b> on <code>${esc(d.s.scenario)}</code>: the kernel says <b>${esc(d.s.real.verdict)}</b>${d.s.real.kinds.length ? ` (${d.s.real.kinds.map(esc).join(', ')})` : ''}, the model under <code>${esc(d.s.model.policy)}</code> says <b>${esc(d.s.model.verdict)}</b>${d.s.model.kinds.length ? ` (${d.s.model.kinds.map(esc).join(', ')})` : ''}.${d.s.real.summary ? ` ${esc(d.s.real.summary)}` : ''}${d.s.explained ? ` <i>Explained by the catalogue:</i> ${esc(d.s.explained)}` : ''}</li>`,
    );
  }
  for (const c of m.cells.filter(isUnexpected)) {
    const kinds = kindsOf(c);
    findings.push(
      `<li class="finding"><code>${esc(c.scenario)}</code> under <code>${esc(c.policy)}</code>: the catalogue expects <b>${esc(c.expected)}</b>, the model gives ${chip(c, `${c.verdict}${kinds.length ? ` (${kinds.join(', ')})` : ''}`)}${(c.note ?? c.reason) ? ` — ${esc(c.note ?? c.reason)}` : ''}.</li>`,
    );
  }
  for (const c of m.cells.filter((x) => x.error !== undefined)) {
    findings.push(
      `<li class="finding"><code>${esc(c.scenario)}</code> under <code>${esc(c.policy)}</code>: a task threw (a bug in the scenario or the model): ${esc(c.error)}</li>`,
    );
  }
  const fuzz = inputs.fuzz?.findings ?? [];
  const novel = fuzz.filter((f) => f.catalogue === undefined);
  if (fuzz.length > 0) {
    findings.push(
      `<li class="finding">The fuzzer found ${fuzz.length} distinct violation${fuzz.length === 1 ? '' : 's'}, ${novel.length} not in the catalogue: see <a href="#fuzz">Fuzz findings</a>.</li>`,
    );
  }
  const failures = failureScenarios(inputs);
  const byKey = new Map(m.cells.map((c) => [`${c.scenario}\u0000${c.policy}`, c]));
  const rows = m.policies
    .map((p) => {
      const exposed: string[] = [];
      const fixed: string[] = [];
      const other: string[] = [];
      for (const s of failures) {
        const c = byKey.get(`${s}\u0000${p.id}`);
        if (c === undefined) continue;
        const g = verdictGroup(c.verdict);
        if (g === 'fail') exposed.push(chip(c, `✗ ${s}: ${kindsOf(c).join(', ')}`));
        else if (g === 'pass') fixed.push(chip(c, `✓ ${s}`));
        else if (g !== 'na') other.push(chip(c, `? ${s}: ${c.verdict}`));
      }
      return `<tr data-design="${esc(designOf(p.id))}"><th scope="row"><code>${esc(p.id)}</code><br><span class="muted">${esc(p.title ?? '')}</span></th><td class="n">${exposed.length}</td><td>${exposed.join(' ') || '<span class="muted">none</span>'}${other.length ? `<br>${other.join(' ')}` : ''}</td><td class="n">${fixed.length}</td><td>${fixed.join(' ') || '<span class="muted">none</span>'}</td></tr>`;
    })
    .join('\n');
  return `<section id="summary"><h2>Summary</h2>
<p>${m.cells.length} cells: ${countText}. ${failures.length} of ${m.scenarios.length} scenarios are known failures (some variant is expected to fail them, or does); the rest are workloads every design must pass.</p>
<h3>Findings</h3>
${findings.length > 0 ? `<ul class="findings">${findings.join('\n')}</ul>` : `<p>None: every cell shows the verdict the catalogue expects${inputs.oracle ? ', and every real kernel agrees with the model' : ''}.</p>`}
<h3>Per design: the known failures each variant is exposed to, and those it fixes</h3>
<table class="per-design"><thead><tr><th scope="col">variant</th><th scope="col" class="n">#</th><th scope="col">exposed to (✗, click for the counterexample)</th><th scope="col" class="n">#</th><th scope="col">fixes (✓ passes)</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted">A failure scenario that does not apply to a design (n/a) is in neither list.</p>
</section>`;
}
